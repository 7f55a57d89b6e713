#include "http/feed.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relaymock::http {

namespace asio = boost::asio;

struct Feed::State {
  explicit State(asio::any_io_executor ex) : timer(ex) {}
  std::mutex mutex;
  std::deque<relay::Outcome> queue;
  bool overflowed = false;
  bool woken = false;  // a wake-up is on its way to the reader
  asio::steady_timer timer;  // touched only on the reader's executor
};

Feed::Feed(relay::Bus& bus, asio::any_io_executor ex, std::vector<relay::Outcome::Kind> kinds)
    : state_(std::make_shared<State>(ex)) {
  // The handler runs on the publisher's thread: it queues and posts one
  // wake-up to the reader's executor, and owns what it touches.
  sub_ = bus.subscribe([state = state_, kinds = std::move(kinds)](const relay::Outcome& o) {
    if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), o.kind) == kinds.end()) return;
    {
      std::lock_guard lock(state->mutex);
      if (state->queue.size() >= kMaxQueued) {
        state->queue.clear();
        state->overflowed = true;
      } else {
        state->queue.push_back(o);
      }
      if (state->woken) return;
      state->woken = true;
    }
    asio::post(state->timer.get_executor(), [state] { state->timer.cancel(); });
  });
}

Feed::~Feed() { sub_ = {}; }

asio::awaitable<Feed::Batch> Feed::next(std::chrono::milliseconds timeout) {
  auto take = [this] {
    Batch b;
    std::lock_guard lock(state_->mutex);
    b.outcomes.assign(state_->queue.begin(), state_->queue.end());
    state_->queue.clear();
    b.overflowed = state_->overflowed;
    state_->overflowed = false;
    state_->woken = false;
    return b;
  };
  auto b = take();
  if (!b.outcomes.empty() || b.overflowed) co_return b;
  // A wake-up posted before this wait began has nothing left to cancel, but
  // then the queue was not empty above: nothing is missed.
  state_->timer.expires_after(timeout);
  co_await state_->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return take();
}

}  // namespace relaymock::http
