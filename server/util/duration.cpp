#include "util/duration.hpp"

#include <charconv>
#include <cstdint>

namespace relaymock {

std::optional<Millis> parse_duration(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::int64_t total = 0;
  constexpr std::int64_t kMax = std::int64_t{1} << 52;  // keeps every sum far from overflow
  bool any_unit = false;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), n);
    if (ec != std::errc() || n < 0 || n > kMax) return std::nullopt;
    i = static_cast<std::size_t>(ptr - text.data());
    std::int64_t unit = 0;
    if (i == text.size()) {
      if (any_unit) return std::nullopt;  // "1h30" is ambiguous
      unit = 1000;
    } else if (text.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else {
      switch (text[i]) {
        case 's': unit = 1000; break;
        case 'm': unit = 60'000; break;
        case 'h': unit = 3'600'000; break;
        case 'd': unit = 86'400'000; break;
        default: return std::nullopt;
      }
      ++i;
    }
    any_unit = true;
    if (n > kMax / unit) return std::nullopt;
    total += n * unit;
    if (total > kMax) return std::nullopt;
  }
  return Millis(total);
}

std::string format_duration(Millis d) {
  auto ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace relaymock
