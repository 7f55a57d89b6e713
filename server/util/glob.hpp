// Globs as scenarios and message filters write them: "*" any run, "?" one
// character, ASCII letters without case.
#pragma once
#include <string_view>

namespace relaymock {

bool glob_match(std::string_view pattern, std::string_view text);
inline bool is_glob(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }

// An address filter as the API takes one: a glob when it has * or ?, else
// the whole address, the local part with case and the domain without (as
// the account rules compare).
bool address_filter_matches(std::string_view filter, std::string_view addr);

}  // namespace relaymock
