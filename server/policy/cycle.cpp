#include "policy/cycle.hpp"

#include "util/dates.hpp"

namespace relaymock::policy {

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
