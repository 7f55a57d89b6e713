// The provider's account rules: their ids, the SMTP stage where each applies,
// and the reply texts its help article documents. The config validates
// `replies:` overrides against these ids; policy/ answers with the texts.
// Placeholders: {addr} (envelope sender), {domain} (From header domain),
// {user}, {ip}.
#pragma once
#include <string_view>
#include <vector>

namespace relaymock::config {

struct RuleInfo {
  std::string_view id;
  std::string_view stage;  // auth | rcpt | data
  std::string_view text;   // default reply, "550-line\n550 line" form
  // The provider's HTTP API v3 words some failures differently from its SMTP
  // server (seen against the live API, 2026); empty: the SMTP text.
  std::string_view api_text = {};
};

// In the order the checks run.
const std::vector<RuleInfo>& rules();
const RuleInfo* find_rule(std::string_view id);

}  // namespace relaymock::config
