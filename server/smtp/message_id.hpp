// Message ids in the provider's (Exim's) shape: 6-11-4 characters of [0-9A-Za-z].
#pragma once
#include <cstdint>
#include <string>

namespace relaymock::smtp {

// Unique within a process (a counter) and across processes (a random key).
// `unix_seconds` and `micros` come from the caller's clock.
std::string make_message_id(std::int64_t unix_seconds, std::uint32_t micros);

bool looks_like_message_id(const std::string& id);

}  // namespace relaymock::smtp
