// /api/v1/config: the configuration in force, and reloading it.
#include <boost/json.hpp>

#include "http/config_json.hpp"
#include "http/resources.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

Handled get_config(Call& c) { co_return c.json(status::ok, config_json(*c.ctx.engine.config())); }

Handled reload_config(Call& c) {
  auto r = c.ctx.reload();
  if (!r.ok) co_return c.json(status::bad_request, json::object{{"error", r.errors}});
  co_return c.json(status::ok, config_json(*r.config));
}

}  // namespace relaymock::http::resource
