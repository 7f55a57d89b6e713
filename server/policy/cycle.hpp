// The monthly quota cycle.
#pragma once
#include "util/clock.hpp"

namespace relaymock::policy {

// The start and end of the quota cycle containing `now` that renews at 00:00
// UTC on `cycle_day` (1-28) of each month.
struct Cycle {
  TimePoint start, end;
};
Cycle cycle_containing(TimePoint now, int cycle_day);

}  // namespace relaymock::policy
