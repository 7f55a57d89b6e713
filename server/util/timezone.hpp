// Local times in a named time zone (IANA, e.g. "Europe/Berlin"), through
// GLib's reading of the system's zoneinfo: for search terms such as
// before:2026-12-01 that a user writes in their own zone (Mailpit's `tz`).
#pragma once
#include <optional>
#include <string_view>

#include "util/clock.hpp"
#include "util/dates.hpp"

namespace relaymock {

// Whether `tz` names a zone this system knows ("UTC" always).
bool known_time_zone(std::string_view tz);

// The instant a wall-clock time names in `tz` (unknown zone or empty: UTC).
// A time skipped by a DST change moves forward, as GLib does.
TimePoint local_to_utc(CivilDate date, int hour, int minute, int second, std::string_view tz);

// What a user types for a date: 2026-12-01, 2026/12/01, 2026-12-01 13:45,
// 2026-12-01T13:45:30, or RFC 3339 with its own offset (then `tz` is not
// used). nullopt for anything else.
std::optional<TimePoint> parse_user_date(std::string_view text, std::string_view tz);

}  // namespace relaymock
