// The provider's account rules as pure decisions with a reason. No I/O: the
// config, the clock and the counters are handed in.
#pragma once
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/profiles.hpp"
#include "util/clock.hpp"
#include "mime/mime.hpp"
#include "policy/check.hpp"
#include "policy/counters.hpp"
#include "policy/cycle.hpp"
#include "policy/rules.hpp"
#include "policy/sender_route.hpp"
#include "util/address.hpp"
#include "smtp/reply.hpp"
#include "smtp/session.hpp"

namespace relaymock::policy {

struct Identity {
  enum class Kind { None, User, Ip, ApiKey };
  Kind kind = Kind::None;
  std::string name;  // username, the ip_auth entry as written, or the API key's name
  config::Status status = config::Status::Allowed;
  std::optional<config::RateLimit> rate_limit;

  std::string key() const;  // counter key: "user:app", "ip:10.0.0.0/8", "api_key:ci", "none"
  const char* kind_name() const;
};

struct Decision {
  std::string rule;  // a rule id, "accepted" or "accepted_sandbox"
  bool accept = true;
  Reply reply;   // the reply to send when !accept (ids: see rules.hpp)
  std::string detail;  // one line naming the values compared
  Identity identity;
  // The refusal as the provider's HTTP API v3 words it (reply's text unless
  // the rule's API wording differs and replies: does not override it).
  std::optional<Reply> api_reply;
  // Each rule as this decision walked it, in order (policy/check.hpp).
  std::vector<Check> checks;
  // RCPT: where the quota and the rate limit stood (before this recipient);
  // quota_before: the part of the quota's count sent before relaymock.
  std::optional<Counters::Standing> quota, rate;
  std::uint64_t quota_before = 0;
};

class Engine {
 public:
  Engine(std::shared_ptr<const config::Config> cfg, const Clock& clock, Counters& counters);

  // SIGHUP: new rules for the next decision; counters stay.
  void set_config(std::shared_ptr<const config::Config> cfg);
  std::shared_ptr<const config::Config> config() const;

  // Bad user and bad password take the same path and time.
  // Every check takes the profile whose face answers (null: smtp2go): its
  // texts, its stages and the rules it has (config/profiles.hpp).
  Decision authenticate(const smtp::AuthAttempt& attempt, const config::Profile* profile = nullptr) const;

  // An authenticated SMTP user; else the most specific ip_auth entry
  // containing the client address; else none.
  // A profile without ip_auth (the other providers) relays for no address.
  Identity identify(const std::optional<std::string>& auth_user, std::string_view client_ip,
                    const config::Profile* profile = nullptr) const;

  // The api_keys entry with this key (compared in constant time), if any.
  std::optional<Identity> identify_api_key(std::string_view key) const;

  // RCPT stage. On acceptance one recipient is reserved for the identity;
  // the caller later commits or releases what it reserved.
  // In sender_verification.mode system, `route` is what DNS said about the
  // domain that route_domain() named; without it the DNS step is skipped.
  // `describe` false: no checks are written out (a transaction's later
  // recipients; for a refusal the caller asks try_rcpt, which describes).
  Decision check_rcpt(const Identity& id, const Mailbox& sender, const SenderRoute* route = nullptr,
                      const config::Profile* profile = nullptr, bool describe = true) const;
  // The same checks, reserving nothing (explain): `ahead` recipients the same
  // transaction would already hold count against the limits.
  Decision try_rcpt(const Identity& id, const Mailbox& sender, const SenderRoute* route,
                    const config::Profile* profile, std::uint64_t ahead) const;
  // MAIL stage: the rules a profile sends before any recipient (Brevo's
  // "Please authenticate first"); accepts under the others.
  Decision check_mail(const Identity& id, const config::Profile* profile) const;

  // The domain whose DNS answer check_rcpt needs for this sender: only in
  // mode system, and only when no static rule decides first.
  std::optional<std::string> route_domain(const Mailbox& sender, const config::Profile* profile = nullptr) const;

  // End of DATA: the From header rule, then accepted / accepted_sandbox.
  Decision check_content(const Identity& id, std::string_view content) const;
  // The same, on a From already read (mime::summarize) by the caller.
  // The envelope sender, when given, names a From near miss (its domain is
  // verified, the From's is not).
  Decision check_content(const Identity& id, const mime::From& from, const config::Profile* profile = nullptr,
                         const Mailbox* envelope_sender = nullptr) const;

  // Recipients counted in `cycle`: relaymock's own plus those the account had
  // sent before it (account.quota.used, in its cycle only).
  std::uint64_t quota_used(const Cycle& cycle) const;
  std::uint64_t quota_used_before(const config::Account& acct, const Cycle& cycle) const;

  void commit(const Identity& id, std::uint64_t recipients) const;
  // Durable mode at startup: counts recipients accepted at `at` for a counter
  // key ("user:app", "ip:10.0.0.0/8") under today's limits.
  void replay(const std::string& key, std::uint64_t recipients, TimePoint at) const;
  // The rate limit configured for a counter key, if any.
  std::optional<config::RateLimit> rate_limit_of(const std::string& key) const;
  // The longest `per` of any rate limit in the config (0 without any): how
  // far back counted recipients are needed one by one.
  Millis longest_rate_window() const;
  void release(const Identity& id, std::uint64_t recipients) const;

  const Clock& clock() const { return clock_; }
  Counters& counters() const { return counters_; }

 private:
  Decision rcpt(const Identity& id, const Mailbox& sender, const SenderRoute* route, const config::Profile* profile,
                bool hold, std::uint64_t ahead, bool describe) const;
  Decision reject(const config::Config& cfg, std::string_view rule, const Identity& id, std::string detail,
                  Substitutions subs = {}, const config::Profile* profile = nullptr) const;

  std::shared_ptr<const config::Config> cfg_;
  mutable std::mutex cfg_mutex_;
  const Clock& clock_;
  Counters& counters_;
};


}  // namespace relaymock::policy
