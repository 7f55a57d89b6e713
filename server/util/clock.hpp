// The one source of time. The running server uses the system clock plus an
// offset a test can set (POST /api/v1/clock); unit tests use ManualClock.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>

namespace relaymock {

using TimePoint = std::chrono::system_clock::time_point;

// Milliseconds since the epoch: how the store and the JSON rows keep a time.
inline std::int64_t ms_since_epoch(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
// And back.
inline TimePoint from_ms_since_epoch(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : ms_(ms_since_epoch(start)) {}
  TimePoint now() const override { return from_ms_since_epoch(ms_.load()); }
  void set(TimePoint t) { ms_ = ms_since_epoch(t); }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }

 private:
  std::atomic<std::int64_t> ms_;
};

// The system clock plus an offset.
class OffsetClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::system_clock::now() + std::chrono::milliseconds(offset_ms_.load());
  }
  void set_offset(std::chrono::milliseconds d) { offset_ms_ = d.count(); }
  std::chrono::milliseconds offset() const { return std::chrono::milliseconds(offset_ms_.load()); }

 private:
  std::atomic<std::int64_t> offset_ms_{0};
};

}  // namespace relaymock
