// /api/v1/outcomes: what happens after the 250. The rules in force (those
// added here first, then the config's `outcomes:`), and the events waiting
// for the clock, soonest first; the events themselves are in
// /api/v1/events (stage "delivery"). /api/v1/outcomes/rules adds (JSON, or
// YAML as the config writes a rule) and removes rules.
#include <boost/json.hpp>

#include "config/loader.hpp"
#include "http/config_json.hpp"
#include "http/resources.hpp"
#include "util/dates.hpp"
#include "util/log.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

Handled get_outcomes(Call& c) {
  std::uint64_t limit = 1000;
  if (!c.query.number("limit", limit, 1, 10'000)) co_return c.error(status::bad_request, c.query.problem);
  auto cfg = c.ctx.engine.config();
  json::array rules;
  for (const auto& r : cfg->outcomes.rules) rules.push_back(outcome_rule_json(r));
  json::array added;
  if (c.ctx.outcome_rules)
    for (const auto& r : *c.ctx.outcome_rules->snapshot()) added.push_back(outcome_rule_json(r));
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
                                            {"added_rules", added},
                                            {"now", rfc3339(c.ctx.clock.now())},
                                            {"waiting_total", total},
                                            {"dropped_total", dropped},
                                            {"suppressions_total", c.ctx.suppressions ? c.ctx.suppressions->size() : 0},
                                            {"waiting", waiting}});
}

Handled add_outcome_rule(Call& c) {
  if (!c.ctx.outcome_rules) co_return c.error(status::not_found, "outcome rules are off on this door");
  std::string errors;
  const bool yaml = config_entry_body(c.req, errors);
  if (!errors.empty()) co_return c.error(status::bad_request, errors + " (an outcome rule)");
  auto rule = config::parse_outcome_rule_body(c.req.body(), yaml, errors);
  if (!rule) co_return c.error(status::bad_request, errors);
  auto shown = outcome_rule_json(*rule);
  const std::string name = rule->name;
  switch (c.ctx.outcome_rules->add(std::move(*rule))) {
    case relay::OutcomeRules::Added::NameTaken:
      co_return c.error(status::conflict, "an outcome rule named '" + name + "' was added already; DELETE it first");
    case relay::OutcomeRules::Added::Full:
      co_return c.error(status::conflict, "1000 outcome rules were added already; DELETE some first");
    case relay::OutcomeRules::Added::Added:
      break;
  }
  logger().info("outcome rule added", {{"name", name}});
  co_return c.json(status::created, shown);
}

Handled delete_outcome_rule(Call& c) {
  const auto& name = c.params[0];
  if (!c.ctx.outcome_rules || !c.ctx.outcome_rules->remove(name))
    co_return c.error(status::not_found, "no outcome rule named '" + name + "' was added (the config's stay)");
  logger().info("outcome rule removed", {{"name", name}});
  co_return c.json(status::ok, json::object{{"deleted", 1}});
}

Handled clear_outcome_rules(Call& c) {
  co_return c.json(status::ok,
                   json::object{{"deleted", c.ctx.outcome_rules ? c.ctx.outcome_rules->clear() : std::size_t{0}}});
}

}  // namespace relaymock::http::resource
