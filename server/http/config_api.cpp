// /api/v1/config: the configuration in force (the file, plus the account
// API's changes listed as overrides), as JSON or written back out as a
// config file; and reloading it.
#include <boost/json.hpp>

#include "config/yaml_writer.hpp"
#include "http/config_json.hpp"
#include "http/resources.hpp"
#include "util/dates.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

Handled get_config(Call& c) {
  auto cfg = c.ctx.engine.config();
  auto format = c.query.text("format");
  if (format == "yaml") {
    std::string header = "relaymock config written by GET /api/v1/config?format=yaml at " + rfc3339(c.ctx.clock.now()) +
                         "\nfrom " + cfg->source + ", with the account as the provider's account API left it" +
                         "\n(comments of the original are not kept)";
    Response res{status::ok, c.version()};
    res.set(beast_http::field::content_type, "application/yaml; charset=utf-8");
    res.set(beast_http::field::content_disposition, "attachment; filename=\"relaymock.yaml\"");
    res.body() = config::config_yaml(*cfg, header);
    res.prepare_payload();
    co_return res;
  }
  if (!format.empty() && format != "json")
    co_return c.error(status::bad_request, "format must be json or yaml, not '" + format + "'");
  auto o = config_json(*cfg);
  o["overrides"] = c.ctx.account ? c.ctx.account->overrides_json() : json::array{};
  co_return c.json(status::ok, o);
}

Handled reload_config(Call& c) {
  std::string problem;
  auto body = body_object(c.req, {"keep_overrides"}, true, problem);
  if (!body) co_return c.error(status::bad_request, problem);
  bool keep = true;
  if (auto* k = body->if_contains("keep_overrides")) {
    if (!k->is_bool()) co_return c.error(status::bad_request, "keep_overrides must be true or false");
    keep = k->as_bool();
  }
  auto r = c.ctx.reload(keep);
  if (!r.ok) co_return c.json(status::bad_request, json::object{{"error", r.errors}});
  auto o = config_json(*r.config);
  o["overrides"] = c.ctx.account ? c.ctx.account->overrides_json() : json::array{};
  json::array dropped;
  for (const auto& d : r.dropped_overrides) dropped.emplace_back(d);
  o["overrides_dropped"] = dropped;
  co_return c.json(status::ok, o);
}

}  // namespace relaymock::http::resource
