// Counters for GET /metrics. Atomics on the hot path; replies by code and rule
// id under a mutex (a handful of distinct keys).
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace relaymock::relay {

struct Metrics {
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> connections_refused_total{0};
  std::atomic<std::int64_t> sessions_open{0};
  std::atomic<std::uint64_t> tls_sessions_total{0};
  std::atomic<std::uint64_t> messages_accepted_total{0};
  std::atomic<std::uint64_t> recipients_accepted_total{0};
  std::atomic<std::uint64_t> bytes_received_total{0};
  std::atomic<std::uint64_t> accepted_bytes_total{0};     // of accepted messages
  std::atomic<std::uint64_t> decisions_refused_total{0};  // refusals by a rule or scenario
  std::atomic<std::uint64_t> messages_deleted_total{0};
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<std::int64_t> http_connections_open{0};
  std::atomic<std::int64_t> http_requests_in_progress{0};
  std::atomic<std::uint64_t> http_connections_refused_total{0};

  void count_reply(int code, const std::string& rule) {
    std::lock_guard lock(mutex_);
    ++replies_[{code, rule}];
  }
  std::map<std::pair<int, std::string>, std::uint64_t> replies() const {
    std::lock_guard lock(mutex_);
    return replies_;
  }
  // What happened after the 250, by event (delivered, hard_bounce, ...).
  void count_outcome(const std::string& event) {
    std::lock_guard lock(mutex_);
    ++outcomes_[event];
  }
  std::map<std::string, std::uint64_t> outcomes() const {
    std::lock_guard lock(mutex_);
    return outcomes_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<int, std::string>, std::uint64_t> replies_;
  std::map<std::string, std::uint64_t> outcomes_;
};

}  // namespace relaymock::relay
