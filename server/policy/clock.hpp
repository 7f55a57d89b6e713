// The one source of time for policy decisions. The running server uses the
// system clock plus an offset a test can set; unit tests use ManualClock.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>

namespace relaymock::policy {

using TimePoint = std::chrono::system_clock::time_point;
using std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : ms_(to_ms(start)) {}
  TimePoint now() const override { return TimePoint(milliseconds(ms_.load())); }
  void set(TimePoint t) { ms_ = to_ms(t); }
  void advance(milliseconds d) { ms_ += d.count(); }

 private:
  static std::int64_t to_ms(TimePoint t) {
    return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
  }
  std::atomic<std::int64_t> ms_;
};

// Civil-time helpers in UTC for quota cycles.
struct CivilDate {
  int year, month, day;  // month 1-12
};
CivilDate civil_from_time(TimePoint t);
TimePoint time_from_civil(CivilDate d);  // 00:00:00 UTC on that day

// The start and end of the quota cycle containing `now` that renews at 00:00
// UTC on `cycle_day` (1-28) of each month.
struct Cycle {
  TimePoint start, end;
};
Cycle cycle_containing(TimePoint now, int cycle_day);

}  // namespace relaymock::policy
