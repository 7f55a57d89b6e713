// Quota and rate-limit counters: recipients of accepted messages, plus
// reservations held by transactions in flight so that concurrent sessions
// never push a count past its limit. Thread-safe; time comes from the caller.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "policy/cycle.hpp"
#include "util/clock.hpp"

namespace relaymock::policy {

struct RateUsage {
  std::string key;             // "user:app", "ip:10.1.0.0/16"
  std::uint64_t used = 0;      // accepted in the current window
  std::uint64_t reserved = 0;  // held by open transactions
  TimePoint resets_at{};       // when the oldest counted recipient leaves the window
};

class Counters {
 public:
  // Days of quota history kept (about three years): bounded memory whatever
  // the clock does; older days fall out first.
  static constexpr std::size_t kQuotaDaysKept = 1100;

  enum class Block { None, Quota, Rate };
  // Where one counter stood when a recipient was asked for.
  struct Standing {
    std::uint64_t used = 0, reserved = 0, limit = 0;
    TimePoint frees_at{};  // rate: when the oldest counted recipient leaves the window
  };
  struct Check {
    Block block = Block::None;
    std::uint64_t used = 0, reserved = 0, limit = 0;  // of the counter that blocked
    std::optional<Standing> quota, rate;              // each counter asked (rate: not when the quota blocked)
  };

  // Reserves one recipient against the account quota and the identity's rate
  // limit (either may be absent), or says which one it would pass. With
  // hold false nothing is reserved (explain): `ahead` recipients the same
  // transaction would hold first count as reserved.
  Check reserve(const std::string& key, const std::optional<config::RateLimit>& rate,
                const std::optional<std::uint64_t>& quota, const Cycle& cycle, TimePoint now, bool hold = true,
                std::uint64_t ahead = 0);
  // A message was accepted: its reserved recipients become counted ones,
  // on the day of `now` for the quota and at `now` for a rate limit. Only
  // identities with a rate limit keep per-recipient history.
  void commit(const std::string& key, const std::optional<config::RateLimit>& rate, std::uint64_t n, TimePoint now);
  // A transaction ended without delivery.
  void release(const std::string& key, std::uint64_t n);

  std::uint64_t quota_used(const Cycle& cycle);
  RateUsage rate_usage(const std::string& key, const config::RateLimit& rate, TimePoint now);
  void clear();

 private:
  struct Window {
    std::deque<std::pair<std::int64_t, std::uint64_t>> events;  // (ms since epoch, recipients)
    std::uint64_t sum = 0;
    std::uint64_t reserved = 0;
  };
  static void prune(Window& w, std::int64_t now_ms, std::int64_t per_ms);
  std::uint64_t used_in(const Cycle& cycle) const;

  std::mutex mutex_;
  // Recipients counted per UTC day (days since the epoch). A cycle starts
  // at 00:00 UTC, so any cycle is a run of whole days: a reload that moves
  // cycle_day, or a clock set into another cycle and back, reads the count
  // again rather than starting it over.
  std::map<std::int64_t, std::uint64_t> quota_days_;
  std::uint64_t quota_reserved_ = 0;
  std::map<std::string, Window> windows_;
};

}  // namespace relaymock::policy
