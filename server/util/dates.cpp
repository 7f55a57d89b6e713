#include "util/dates.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace relaymock {

CivilDate civil_from_time(TimePoint t) {
  auto days = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{days};
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

TimePoint time_from_civil(CivilDate d) {
  std::chrono::year_month_day ymd{std::chrono::year(d.year), std::chrono::month(static_cast<unsigned>(d.month)),
                                  std::chrono::day(static_cast<unsigned>(d.day))};
  return TimePoint(std::chrono::sys_days(ymd));
}

std::string rfc5322_date(TimePoint t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string rfc3339(TimePoint t) {
  auto civil = civil_from_time(t);
  auto in_day = std::chrono::duration_cast<std::chrono::milliseconds>(t - time_from_civil(civil)).count();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", civil.year, civil.month, civil.day,
                static_cast<int>(in_day / 3600000), static_cast<int>(in_day / 60000 % 60),
                static_cast<int>(in_day / 1000 % 60), static_cast<int>(in_day % 1000));
  return buf;
}

std::string rfc3339_seconds(TimePoint t) {
  auto s = rfc3339(t);
  s.erase(19, 4);  // ".520"
  return s;
}

std::optional<TimePoint> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)
  int y, mo, d, h, mi, sec, n = 0;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
    return std::nullopt;
  // Nanosecond system_clock time ends in 2262.
  if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::size_t pos = 19;
  long ms = 0;
  if (pos < str.size() && str[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < str.size() && std::isdigit(static_cast<unsigned char>(str[pos]))) {
      if (digits < 3) ms = ms * 10 + (str[pos] - '0');
      ++digits, ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) ms *= 10;
  }
  long offset = 0;
  if (pos < str.size() && (str[pos] == 'Z' || str[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == str.size() && (str[pos] == '+' || str[pos] == '-') && str[pos + 3] == ':') {
    int oh, om;
    if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = (oh * 60 + om) * 60 * (str[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != str.size()) return std::nullopt;
  return time_from_civil({y, mo, d}) +
         std::chrono::milliseconds((static_cast<long long>(h) * 3600 + mi * 60 + sec - offset) * 1000 + ms);
}

std::optional<CivilDate> parse_civil_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto digits = [&](std::size_t from, std::size_t n) {
    int v = 0;
    for (std::size_t i = from; i < from + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  CivilDate d{digits(0, 4), digits(5, 2), digits(8, 2)};
  // Only the years the relay's clock may read: a time point outside them
  // would not fit system_clock's nanoseconds (found by the import fuzzer).
  if (d.year < 1970 || d.year > 2200 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31) return std::nullopt;
  auto back = civil_from_time(time_from_civil(d));  // 31 February comes back as 3 March
  if (back.year != d.year || back.month != d.month || back.day != d.day) return std::nullopt;
  return d;
}

std::string civil_text(CivilDate d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

}  // namespace relaymock
