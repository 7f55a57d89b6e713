// /api/v1/outcomes: what happens after the 250. The rules in force (the
// config's `outcomes:`), and the events waiting for the clock, soonest first;
// the events themselves are in /api/v1/events (stage "delivery").
#include <boost/json.hpp>

#include "http/config_json.hpp"
#include "http/resources.hpp"
#include "util/dates.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

Handled get_outcomes(Call& c) {
  std::uint64_t limit = 1000;
  if (!c.query.number("limit", limit, 1, 10'000)) co_return c.error(status::bad_request, c.query.problem);
  auto cfg = c.ctx.engine.config();
  json::array rules;
  for (const auto& r : cfg->outcomes.rules) rules.push_back(outcome_rule_json(r));
  json::array waiting;
  std::size_t total = 0;
  std::uint64_t dropped = 0;
  if (c.ctx.outcomes) {
    total = c.ctx.outcomes->pending_count();
    dropped = c.ctx.outcomes->dropped();
    for (const auto& e : c.ctx.outcomes->pending(limit)) {
      json::object o{{"due", rfc3339(e.planned.due)},
                     {"event", policy::delivery_event_name(e.planned.event)},
                     {"message_id", e.message_id()},
                     {"recipient", e.planned.recipient},
                     {"by", e.planned.why}};
      if (e.planned.attempt) o["attempt"] = e.planned.attempt;
      waiting.push_back(std::move(o));
    }
  }
  co_return c.json(status::ok, json::object{{"magic_addresses", cfg->outcomes.magic_addresses},
                                            {"rules", rules},
                                            {"now", rfc3339(c.ctx.clock.now())},
                                            {"waiting_total", total},
                                            {"dropped_total", dropped},
                                            {"suppressions_total", c.ctx.suppressions ? c.ctx.suppressions->size() : 0},
                                            {"waiting", waiting}});
}

}  // namespace relaymock::http::resource
