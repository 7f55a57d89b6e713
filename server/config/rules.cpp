#include "config/rules.hpp"

namespace relaymock::config {

namespace {
// The live API's answer to a sender that fails verification, whichever way.
constexpr std::string_view kApiVerifyFail =
    "550-Verification failed for <{addr}>\n550-Unrouteable address\n550 domain verify fail <{addr}>";
}  // namespace

const std::vector<RuleInfo>& rules() {
  static const std::vector<RuleInfo> table = {
      {"auth_failed", "auth", "535 Incorrect authentication data"},
      {"relay_denied", "rcpt", "550 Relay access denied - please authenticate"},
      {"user_not_allowed", "rcpt", "550 That smtp username is not allowed to send"},
      {"ip_not_allowed", "rcpt", "550 That IP address is not allowed to send"},
      // HTTP API v3 only; the texts follow the SMTP ones (the provider's are not on record).
      {"api_key_not_allowed", "rcpt", "550 That API key is not allowed to send"},
      {"blank_sender", "rcpt", "550 to send email from a blank sender, enable blank senders"},
      {"sender_unroutable_domain", "rcpt",
       "550-Verification failed for <{addr}>\n550-Unroutable domain\n550 Unable to verify sender address",
       kApiVerifyFail},
      {"sender_verify_deferred", "rcpt",
       "451-Verification failed for <{addr}>\n451-host lookup did not complete\n451 Could not complete sender verify"},
      {"sender_unrouteable_address", "rcpt",
       "550-Verification failed for <{addr}>\n550-Unrouteable address\n550 Unable to verify sender address",
       kApiVerifyFail},
      {"sender_not_allowed", "rcpt", "550 That SMTP sender is not on your allowed list"},
      {"quota_exhausted", "rcpt", "552 Your monthly email allowance is exhausted"},
      {"user_rate_limited", "rcpt", "550 Your username has exceeded the allowed sending rate"},
      {"ip_rate_limited", "rcpt", "550 Your IP address exceeded the allowed sending rate"},
      {"api_key_rate_limited", "rcpt", "550 Your API key has exceeded the allowed sending rate"},
      {"from_header_unverified", "data",
       "550-From header sender domain not verified ({domain})\n550-On your Sending > Verified Senders page\n"
       "550 verify the sender domain or email to be allowed to send."},
  };
  return table;
}

const RuleInfo* find_rule(std::string_view id) {
  for (const auto& r : rules())
    if (r.id == id) return &r;
  return nullptr;
}

}  // namespace relaymock::config
