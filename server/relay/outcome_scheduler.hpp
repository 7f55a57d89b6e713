// Plays the planned outcomes of accepted messages (policy/outcomes) on the
// controllable clock: each event is recorded, through the service, once the
// clock reaches its due time, in due order; POST /api/v1/clock {"advance"}
// makes everything it passes happen at once, in order. Its own thread: never
// on an SMTP event loop. Bounded: past kMaxPending waiting events, a new
// message's later events are dropped (counted and logged), not queued. In
// durable mode an event that waits for the clock is a row of the store's
// `pending` table (kind "outcome"), restored at start: a restart loses none.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "policy/outcomes.hpp"
#include "store/durable.hpp"
#include "util/clock.hpp"

namespace relaymock::relay {

// The facts of an accepted message its events name, shared by all of them.
struct OutcomeMessage {
  std::string message_id;
  std::string session_id;
  std::string client_ip;
  std::uint16_t port = 0;
  std::string sender;
  std::vector<std::string> recipients;
  std::string identity_kind;
  std::string identity_name;
  std::string subject;
  TimePoint accepted_at{};
  std::string from_address;  // the From field's address
  // What webhooks' payloads add (read only when the account has webhooks):
  std::string from;          // the From field as written (decoded)
  std::string message_id_header;  // the Message-ID field
  std::vector<std::pair<std::string, std::string>> headers;  // the fields hooks name, as found
};

// One planned event of a message.
struct ScheduledEvent {
  policy::PlannedEvent planned;
  std::shared_ptr<const OutcomeMessage> message;
  std::uint64_t saved = 0;  // its row in durable mode (0: none: it was due at once)
  const std::string& message_id() const { return message->message_id; }
  // processed: all the message's recipients; else the one.
  std::vector<std::string> recipients() const {
    return planned.recipient.empty() ? message->recipients : std::vector<std::string>{planned.recipient};
  }
};

class OutcomeScheduler {
 public:
  static constexpr std::size_t kMaxPending = 200'000;
  using Record = std::function<void(const ScheduledEvent&)>;

  OutcomeScheduler(const Clock& clock, Record record, store::Durable* durable = nullptr);
  ~OutcomeScheduler();
  OutcomeScheduler(const OutcomeScheduler&) = delete;
  OutcomeScheduler& operator=(const OutcomeScheduler&) = delete;

  // Durable mode, before start(): the events a previous run left waiting;
  // how many (unreadable rows are logged and dropped).
  std::size_t restore();
  // Starts the thread that records events as they fall due.
  void start();
  // Stops it; events still waiting stay waiting (and are listed).
  void stop();

  // A message's events; those already due are recorded at once (by the thread).
  void add(std::vector<ScheduledEvent> events);
  // The clock moved: look again at what is due.
  void wake();
  // Records, in due order, everything due by the clock now; how many.
  std::size_t run_due();

  std::vector<ScheduledEvent> pending(std::size_t limit) const;
  std::size_t pending_count() const;
  std::uint64_t dropped() const;
  // Forgets what is waiting (POST /api/v1/reset); how many.
  std::size_t clear();

 private:
  void loop();
  const Clock& clock_;
  Record record_;
  store::Durable* durable_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  // Due time, then arrival order: events due together keep their order.
  std::multimap<std::pair<TimePoint, std::uint64_t>, ScheduledEvent> queue_;
  std::uint64_t next_ = 1;  // also a waiting row's id in durable mode (0: none)
  std::uint64_t dropped_ = 0;
  bool stopping_ = false;
  bool woken_ = false;
  std::mutex run_mutex_;  // one runner at a time, so the order holds
  std::thread thread_;
};

}  // namespace relaymock::relay
