// Durations as written in config and API requests: "30s", "5m", "1h30m", "2d", "250ms" or plain seconds.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace relaymock {

using Millis = std::chrono::milliseconds;

std::optional<Millis> parse_duration(std::string_view text);
std::string format_duration(Millis d);  // the shortest exact form: "1h", "90s", "250ms"

}  // namespace relaymock
