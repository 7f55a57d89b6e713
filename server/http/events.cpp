// /api/v1/events: every decision and protocol reply, with a long-poll.
#include <boost/json.hpp>

#include "http/resources.hpp"
#include "store/codec.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

Handled list_events(Call& c) {
  auto& q = c.query;
  store::EventFilter f;
  f.rule = q.text("rule");
  f.session = q.text("session");
  std::uint64_t limit = 100, min = 1;
  std::chrono::milliseconds wait{0};
  if (!q.number("since", f.since, 0, UINT64_MAX / 2) || !q.number("limit", limit, 1, kMaxLimit) ||
      !q.number("min", min, 1, 10'000'000) || !q.wait(wait))
    co_return c.error(status::bad_request, q.problem);
  std::size_t total = 0;
  std::vector<store::Event> events;
  // Woken by new events (checked one by one against the filter) and by a
  // clear; the log is read whole only when the answer may be ready.
  std::size_t matched = 0;
  bool stale = false;
  using Kind = relay::Outcome::Kind;
  // (A local: g++ 12 cannot take a braced list inside co_await.)
  std::vector<Kind> kinds{Kind::Decision, Kind::EventsCleared};
  bool enough = co_await relay::wait_for_outcomes(
      c.ctx.service.bus(), wait, std::move(kinds),
      [&](const std::vector<relay::Outcome>* news) {
        if (news) {
          bool recount = false;
          for (const auto& o : *news) {
            if (o.kind != Kind::Decision) {
              recount = true;
            } else if (auto e = c.ctx.events.get(o.event_seq); e && f.matches(*e)) {
              ++matched;
              stale = true;
            }
          }
          if (!recount && matched < min) return false;
        }
        events = c.ctx.events.query(f, limit, &total);
        matched = total;
        stale = false;
        return total >= min;
      });
  if (!enough && stale) events = c.ctx.events.query(f, limit, &total);
  json::array items;
  for (const auto& e : events) items.push_back(store::event_json(e));
  co_return c.json(status::ok, json::object{{"total", total}, {"last_seq", c.ctx.events.last_seq()}, {"events", items}});
}

}  // namespace relaymock::http::resource
