#include "policy/clock.hpp"

namespace relaymock::policy {

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

Cycle cycle_containing(TimePoint now, int cycle_day) {
  auto c = civil_from_time(now);
  CivilDate start{c.year, c.month, cycle_day};
  if (c.day < cycle_day) {
    if (--start.month == 0) {
      start.month = 12;
      --start.year;
    }
  }
  CivilDate end{start.year, start.month + 1, cycle_day};
  if (end.month == 13) {
    end.month = 1;
    ++end.year;
  }
  return {time_from_civil(start), time_from_civil(end)};
}

}  // namespace relaymock::policy
