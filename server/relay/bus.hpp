// The in-process bus: every outcome of the transaction service (a session
// opened or closed, a decision, a message captured or deleted, a reload, the
// clock moved) is published here. Long-polls, and later the UI's live view,
// websockets and webhooks, subscribe; nothing polls the store on a timer.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace relaymock::relay {

struct Outcome {
  enum class Kind {
    SessionOpened,
    SessionClosed,
    Decision,         // an event was recorded (event_seq)
    MessageCaptured,  // message_id
    MessageDeleted,   // message_id
    MessagesCleared,
    EventsCleared,
    ConfigReloaded,
    ClockMoved,
    MessageUpdated,   // message_id: read or tags changed
    MessagesUpdated,  // many at once (mark all read, a tag renamed)
    FaultChanged,     // a listener's fault was switched
    ScenariosChanged, // added, removed, or replaced by a reload
    CountersReset,    // quota and rate-limit counts emptied
  };
  Kind kind;
  std::string session_id;
  std::string message_id;
  std::uint64_t event_seq = 0;
};
const char* outcome_kind_name(Outcome::Kind k);

class Bus {
 public:
  using Handler = std::function<void(const Outcome&)>;

  // Ends the subscription when destroyed. A handler runs on the publishing
  // thread and must be quick (post elsewhere for real work); it may still be
  // called once while its Subscription is being destroyed on another thread,
  // so it must own what it touches.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& o) noexcept : bus_(o.bus_), id_(o.id_) { o.bus_ = nullptr; }
    Subscription& operator=(Subscription&& o) noexcept;
    ~Subscription();

   private:
    friend class Bus;
    Subscription(Bus* b, std::uint64_t id) : bus_(b), id_(id) {}
    Bus* bus_ = nullptr;
    std::uint64_t id_ = 0;
  };

  [[nodiscard]] Subscription subscribe(Handler h);
  void publish(const Outcome& o);
  // Outcomes published so far.
  std::uint64_t published() const;

 private:
  struct Entry {
    std::uint64_t id;
    Handler handler;
  };
  void unsubscribe(std::uint64_t id);

  mutable std::mutex mutex_;
  // Copy on write: publishing takes a snapshot without holding the lock
  // while handlers run.
  std::shared_ptr<const std::vector<Entry>> handlers_ = std::make_shared<std::vector<Entry>>();
  std::uint64_t next_id_ = 0;
  std::uint64_t published_ = 0;
};

// Waits, on the caller's executor and without a thread, until `enough()` says
// yes or `wait` has passed; `enough` is asked again only when the bus has
// published something. True if it said yes.
boost::asio::awaitable<bool> wait_until(Bus& bus, std::chrono::milliseconds wait, std::function<bool()> enough);

// The same for a waiter that can judge an outcome by itself: `look` gets
// what was published since it last looked, of the `kinds` asked for only, so
// that a long-poll checks one new message instead of rescanning the store.
// It gets nullptr the first time, and when more was published meanwhile
// than is kept for it (kMaxKept): then it must look at everything.
inline constexpr std::size_t kMaxKept = 1024;
boost::asio::awaitable<bool> wait_for_outcomes(Bus& bus, std::chrono::milliseconds wait,
                                               std::vector<Outcome::Kind> kinds,
                                               std::function<bool(const std::vector<Outcome>*)> look);

// A long-poll's usual shape on top of that: `count_all()` reads the whole
// answer and says how many match; `matches(o)` says whether one `arrival`
// outcome adds a match; any of `recount_on` makes it read the whole again.
// Ends once `min` match or at the deadline, having read the whole answer
// last (so what the caller holds counts every match it saw).
boost::asio::awaitable<void> wait_for_matches(Bus& bus, std::chrono::milliseconds wait, Outcome::Kind arrival,
                                              std::vector<Outcome::Kind> recount_on, std::uint64_t min,
                                              std::function<std::size_t()> count_all,
                                              std::function<bool(const Outcome&)> matches);

}  // namespace relaymock::relay
