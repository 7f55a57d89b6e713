// Globs as scenarios and message filters write them: "*" any run, "?" one
// character, ASCII letters without case.
#pragma once
#include <string_view>

namespace relaymock {

bool glob_match(std::string_view pattern, std::string_view text);
inline bool is_glob(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }

}  // namespace relaymock
