// /api/v1/events: every decision and protocol reply, with a long-poll.
#include <boost/json.hpp>

#include "http/resources.hpp"
#include "store/codec.hpp"
#include "util/dates.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

Handled list_events(Call& c) {
  auto& q = c.query;
  store::EventFilter f;
  f.rule = q.text("rule");
  f.stage = q.text("stage");
  f.session = q.text("session");
  f.identity = q.text("identity");
  f.sender = q.text("sender");
  f.recipient = q.text("recipient");
  f.message = q.text("message");
  for (const char* k : {"after", "before"}) {
    if (!q.has(k)) continue;
    auto t = parse_rfc3339(q.text(k));
    if (!t) co_return c.error(status::bad_request, std::string(k) + " must be an RFC 3339 time such as 2026-11-27T18:00:00Z");
    (std::string_view(k) == "after" ? f.after : f.before) = t;
  }
  std::uint64_t limit = 100, min = 1;
  std::chrono::milliseconds wait{0};
  if (!q.number("since", f.since, 0, UINT64_MAX / 2) || !q.number("limit", limit, 1, kMaxLimit) ||
      !q.number("min", min, 1, 10'000'000) || !q.wait(wait))
    co_return c.error(status::bad_request, q.problem);
  auto order = q.text("order");
  if (!order.empty() && order != "oldest" && order != "newest")
    co_return c.error(status::bad_request, "order must be oldest or newest");
  const bool newest = order == "newest";
  std::size_t total = 0;
  std::vector<store::Event> events;
  // Woken by new events (checked one by one against the filter) and by a
  // clear; the log is read whole only when the answer may be ready.
  using Kind = relay::Outcome::Kind;
  std::vector<Kind> recount_on{Kind::EventsCleared};  // (g++ 12: no braced list in co_await)
  co_await relay::wait_for_matches(
      c.ctx.service.bus(), wait, Kind::Decision, std::move(recount_on), min,
      [&] {
        events = c.ctx.events.query(f, limit, &total, newest);
        return total;
      },
      [&](const relay::Outcome& o) {
        auto e = c.ctx.events.get(o.event_seq);
        return e && f.matches(*e);
      });
  json::array items;
  for (const auto& e : events) items.push_back(store::event_json(e));
  co_return c.json(status::ok, json::object{{"total", total}, {"last_seq", c.ctx.events.last_seq()}, {"events", items}});
}

Handled get_event(Call& c) {
  std::uint64_t seq = 0;
  const auto& text = c.params[0];
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
    co_return c.error(status::bad_request, "an event is named by its seq, a number");
  seq = std::stoull(text);
  auto e = c.ctx.events.get(seq);
  if (!e) co_return c.error(status::not_found, "no event " + text + " (never, or no longer, kept)");
  co_return c.json(status::ok, store::event_json(*e));
}

}  // namespace relaymock::http::resource
