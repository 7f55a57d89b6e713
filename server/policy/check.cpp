#include "policy/check.hpp"

#include <algorithm>

namespace relaymock::policy {

const char* check_result_name(Check::Result r) {
  switch (r) {
    case Check::Result::Pass: return "pass";
    case Check::Result::Fail: return "fail";
    case Check::Result::Skipped: return "skipped";
    case Check::Result::NotReached: return "not_reached";
  }
  return "?";
}

void add_not_reached(std::vector<Check>& checks, const std::string_view* names, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    bool seen = std::any_of(checks.begin(), checks.end(), [&](const Check& c) { return c.name == names[i]; });
    if (!seen) checks.push_back({std::string(names[i]), Check::Result::NotReached, {}, {}});
  }
}

}  // namespace relaymock::policy
