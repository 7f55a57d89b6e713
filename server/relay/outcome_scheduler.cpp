#include "relay/outcome_scheduler.hpp"

#include "util/log.hpp"

namespace relaymock::relay {

OutcomeScheduler::OutcomeScheduler(const Clock& clock, Record record) : clock_(clock), record_(std::move(record)) {}

OutcomeScheduler::~OutcomeScheduler() { stop(); }

void OutcomeScheduler::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void OutcomeScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutcomeScheduler::add(std::vector<ScheduledEvent> events) {
  if (events.empty()) return;
  std::size_t lost = 0;
  {
    std::lock_guard lock(mutex_);
    for (auto& e : events) {
      // The processed and first events of a message always fit; a flood's
      // later ones (opens, clicks, retries) are what the bound drops.
      if (queue_.size() >= kMaxPending && e.planned.due > clock_.now()) {
        ++lost;
        continue;
      }
      auto key = std::make_pair(e.planned.due, next_++);
      queue_.emplace(key, std::move(e));
    }
    dropped_ += lost;
    woken_ = true;
  }
  if (lost)
    logger().log(LogLevel::Warning, "outcome events dropped",
                 {{"count", std::to_string(lost)}, {"why", "more than 200000 events waiting for the clock"}});
  cv_.notify_all();
}

void OutcomeScheduler::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

std::size_t OutcomeScheduler::run_due() {
  std::lock_guard run(run_mutex_);
  std::size_t n = 0;
  while (true) {
    ScheduledEvent e;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty() || queue_.begin()->first.first > clock_.now()) return n;
      auto it = queue_.begin();
      e = std::move(it->second);
      queue_.erase(it);
    }
    record_(e);
    ++n;
  }
}

void OutcomeScheduler::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    woken_ = false;
    lock.unlock();
    run_due();
    lock.lock();
    if (stopping_ || woken_) continue;
    // Sleep until the next is due by the clock as it reads now; at most a
    // second, since the clock may be set back or forward meanwhile.
    auto wait = std::chrono::milliseconds(1000);
    if (!queue_.empty()) {
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(queue_.begin()->first.first - clock_.now());
      if (until < wait) wait = std::max(until, std::chrono::milliseconds(0));
    }
    cv_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
  }
}

std::vector<ScheduledEvent> OutcomeScheduler::pending(std::size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<ScheduledEvent> out;
  for (auto it = queue_.begin(); it != queue_.end() && out.size() < limit; ++it) out.push_back(it->second);
  return out;
}

std::size_t OutcomeScheduler::pending_count() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::uint64_t OutcomeScheduler::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::size_t OutcomeScheduler::clear() {
  std::lock_guard lock(mutex_);
  auto n = queue_.size();
  queue_.clear();
  return n;
}

}  // namespace relaymock::relay
