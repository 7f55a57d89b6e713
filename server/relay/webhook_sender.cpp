#include "relay/webhook_sender.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "config/webhooks.hpp"
#include "relay/webhook_payload.hpp"
#include "util/log.hpp"
#include "util/thread_name.hpp"

namespace relaymock::relay {

using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
constexpr const char* kPendingKind = "webhook";
}  // namespace

struct WebhookSender::Delivery {
  std::uint64_t id = 0;
  std::uint64_t hook = 0;
  std::string event, rcpt, email_id;
  WebhookBody body;
  TimePoint first_due{};
  std::uint32_t attempts = 0;
};

struct WebhookSender::InFlight {
  std::shared_ptr<Delivery> d;
  std::string url;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string response;
  TimePoint at{};
  std::chrono::steady_clock::time_point started;
  char error[CURL_ERROR_SIZE] = {};
  ~InFlight() {
    if (easy) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }
};

namespace {

std::size_t keep_excerpt(char* data, std::size_t size, std::size_t n, void* user) {
  auto& out = *static_cast<std::string*>(user);
  const std::size_t bytes = size * n;
  if (out.size() < WebhookSender::kResponseExcerpt)
    out.append(data, std::min(bytes, WebhookSender::kResponseExcerpt - out.size()));
  return bytes;
}

bool curl_ready() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

}  // namespace

const std::vector<std::chrono::minutes>& WebhookSender::schedule() {
  static const std::vector<std::chrono::minutes> offsets = [] {
    std::vector<std::chrono::minutes> v{0min, 2min, 5min, 15min, 30min};
    for (int h = 1; h <= 24; ++h) v.emplace_back(std::chrono::hours(h));
    for (int h = 30; h <= 48; h += 6) v.emplace_back(std::chrono::hours(h));
    return v;
  }();
  return offsets;
}

WebhookSender::WebhookSender(const Clock& clock, ConfigSource config, store::Durable* durable)
    : clock_(clock), config_(std::move(config)), durable_(durable) {}

void WebhookSender::save(const Delivery& d, TimePoint due) {
  if (!durable_) return;
  json::object o{{"hook", d.hook},
                 {"event", d.event},
                 {"rcpt", d.rcpt},
                 {"email_id", d.email_id},
                 {"content_type", d.body.content_type},
                 {"body", d.body.bytes},
                 {"first_due_ms", ms_since_epoch(d.first_due)},
                 {"attempts", d.attempts},
                 {"due_ms", ms_since_epoch(due)}};
  durable_->put_pending_async(kPendingKind, d.id, json::serialize(o));
}

void WebhookSender::forget(const Delivery& d) {
  if (durable_) durable_->delete_pending_async(kPendingKind, d.id);
}

std::size_t WebhookSender::restore() {
  if (!durable_) return 0;
  std::size_t n = 0;
  std::lock_guard lock(mutex_);
  durable_->for_each_pending(kPendingKind, [&](std::uint64_t id, const std::string& text) {
    const auto v = json::parse(text);  // throws on what is not JSON: the store reports the row
    const auto& o = v.as_object();
    auto d = std::make_shared<Delivery>();
    d->id = id;
    d->hook = o.at("hook").to_number<std::uint64_t>();
    d->event = o.at("event").as_string();
    d->rcpt = o.at("rcpt").as_string();
    d->email_id = o.at("email_id").as_string();
    d->body = {std::string(o.at("content_type").as_string()), std::string(o.at("body").as_string())};
    d->first_due = from_ms_since_epoch(o.at("first_due_ms").to_number<std::int64_t>());
    d->attempts = o.at("attempts").to_number<std::uint32_t>();
    const TimePoint due(std::chrono::milliseconds(o.at("due_ms").to_number<std::int64_t>()));
    next_delivery_ = std::max(next_delivery_, id);
    queue_.emplace(std::make_pair(due, next_++), std::move(d));
    ++n;
  });
  return n;
}

WebhookSender::~WebhookSender() { stop(); }

void WebhookSender::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || !curl_ready()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void WebhookSender::stop() {
  wake_with([this] { stopping_ = true; });
  if (thread_.joinable()) thread_.join();
}

void WebhookSender::wake() {
  wake_with([] {});
}

void WebhookSender::wake_with(const std::function<void()>& change) {
  std::lock_guard lock(mutex_);
  change();
  if (multi_) curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void WebhookSender::event(const ScheduledEvent& e) {
  const auto cfg = config_();
  if (!cfg || cfg->webhooks.hooks.empty()) return;
  std::vector<std::shared_ptr<Delivery>> made;
  for (const auto& hook : cfg->webhooks.hooks) {
    if (!webhook_wants(hook, e)) continue;
    auto d = std::make_shared<Delivery>();
    d->hook = hook.id;
    d->body = webhook_body(e, hook, cfg->webhooks.library_names);
    d->event = config::webhook_event_out(webhook_event_of(e.planned.event), cfg->webhooks.library_names);
    d->rcpt = e.planned.recipient;
    d->email_id = e.message_id();
    d->first_due = e.planned.due;
    made.push_back(std::move(d));
  }
  if (made.empty()) return;
  std::size_t lost = 0;
  wake_with([&] {
    for (auto& d : made) {
      if (queue_.size() >= kMaxWaiting) {
        ++lost;
        continue;
      }
      d->id = ++next_delivery_;
      ++totals_.deliveries;
      save(*d, d->first_due);
      queue_.emplace(std::make_pair(d->first_due, next_++), std::move(d));
    }
    totals_.dropped += lost;
  });
  if (lost)
    logger().warning("webhook deliveries dropped",
                     {{"count", std::to_string(lost)}, {"why", "more than 100000 deliveries waiting"}});
}

void WebhookSender::start_due(void* m) {
  const auto now = clock_.now();
  const auto cfg = config_();
  std::set<std::uint64_t> busy;
  for (const auto& f : in_flight_) busy.insert(f->d->hook);
  for (auto it = queue_.begin(); it != queue_.end() && it->first.first <= now;) {
    if (in_flight_.size() >= kMaxInFlight) return;
    auto d = it->second;
    if (busy.count(d->hook)) {
      ++it;
      continue;
    }
    it = queue_.erase(it);
    // The hook as it is now: an edited URL or header applies to retries; a
    // removed hook ends its deliveries.
    const config::Webhook* hook = nullptr;
    for (const auto& h : cfg->webhooks.hooks)
      if (h.id == d->hook) hook = &h;
    if (!hook) {
      ++totals_.dropped;
      forget(*d);
      continue;
    }
    busy.insert(d->hook);
    auto f = std::make_unique<InFlight>();
    f->d = d;
    f->url = hook->url;
    f->easy = curl_easy_init();
    if (!f->easy) {
      queue_.emplace(std::make_pair(now + 1s, next_++), d);
      return;
    }
    f->headers = curl_slist_append(f->headers, ("Content-Type: " + d->body.content_type).c_str());
    f->headers = curl_slist_append(f->headers, "Expect:");
    if (!hook->auth_header_type.empty()) {
      const char* scheme = hook->auth_header_type == "basic" ? "Basic " : "Bearer ";
      f->headers = curl_slist_append(f->headers, ("Authorization: " + std::string(scheme) + hook->auth_header_value).c_str());
    }
    CURL* c = f->easy;
    curl_easy_setopt(c, CURLOPT_URL, f->url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(d->body.bytes.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, d->body.bytes.data());  // d outlives the transfer
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "relaymock-webhooks/" RELAYMOCK_VERSION);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg->webhooks.timeout.count()));
    if (!cfg->webhooks.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, cfg->webhooks.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_excerpt);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &f->response);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->error);
    curl_easy_setopt(c, CURLOPT_PRIVATE, f.get());
    f->at = now;
    f->started = std::chrono::steady_clock::now();
    if (curl_multi_add_handle(static_cast<CURLM*>(m), c) != CURLM_OK) {
      queue_.emplace(std::make_pair(now + 1s, next_++), d);
      return;
    }
    in_flight_.push_back(std::move(f));
  }
}

void WebhookSender::finished(InFlight& f, int code) {
  std::lock_guard lock(mutex_);
  auto& d = *f.d;
  WebhookAttempt a;
  a.delivery = d.id;
  a.hook = d.hook;
  a.url = f.url;
  a.event = d.event;
  a.rcpt = d.rcpt;
  a.email_id = d.email_id;
  a.attempt = ++d.attempts;
  a.at = f.at;
  curl_easy_getinfo(f.easy, CURLINFO_RESPONSE_CODE, &a.status);
  a.latency_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - f.started).count();
  a.response = std::move(f.response);
  const bool ok = code == CURLE_OK && a.status >= 200 && a.status < 300;
  if (code != CURLE_OK)
    a.error = f.error[0] ? f.error : curl_easy_strerror(static_cast<CURLcode>(code));
  else if (!ok)
    a.error = "HTTP " + std::to_string(a.status);
  const auto& offsets = schedule();
  ++totals_.attempts;
  if (ok) {
    a.result = "delivered";
    ++totals_.delivered;
    forget(d);
  } else if (d.attempts < offsets.size()) {
    a.result = "retrying";
    a.next = d.first_due + offsets[d.attempts];
    save(d, *a.next);
    queue_.emplace(std::make_pair(*a.next, next_++), f.d);
  } else {
    a.result = "failed";
    ++totals_.failed;
    forget(d);
  }
  logger().log(ok ? LogLevel::Info : LogLevel::Warning, "webhook",
               {{"hook", std::to_string(a.hook)}, {"url", a.url}, {"event", a.event}, {"id", a.email_id},
                {"rcpt", a.rcpt}, {"attempt", std::to_string(a.attempt)}, {"status", std::to_string(a.status)},
                {"result", a.result}, {"error", a.error}});
  log_.push_back(std::move(a));
  if (log_.size() > kMaxAttempts) log_.pop_front();
}

void WebhookSender::loop() {
  name_this_thread("rm-webhooks");
  CURLM* m = curl_multi_init();
  {
    std::lock_guard lock(mutex_);
    multi_ = m;
  }
  while (m) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      start_due(m);
    }
    int running = 0;
    curl_multi_perform(m, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(m, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const int code = msg->data.result;
      curl_multi_remove_handle(m, easy);
      InFlight* f = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &f);
      std::unique_ptr<InFlight> done;
      {
        std::lock_guard lock(mutex_);
        auto it = std::find_if(in_flight_.begin(), in_flight_.end(), [&](const auto& p) { return p.get() == f; });
        if (it == in_flight_.end()) continue;
        done = std::move(*it);
        in_flight_.erase(it);
      }
      finished(*done, code);
    }
    // Sleep until the next is due by the clock as it reads now (at most a
    // second: the clock may move meanwhile), or a transfer or wake() stirs.
    long wait = 1000;
    {
      std::lock_guard lock(mutex_);
      if (!queue_.empty()) {
        auto until = std::chrono::duration_cast<std::chrono::milliseconds>(queue_.begin()->first.first - clock_.now());
        if (until.count() > 0) wait = std::min<long>(wait, static_cast<long>(until.count()));
        else if (in_flight_.empty()) wait = 0;  // due now and nothing holds it back
      }
    }
    long curl_wait = -1;
    curl_multi_timeout(m, &curl_wait);
    if (curl_wait >= 0) wait = std::min(wait, curl_wait);
    curl_multi_poll(m, nullptr, 0, static_cast<int>(wait), nullptr);
  }
  std::lock_guard lock(mutex_);
  for (auto& f : in_flight_) {
    curl_multi_remove_handle(m, f->easy);
    queue_.emplace(std::make_pair(f->at, next_++), f->d);  // tried again after a restart of the thread
  }
  in_flight_.clear();
  multi_ = nullptr;
  if (m) curl_multi_cleanup(m);
}

std::vector<WebhookAttempt> WebhookSender::attempts(std::uint64_t hook, const std::string& email_id,
                                                    std::size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<WebhookAttempt> out;
  for (auto it = log_.rbegin(); it != log_.rend() && out.size() < limit; ++it)
    if ((!hook || it->hook == hook) && (email_id.empty() || it->email_id == email_id)) out.push_back(*it);
  return out;
}

std::vector<WebhookWaiting> WebhookSender::waiting(std::size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<WebhookWaiting> out;
  for (auto it = queue_.begin(); it != queue_.end() && out.size() < limit; ++it) {
    const auto& d = *it->second;
    out.push_back({d.id, d.hook, d.event, d.rcpt, d.email_id, d.attempts, it->first.first});
  }
  return out;
}

WebhookSender::Totals WebhookSender::totals() const {
  std::lock_guard lock(mutex_);
  Totals t = totals_;
  t.waiting = queue_.size();
  t.in_flight = in_flight_.size();
  return t;
}

void WebhookSender::clear() {
  std::lock_guard lock(mutex_);
  queue_.clear();
  log_.clear();
  if (durable_) durable_->delete_pending_kind_async(kPendingKind);
}

}  // namespace relaymock::relay
