// The provider's account rules: their ids, the SMTP stage where each applies,
// and the reply texts its help article documents. Placeholders in a text:
// {addr} (envelope sender), {domain} (From header domain), {user}, {ip}.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "smtp/reply.hpp"

namespace relaymock::policy {

struct RuleInfo {
  std::string_view id;
  std::string_view stage;  // auth | rcpt | data
  std::string_view text;   // default reply, "550-line\n550 line" form
};

// In the order the checks run.
const std::vector<RuleInfo>& rules();
const RuleInfo* find_rule(std::string_view id);

// Fills placeholders ({addr}, {domain}, {user}, {ip}) in a reply.
struct Substitutions {
  std::string addr, domain, user, ip;
};
smtp::Reply expand(const smtp::Reply& tmpl, const Substitutions& subs);

}  // namespace relaymock::policy
