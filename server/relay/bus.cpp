#include "relay/bus.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>

namespace relaymock::relay {

namespace asio = boost::asio;

const char* outcome_kind_name(Outcome::Kind k) {
  switch (k) {
    case Outcome::Kind::SessionOpened: return "session_opened";
    case Outcome::Kind::SessionClosed: return "session_closed";
    case Outcome::Kind::Decision: return "decision";
    case Outcome::Kind::MessageCaptured: return "message_captured";
    case Outcome::Kind::MessageDeleted: return "message_deleted";
    case Outcome::Kind::MessagesCleared: return "messages_cleared";
    case Outcome::Kind::EventsCleared: return "events_cleared";
    case Outcome::Kind::ConfigReloaded: return "config_reloaded";
    case Outcome::Kind::ClockMoved: return "clock_moved";
    case Outcome::Kind::MessageUpdated: return "message_updated";
    case Outcome::Kind::MessagesUpdated: return "messages_updated";
    case Outcome::Kind::FaultChanged: return "fault_changed";
    case Outcome::Kind::ScenariosChanged: return "scenarios_changed";
    case Outcome::Kind::CountersReset: return "counters_reset";
  }
  return "?";
}

Bus::Subscription& Bus::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    if (bus_) bus_->unsubscribe(id_);
    bus_ = o.bus_;
    id_ = o.id_;
    o.bus_ = nullptr;
  }
  return *this;
}

Bus::Subscription::~Subscription() {
  if (bus_) bus_->unsubscribe(id_);
}

Bus::Subscription Bus::subscribe(Handler h) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<std::vector<Entry>>(*handlers_);
  next->push_back({++next_id_, std::move(h)});
  handlers_ = std::move(next);
  return Subscription(this, next_id_);
}

void Bus::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<std::vector<Entry>>();
  for (const auto& e : *handlers_)
    if (e.id != id) next->push_back(e);
  handlers_ = std::move(next);
}

void Bus::publish(const Outcome& o) {
  std::shared_ptr<const std::vector<Entry>> snapshot;
  {
    std::lock_guard lock(mutex_);
    ++published_;
    snapshot = handlers_;
  }
  for (const auto& e : *snapshot) e.handler(o);
}

std::uint64_t Bus::published() const {
  std::lock_guard lock(mutex_);
  return published_;
}

asio::awaitable<bool> wait_until(Bus& bus, std::chrono::milliseconds wait, std::function<bool()> enough) {
  std::vector<Outcome::Kind> all;  // every kind
  co_return co_await wait_for_outcomes(bus, wait, std::move(all), [&](const std::vector<Outcome>*) { return enough(); });
}

asio::awaitable<bool> wait_for_outcomes(Bus& bus, std::chrono::milliseconds wait, std::vector<Outcome::Kind> kinds,
                                        std::function<bool(const std::vector<Outcome>*)> look) {
  auto executor = co_await asio::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  // Shared with the handler, which may run on another thread after we left.
  struct Waiter {
    explicit Waiter(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    std::mutex mutex;
    std::vector<Outcome> seen;
    bool overflow = false;
    bool changed = false;
  };
  auto w = std::make_shared<Waiter>(executor);
  // Subscribed before the first look, so nothing published in between is missed.
  auto sub = bus.subscribe([w, executor, kinds = std::move(kinds)](const Outcome& o) {
    if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), o.kind) == kinds.end()) return;
    bool wake = false;
    {
      std::lock_guard lock(w->mutex);
      if (w->seen.size() < kMaxKept) w->seen.push_back(o);
      else w->overflow = true;
      wake = !std::exchange(w->changed, true);
    }
    if (wake) asio::post(executor, [w] { w->timer.cancel(); });
  });
  if (look(nullptr)) co_return true;
  std::vector<Outcome> batch;
  while (true) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    w->timer.expires_at(deadline);
    bool overflow = false;
    // A publish between this look and the wait queues its cancel on this
    // executor, which runs only once we wait: the wake-up is never lost (a
    // stale cancel only wakes us to an empty batch).
    bool pending;
    {
      std::lock_guard lock(w->mutex);
      pending = w->changed;
    }
    if (!pending) {
      boost::system::error_code ec;
      co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    {
      std::lock_guard lock(w->mutex);
      batch.swap(w->seen);
      w->seen.clear();
      overflow = std::exchange(w->overflow, false);
      w->changed = false;
    }
    if (batch.empty() && !overflow) continue;
    if (look(overflow ? nullptr : &batch)) co_return true;
    batch.clear();
  }
}

asio::awaitable<void> wait_for_matches(Bus& bus, std::chrono::milliseconds wait, Outcome::Kind arrival,
                                       std::vector<Outcome::Kind> recount_on, std::uint64_t min,
                                       std::function<std::size_t()> count_all,
                                       std::function<bool(const Outcome&)> matches) {
  std::size_t matched = 0;
  bool stale = false;  // matched counts outcomes the last full read did not see
  recount_on.push_back(arrival);
  bool enough = co_await wait_for_outcomes(bus, wait, std::move(recount_on), [&](const std::vector<Outcome>* news) {
    if (news) {
      bool recount = false;
      for (const auto& o : *news) {
        if (o.kind != arrival) {
          recount = true;
        } else if (matches(o)) {
          ++matched;
          stale = true;
        }
      }
      if (!recount && matched < min) return false;
    }
    matched = count_all();
    stale = false;
    return matched >= min;
  });
  if (!enough && stale) count_all();
}

}  // namespace relaymock::relay
