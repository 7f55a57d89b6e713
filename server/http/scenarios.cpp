// /api/v1/scenarios: scripted outcomes, listed with their counts, added
// (JSON, or YAML as written in the config) and removed.
#include <boost/json.hpp>

#include "config/loader.hpp"
#include "http/config_json.hpp"
#include "http/resources.hpp"
#include "util/log.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;
using beast_http::field;

Handled list_scenarios(Call& c) {
  json::array items;
  for (const auto& st : c.ctx.scenarios.list()) {
    auto o = scenario_json(st.scenario);
    o["matched"] = st.matched;
    o["fired"] = st.fired;
    o["retired"] = st.retired();
    items.push_back(o);
  }
  co_return c.json(status::ok, json::object{{"scenarios", items}});
}

Handled add_scenario(Call& c) {
  std::string errors;
  const bool yaml = config_entry_body(c.req, errors);
  if (!errors.empty()) co_return c.error(status::bad_request, errors + " (a scenario)");
  auto sc = config::parse_scenario_body(c.req.body(), yaml, errors);
  if (!sc) co_return c.error(status::bad_request, errors);
  auto shown = scenario_json(*sc);
  std::string name = sc->name;
  if (!c.ctx.scenarios.add(std::move(*sc)))
    co_return c.error(status::conflict, "a scenario named '" + name + "' exists; DELETE it first");
  logger().info("scenario added", {{"name", name}});
  c.ctx.service.scenarios_changed();
  co_return c.json(status::created, shown);
}

Handled clear_scenarios(Call& c) {
  auto n = c.ctx.scenarios.list().size();
  c.ctx.scenarios.clear();
  c.ctx.service.scenarios_changed();
  co_return c.json(status::ok, json::object{{"deleted", n}});
}

Handled delete_scenario(Call& c) {
  const auto& name = c.params[0];
  if (!c.ctx.scenarios.remove(name)) co_return c.error(status::not_found, "no scenario named '" + name + "'");
  logger().info("scenario removed", {{"name", name}});
  c.ctx.service.scenarios_changed();
  co_return c.json(status::ok, json::object{{"deleted", 1}});
}

}  // namespace relaymock::http::resource
