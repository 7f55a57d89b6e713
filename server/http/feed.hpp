// A live view's subscription to the bus (the UI's event stream, Mailpit's
// WebSocket, MailHog's EventSource): outcomes queue here as they are
// published, on whatever thread publishes them, and the connection's
// coroutine takes them in batches on the HTTP thread. Bounded: a reader
// that falls more than kMaxQueued behind is told to read everything again.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "relay/bus.hpp"

namespace relaymock::http {

class Feed {
 public:
  static constexpr std::size_t kMaxQueued = 10'000;
  // `kinds`: the outcomes wanted (empty: all).
  Feed(relay::Bus& bus, boost::asio::any_io_executor ex, std::vector<relay::Outcome::Kind> kinds = {});
  ~Feed();
  Feed(const Feed&) = delete;
  Feed& operator=(const Feed&) = delete;

  struct Batch {
    std::vector<relay::Outcome> outcomes;
    bool overflowed = false;  // some were dropped: read the whole state again
  };
  // What arrived since the last call, waiting up to `timeout` for something
  // (an empty batch when nothing came).
  boost::asio::awaitable<Batch> next(std::chrono::milliseconds timeout);

 private:
  struct State;
  std::shared_ptr<State> state_;
  relay::Bus::Subscription sub_;
};

}  // namespace relaymock::http
