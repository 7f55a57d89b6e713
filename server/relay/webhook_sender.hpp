// Posts the account's webhooks as the provider does: every event of the
// outcome scheduler a hook wants, as JSON or a form, with the hook's
// Authorization header; a 10 s timeout; a receiver that does not answer 2xx
// is tried again on the provider's schedule (kRetryAfter, on the
// controllable clock: POST /api/v1/clock plays the retries it passes, in
// order), 33 attempts over 48 hours, then the delivery has failed. Its own
// thread, driving libcurl's multi interface: never an SMTP event loop, and
// a receiver that hangs holds back only its own hook (one POST in flight per
// hook, so each receiver sees its events in order). Every attempt is kept
// (the last kMaxAttempts) for /api/v1/webhooks/deliveries and the UI. In
// durable mode each waiting delivery is a row of the store's `pending` table
// (kind "webhook"), so a receiver that is down across a restart loses nothing.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "relay/outcome_scheduler.hpp"
#include "store/durable.hpp"
#include "util/clock.hpp"

namespace relaymock::relay {

// One POST as it went.
struct WebhookAttempt {
  std::uint64_t delivery = 0;  // the delivery's number, the same for all its attempts
  std::uint64_t hook = 0;
  std::string url;
  std::string event;           // as sent ("open" or "opened")
  std::string rcpt;            // empty for processed
  std::string email_id;
  std::uint32_t attempt = 0;   // 1, 2, ...
  TimePoint at{};              // by the relay's clock
  long status = 0;             // the HTTP status; 0: none came
  std::int64_t latency_ms = 0;
  std::string response;        // the start of the answer's body
  std::string error;           // why no 2xx came (timeout, refused, 500, ...)
  std::string result;          // delivered | retrying | failed
  std::optional<TimePoint> next;  // retrying: when the next attempt is due
};

// A delivery waiting for its next attempt.
struct WebhookWaiting {
  std::uint64_t delivery = 0;
  std::uint64_t hook = 0;
  std::string event;
  std::string rcpt;
  std::string email_id;
  std::uint32_t attempts = 0;  // made so far
  TimePoint due{};
};

class WebhookSender {
 public:
  // After the first attempt (at the event's time), each retry's offset from
  // it: 4 more in the first 30 minutes, hourly to 24 h, every 6 h to 48 h.
  static const std::vector<std::chrono::minutes>& schedule();
  static constexpr std::size_t kMaxWaiting = 100'000;
  static constexpr std::size_t kMaxAttempts = 10'000;
  static constexpr std::size_t kMaxInFlight = 16;
  static constexpr std::size_t kResponseExcerpt = 512;

  using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;
  WebhookSender(const Clock& clock, ConfigSource config, store::Durable* durable = nullptr);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Durable mode, before start(): the deliveries a previous run left
  // waiting; how many (unreadable rows are logged and dropped).
  std::size_t restore();
  void start();
  // Stops; POSTs in flight are abandoned (their attempt is not counted).
  void stop();

  // An event as it happened: a delivery for each hook that wants it.
  void event(const ScheduledEvent& e);
  // The clock moved: look again at what is due.
  void wake();

  std::vector<WebhookAttempt> attempts(std::uint64_t hook, const std::string& email_id, std::size_t limit) const;
  std::vector<WebhookWaiting> waiting(std::size_t limit) const;
  struct Totals {
    std::uint64_t deliveries = 0, attempts = 0, delivered = 0, failed = 0, dropped = 0;
    std::size_t waiting = 0, in_flight = 0;
  };
  Totals totals() const;
  // Forgets what waits and what was attempted (POST /api/v1/reset).
  void clear();

 private:
  struct Delivery;
  struct InFlight;
  void loop();
  void start_due(void* multi);                 // mutex_ held
  void finished(InFlight& f, int code);        // records the attempt
  void save(const Delivery& d, TimePoint due);  // durable mode: the row as it waits now
  void forget(const Delivery& d);              // durable mode: no longer waits
  // Changes what the thread looks at (under the lock), then stirs it.
  void wake_with(const std::function<void()>& change);
  const Clock& clock_;
  ConfigSource config_;
  store::Durable* durable_;
  mutable std::mutex mutex_;
  std::multimap<std::pair<TimePoint, std::uint64_t>, std::shared_ptr<Delivery>> queue_;
  std::vector<std::unique_ptr<InFlight>> in_flight_;
  std::deque<WebhookAttempt> log_;
  std::uint64_t next_ = 0, next_delivery_ = 0;
  Totals totals_;
  bool stopping_ = false;
  void* multi_ = nullptr;  // the thread's CURLM, for curl_multi_wakeup
  std::thread thread_;
};

}  // namespace relaymock::relay
