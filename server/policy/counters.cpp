#include "policy/counters.hpp"

namespace relaymock::policy {
namespace {
std::int64_t day_of(std::int64_t ms) {
  constexpr std::int64_t kDay = 86'400'000;
  return ms >= 0 ? ms / kDay : -((-ms + kDay - 1) / kDay);
}
}  // namespace

std::uint64_t Counters::used_in(const Cycle& cycle) const {
  std::uint64_t n = 0;
  auto end = quota_days_.lower_bound(day_of(ms_since_epoch(cycle.end)));
  for (auto it = quota_days_.lower_bound(day_of(ms_since_epoch(cycle.start))); it != end; ++it) n += it->second;
  return n;
}

void Counters::prune(Window& w, std::int64_t now_ms, std::int64_t per_ms) {
  // Sliding window: a recipient counted at t is in the window while t > now - per.
  while (!w.events.empty() && w.events.front().first <= now_ms - per_ms) {
    w.sum -= w.events.front().second;
    w.events.pop_front();
  }
}

Counters::Check Counters::reserve(const std::string& key, const std::optional<config::RateLimit>& rate,
                                  const std::optional<std::uint64_t>& quota, const Cycle& cycle, TimePoint now,
                                  bool hold, std::uint64_t ahead) {
  std::lock_guard lock(mutex_);
  Check c;
  if (quota) {
    c.quota = Standing{used_in(cycle), quota_reserved_ + ahead, *quota, cycle.end};
    if (c.quota->used + c.quota->reserved + 1 > *quota) {
      c.block = Block::Quota;
      c.used = c.quota->used, c.reserved = c.quota->reserved, c.limit = *quota;
      return c;
    }
  }
  Window* w = nullptr;
  if (rate) {
    auto it = windows_.find(key);
    if (hold || it != windows_.end()) {
      w = hold ? &windows_[key] : &it->second;
      prune(*w, ms_since_epoch(now), rate->per.count());
    }
    Standing s{w ? w->sum : 0, (w ? w->reserved : 0) + ahead, rate->count, now + rate->per};
    if (w && !w->events.empty()) s.frees_at = from_ms_since_epoch(w->events.front().first) + rate->per;
    c.rate = s;
    if (s.used + s.reserved + 1 > rate->count) {
      c.block = Block::Rate;
      c.used = s.used, c.reserved = s.reserved, c.limit = rate->count;
      return c;
    }
  }
  if (!hold) return c;
  ++quota_reserved_;
  if (w) ++w->reserved;
  else ++windows_[key].reserved;
  return c;
}

void Counters::commit(const std::string& key, const std::optional<config::RateLimit>& rate, std::uint64_t n,
                      TimePoint now) {
  if (n == 0) return;
  std::lock_guard lock(mutex_);
  auto t = ms_since_epoch(now);
  quota_reserved_ -= std::min(quota_reserved_, n);
  quota_days_[day_of(t)] += n;
  if (quota_days_.size() > kQuotaDaysKept) quota_days_.erase(quota_days_.begin());
  auto& w = windows_[key];
  w.reserved -= std::min(w.reserved, n);
  if (!rate) return;
  prune(w, t, rate->per.count());
  if (!w.events.empty() && w.events.back().first == t) w.events.back().second += n;
  else w.events.emplace_back(t, n);
  w.sum += n;
}

void Counters::release(const std::string& key, std::uint64_t n) {
  if (n == 0) return;
  std::lock_guard lock(mutex_);
  quota_reserved_ -= std::min(quota_reserved_, n);
  auto it = windows_.find(key);
  if (it != windows_.end()) it->second.reserved -= std::min(it->second.reserved, n);
}

std::uint64_t Counters::quota_used(const Cycle& cycle) {
  std::lock_guard lock(mutex_);
  return used_in(cycle);
}

RateUsage Counters::rate_usage(const std::string& key, const config::RateLimit& rate, TimePoint now) {
  std::lock_guard lock(mutex_);
  RateUsage u;
  u.key = key;
  auto it = windows_.find(key);
  if (it == windows_.end()) return u;
  prune(it->second, ms_since_epoch(now), rate.per.count());
  u.used = it->second.sum;
  u.reserved = it->second.reserved;
  if (!it->second.events.empty())
    u.resets_at = from_ms_since_epoch(it->second.events.front().first) + rate.per;
  return u;
}

void Counters::clear() {
  std::lock_guard lock(mutex_);
  quota_days_.clear();
  for (auto& [k, w] : windows_) {
    w.events.clear();
    w.sum = 0;
  }
}

}  // namespace relaymock::policy
