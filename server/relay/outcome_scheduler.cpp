#include "relay/outcome_scheduler.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "store/codec.hpp"
#include "util/log.hpp"
#include "util/thread_name.hpp"

namespace relaymock::relay {

namespace json = boost::json;

namespace {

constexpr const char* kKind = "outcome";
constexpr policy::DeliveryEvent kEvents[] = {
    policy::DeliveryEvent::Processed, policy::DeliveryEvent::Delivered, policy::DeliveryEvent::SoftBounce,
    policy::DeliveryEvent::HardBounce, policy::DeliveryEvent::Spam,     policy::DeliveryEvent::Open,
    policy::DeliveryEvent::Click,     policy::DeliveryEvent::Unsubscribe, policy::DeliveryEvent::Reject};

TimePoint from_ms(const json::value& v) { return from_ms_since_epoch(v.to_number<std::int64_t>()); }

std::vector<std::string> strings(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}

// One waiting event as its row holds it: the event and its message's facts.
std::string event_row(const ScheduledEvent& e) {
  const auto& p = e.planned;
  const auto& m = *e.message;
  json::array headers;
  for (const auto& [k, v] : m.headers) headers.push_back(json::array{k, v});
  return json::serialize(json::object{
      {"due_ms", ms_since_epoch(p.due)}, {"event", policy::delivery_event_name(p.event)}, {"recipient", p.recipient},
      {"host", p.host}, {"reply", p.reply}, {"context", p.context}, {"url", p.url}, {"attempt", p.attempt},
      {"why", p.why},
      {"message", json::object{{"message_id", m.message_id}, {"session_id", m.session_id}, {"client_ip", m.client_ip},
                               {"port", m.port}, {"sender", m.sender}, {"recipients", store::json_strings(m.recipients)},
                               {"identity_kind", m.identity_kind}, {"identity_name", m.identity_name},
                               {"subject", m.subject}, {"accepted_at_ms", ms_since_epoch(m.accepted_at)}, {"from", m.from},
                               {"from_address", m.from_address}, {"message_id_header", m.message_id_header},
                               {"headers", std::move(headers)}}}});
}

ScheduledEvent event_from_row(const std::string& text,
                              std::map<std::string, std::shared_ptr<const OutcomeMessage>>& messages) {
  auto v = json::parse(text);
  const auto& o = v.as_object();
  ScheduledEvent e;
  auto& p = e.planned;
  p.due = from_ms(o.at("due_ms"));
  const auto name = o.at("event").as_string();
  auto kind = std::find_if(std::begin(kEvents), std::end(kEvents),
                           [&](policy::DeliveryEvent k) { return name == policy::delivery_event_name(k); });
  if (kind == std::end(kEvents)) throw std::invalid_argument("no such event");
  p.event = *kind;
  p.recipient = o.at("recipient").as_string();
  p.host = o.at("host").as_string();
  p.reply = o.at("reply").as_string();
  p.context = o.at("context").as_string();
  p.url = o.at("url").as_string();
  p.attempt = o.at("attempt").to_number<std::uint32_t>();
  p.why = o.at("why").as_string();
  const auto& mo = o.at("message").as_object();
  const std::string id(mo.at("message_id").as_string());
  auto& shared = messages[id];
  if (!shared) {
    OutcomeMessage m;
    m.message_id = id;
    m.session_id = mo.at("session_id").as_string();
    m.client_ip = mo.at("client_ip").as_string();
    m.port = mo.at("port").to_number<std::uint16_t>();
    m.sender = mo.at("sender").as_string();
    m.recipients = strings(mo.at("recipients"));
    m.identity_kind = mo.at("identity_kind").as_string();
    m.identity_name = mo.at("identity_name").as_string();
    m.subject = mo.at("subject").as_string();
    m.accepted_at = from_ms(mo.at("accepted_at_ms"));
    m.from = mo.at("from").as_string();
    m.from_address = mo.at("from_address").as_string();
    m.message_id_header = mo.at("message_id_header").as_string();
    for (const auto& h : mo.at("headers").as_array())
      m.headers.emplace_back(h.as_array().at(0).as_string(), h.as_array().at(1).as_string());
    shared = std::make_shared<const OutcomeMessage>(std::move(m));
  }
  e.message = shared;
  return e;
}

}  // namespace

OutcomeScheduler::OutcomeScheduler(const Clock& clock, Record record, store::Durable* durable)
    : clock_(clock), record_(std::move(record)), durable_(durable) {}

std::size_t OutcomeScheduler::restore() {
  if (!durable_) return 0;
  std::map<std::string, std::shared_ptr<const OutcomeMessage>> messages;
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  durable_->for_each_pending(kKind, [&](std::uint64_t id, const std::string& text) {
    auto e = event_from_row(text, messages);  // throws on an unreadable row: the store reports it
    e.saved = id;
    next_ = std::max(next_, id + 1);
    queue_.emplace(std::make_pair(e.planned.due, id), std::move(e));
    ++n;
  });
  return n;
}

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
      // Only what waits for the clock is written: an event due now is
      // recorded before a restart could lose it.
      if (durable_ && e.planned.due > clock_.now()) {
        e.saved = key.second;
        durable_->put_pending_async(kKind, e.saved, event_row(e));
      }
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
    if (e.saved) durable_->delete_pending_async(kKind, e.saved);
    ++n;
  }
}

void OutcomeScheduler::loop() {
  name_this_thread("rm-outcomes");
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
  if (durable_) durable_->delete_pending_kind_async(kKind);
  return n;
}

}  // namespace relaymock::relay
