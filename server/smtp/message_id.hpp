// Message ids in the provider's (Exim's) shape: 6-11-4 characters of [0-9A-Za-z].
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace relaymock::smtp {

// Unique within a process (a counter) and across processes (a random key).
// `unix_seconds` and `micros` come from the caller's clock.
std::string make_message_id(std::int64_t unix_seconds, std::uint32_t micros);
// The same from a time point of the caller's clock.
inline std::string make_message_id(std::chrono::system_clock::time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  return make_message_id(us / 1'000'000, static_cast<std::uint32_t>(us % 1'000'000));
}

bool looks_like_message_id(const std::string& id);

}  // namespace relaymock::smtp
