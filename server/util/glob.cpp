#include "util/glob.hpp"

#include "util/strings.hpp"

namespace relaymock {

bool glob_match(std::string_view p, std::string_view t) {
  // Iterative matcher with one backtrack point for the last '*': linear-ish, no recursion.
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || ascii_lower(p[pi]) == ascii_lower(t[ti]))) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool address_filter_matches(std::string_view filter, std::string_view addr) {
  if (is_glob(filter)) return glob_match(filter, addr);
  auto fa = filter.rfind('@'), aa = addr.rfind('@');
  if (fa == std::string_view::npos || aa == std::string_view::npos) return iequals(filter, addr);
  return filter.substr(0, fa) == addr.substr(0, aa) && iequals(filter.substr(fa), addr.substr(aa));
}

}  // namespace relaymock
