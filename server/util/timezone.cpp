#include "util/timezone.hpp"

#include <glib.h>

#include <string>

namespace relaymock {

namespace {

struct ZoneRef {
  GTimeZone* tz = nullptr;
  explicit ZoneRef(std::string_view name) {
    if (name.empty() || name.size() > 64) return;
    // Only zone names: no TZ strings or paths from a query string.
    for (char c : name)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
            c == '-' || c == '+'))
        return;
    if (name.find("..") != std::string_view::npos || name.front() == '/') return;
    std::string s(name);
    tz = g_time_zone_new_identifier(s.c_str());
  }
  ~ZoneRef() {
    if (tz) g_time_zone_unref(tz);
  }
  ZoneRef(const ZoneRef&) = delete;
  ZoneRef& operator=(const ZoneRef&) = delete;
};

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

bool known_time_zone(std::string_view tz) {
  if (tz == "UTC" || tz == "Etc/UTC") return true;
  ZoneRef z(tz);
  return z.tz != nullptr;
}

TimePoint local_to_utc(CivilDate date, int hour, int minute, int second, std::string_view tz) {
  ZoneRef z(tz);
  if (!z.tz) {
    return time_from_civil(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second);
  }
  GDateTime* dt = g_date_time_new(z.tz, date.year, date.month, date.day, hour, minute, second);
  if (!dt) return time_from_civil(date);
  auto t = TimePoint(std::chrono::seconds(g_date_time_to_unix(dt)));
  g_date_time_unref(dt);
  return t;
}

std::optional<TimePoint> parse_user_date(std::string_view text, std::string_view tz) {
  if (auto exact = parse_rfc3339(text)) return exact;
  CivilDate d{};
  if (text.size() < 10 || !digits(text, 0, 4, d.year) || !digits(text, 5, 2, d.month) || !digits(text, 8, 2, d.day))
    return std::nullopt;
  char sep = text[4];
  if ((sep != '-' && sep != '/') || text[7] != sep) return std::nullopt;
  if (d.year < 1970 || d.year > 2200 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31) return std::nullopt;
  int h = 0, mi = 0, s = 0;
  auto rest = text.substr(10);
  if (!rest.empty()) {
    if ((rest[0] != ' ' && rest[0] != 'T') || !digits(rest, 1, 2, h) || rest.size() < 6 || rest[3] != ':' ||
        !digits(rest, 4, 2, mi))
      return std::nullopt;
    if (rest.size() > 6) {
      if (rest.size() != 9 || rest[6] != ':' || !digits(rest, 7, 2, s)) return std::nullopt;
    }
    if (h > 23 || mi > 59 || s > 59) return std::nullopt;
  }
  // A day that does not exist (2026-02-30) is refused, not rolled over.
  auto back = civil_from_time(time_from_civil(d));
  if (back.year != d.year || back.month != d.month || back.day != d.day) return std::nullopt;
  return local_to_utc(d, h, mi, s, tz);
}

}  // namespace relaymock
