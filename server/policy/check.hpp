// One account rule as a decision walked it: what it compared and, when it
// failed, the nearest change that would let the send through. Every decision
// carries its checks in order (events, `relaymock explain`).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace relaymock::policy {

struct Check {
  // skipped: the rule does not apply here (mode off, no limit, the profile
  // has no such rule); not_reached: an earlier check failed.
  enum class Result { Pass, Fail, Skipped, NotReached };
  std::string name;      // identity, status, blank_sender, sender_domain, restrict_senders, quota, rate_limit, from_header
  Result result = Result::Pass;
  std::string compared;  // the values compared, in words
  std::string fix;       // a failure's nearest fix
};

const char* check_result_name(Check::Result r);

// The RCPT checks in the order they run, then the end-of-data one.
inline constexpr std::string_view kRcptChecks[] = {"identity",         "status", "blank_sender", "sender_domain",
                                                   "restrict_senders", "quota",  "rate_limit"};
inline constexpr std::string_view kContentCheck = "from_header";

// Adds `names` not yet in `checks` as not reached.
void add_not_reached(std::vector<Check>& checks, const std::string_view* names, std::size_t n);

}  // namespace relaymock::policy
