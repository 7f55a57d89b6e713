// Dates in UTC: civil dates for quota cycles, RFC 5322 for mail and the
// greeting, RFC 3339 for the API, the logs and the store.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/clock.hpp"

namespace relaymock {

struct CivilDate {
  int year, month, day;  // month 1-12
};
CivilDate civil_from_time(TimePoint t);
TimePoint time_from_civil(CivilDate d);  // 00:00:00 UTC on that day
// "2026-11-05" (a day that exists, years 1970-2200); nullopt for anything else.
std::optional<CivilDate> parse_civil_date(std::string_view s);
std::string civil_text(CivilDate d);  // "2026-11-05"

// "Fri, 13 Dec 2024 20:59:01 +0000"
std::string rfc5322_date(TimePoint t);
// "2026-11-27T18:21:12.520Z"
std::string rfc3339(TimePoint t);
// "2026-11-27T18:21:12Z": whole seconds (the provider's webhooks and activity).
std::string rfc3339_seconds(TimePoint t);
// Z or +HH:MM offsets, optional fraction, years 1970-2200; nullopt for
// anything else.
std::optional<TimePoint> parse_rfc3339(std::string_view s);

// The times the relay's clock may read: 1970-01-01 up to the end of 2200.
// Far inside what a nanosecond system_clock holds (to 2262), so a clock
// offset that keeps now() here can never wrap.
inline constexpr std::int64_t kLatestClockMs = 7'289'654'400'000;  // 2201-01-01T00:00:00Z
inline bool clock_can_read(std::int64_t ms_since_epoch) {
  return ms_since_epoch >= 0 && ms_since_epoch < kLatestClockMs;
}
// Whether the system clock plus `offset_ms` reads such a time (an offset of
// any size, even one read from a damaged store, is judged without overflow).
inline bool offset_keeps_clock_readable(std::int64_t offset_ms) {
  if (offset_ms > kLatestClockMs || offset_ms < -kLatestClockMs) return false;
  auto system_ms = ms_since_epoch(std::chrono::system_clock::now());
  return clock_can_read(system_ms + offset_ms);
}

}  // namespace relaymock
