// /api/v1/webhooks: the account's webhooks in force (from the config and the
// API v3's /webhook/*), what waits for a retry, and totals;
// /api/v1/webhooks/deliveries: every attempt, newest first (hook=, email_id=,
// limit=), with its time, HTTP status, latency and the answer's start.
#include <boost/json.hpp>

#include "http/config_json.hpp"
#include "http/resources.hpp"
#include "util/dates.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

Handled get_webhooks(Call& c) {
  std::uint64_t limit = 100;
  if (!c.query.number("limit", limit, 1, 10'000)) co_return c.error(status::bad_request, c.query.problem);
  auto cfg = c.ctx.engine.config();
  json::array hooks;
  for (const auto& w : cfg->webhooks.hooks) hooks.push_back(webhook_json(w));
  json::array waiting;
  json::object totals;
  if (auto* s = c.ctx.webhooks) {
    for (const auto& w : s->waiting(limit))
      waiting.push_back(json::object{{"delivery", w.delivery},
                                     {"hook", w.hook},
                                     {"event", w.event},
                                     {"rcpt", w.rcpt},
                                     {"email_id", w.email_id},
                                     {"attempts", w.attempts},
                                     {"due", rfc3339(w.due)}});
    auto t = s->totals();
    totals = json::object{{"deliveries", t.deliveries}, {"attempts", t.attempts}, {"delivered", t.delivered},
                          {"failed", t.failed},         {"dropped", t.dropped},   {"waiting", t.waiting},
                          {"in_flight", t.in_flight}};
  }
  json::array schedule;
  for (auto m : relay::WebhookSender::schedule()) schedule.emplace_back(m.count() * 60);
  co_return c.json(status::ok, json::object{{"hooks", std::move(hooks)},
                                            {"event_names", cfg->webhooks.library_names ? "library" : "docs"},
                                            {"timeout_ms", cfg->webhooks.timeout.count()},
                                            {"ca_file", cfg->webhooks.ca_file},
                                            {"retry_offsets_seconds", std::move(schedule)},
                                            {"now", rfc3339(c.ctx.clock.now())},
                                            {"totals", std::move(totals)},
                                            {"waiting", std::move(waiting)}});
}

Handled get_webhook_deliveries(Call& c) {
  std::uint64_t limit = 100, hook = 0;
  if (!c.query.number("limit", limit, 1, 10'000) || !c.query.number("hook", hook, 1, 1'000'000'000))
    co_return c.error(status::bad_request, c.query.problem);
  const std::string email_id = c.query.text("email_id");
  json::array out;
  if (auto* s = c.ctx.webhooks)
    for (const auto& a : s->attempts(hook, email_id, limit)) {
      json::object o{{"delivery", a.delivery},     {"hook", a.hook},       {"url", a.url},
                     {"event", a.event},           {"rcpt", a.rcpt},       {"email_id", a.email_id},
                     {"attempt", a.attempt},       {"time", rfc3339(a.at)}, {"status", a.status},
                     {"latency_ms", a.latency_ms}, {"response", a.response}, {"error", a.error},
                     {"result", a.result}};
      if (a.next) o["next_attempt"] = rfc3339(*a.next);
      out.push_back(std::move(o));
    }
  co_return c.json(status::ok, json::object{{"deliveries", std::move(out)}});
}

}  // namespace relaymock::http::resource
