// Other providers' faces on the same engine (`profile:` for the server or a
// listener): the greeting and EHLO shape, the wording (and, where a provider
// documents it, the stage) of each rule's refusal and of the success replies,
// and which of relaymock's rules the provider has. Only texts documented in
// the providers' own material are used (each entry names its source); any
// other reply falls back to the generic profile's, whose texts are RFC 3463
// style and, where no source gives them, relaymock's own (marked inferred).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/reply.hpp"
#include "util/stage.hpp"
#include "util/success_replies.hpp"

namespace relaymock::config {

struct ProfileReply {
  std::string_view id;    // a rule id, a success reply id, or size_exceeded / too_many_recipients
  std::string_view text;  // "535 5.7.8 text": an enhanced code, when the provider sends one, follows the code
  std::string_view source;  // where the text is documented; "inferred": relaymock's wording
  // Where the provider sends it, when that differs from relaymock's stage
  // for the rule (only Mail is supported: a refusal before any recipient).
  std::optional<Stage> stage = std::nullopt;
};

struct Profile {
  std::string_view name;
  std::string_view greeting;    // after "220 ": {host}, {version}; a date follows when the server has one
  std::string_view ehlo_first;  // the EHLO reply's first line: {host}, {helo}, {ip}
  // The EHLO keywords in order: SIZE gets the size, STARTTLS appears where TLS
  // can start, ENHANCEDSTATUSCODES where the profile's replies carry the codes.
  std::vector<std::string_view> ehlo;
  // The replies carry RFC 3463 codes (smtp2go: as server.enhanced_status_codes says).
  std::optional<bool> enhanced_codes;
  bool ip_auth = true;  // relays for ip_auth entries without AUTH
  // The rules this provider has (empty: all of relaymock's); a rule it does
  // not have is not checked under this profile.
  std::vector<std::string_view> rules;
  std::vector<ProfileReply> replies;  // its own texts; the rest: generic's
};

const std::vector<Profile>& profiles();
const Profile* find_profile(std::string_view name);
const Profile& default_profile();  // smtp2go
std::string profile_names();       // "smtp2go, ses, ..." for error messages

bool profile_has_rule(const Profile& p, std::string_view rule);

// A profile's reply for `id`: its own, else the generic profile's. nullopt
// for smtp2go (its texts are the rules table's and SuccessReplies') and for
// an id no table knows. `enhanced` is filled in as the profile sends it.
struct ResolvedReply {
  Reply reply;
  std::string_view source;  // the entry's source; "generic" prefix when it fell back
  bool fallback = false;    // taken from the generic profile
  std::optional<Stage> stage;
};
std::optional<ResolvedReply> profile_reply(const Profile& p, std::string_view id);

// The success reply `id` (a SuccessReplies id) a session under `p` sends,
// the config's `replies:` override applied (it serves every profile); null
// profile: smtp2go. One reply, for the end of each message.
struct Config;
Reply success_reply(const Config& cfg, const Profile* p, std::string_view id);
// All of them, for a listener's settings.
SuccessReplies success_replies(const Config& cfg, const Profile* p);

}  // namespace relaymock::config
