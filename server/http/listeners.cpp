// /api/v1/listeners: the SMTP listeners, and their faults switched live.
#include <boost/json.hpp>
#include <charconv>

#include "config/loader.hpp"
#include "http/config_json.hpp"
#include "http/resources.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

Handled list_listeners(Call& c) {
  json::array items;
  for (const auto& l : c.ctx.server.listeners()) items.push_back(listener_json(l));
  co_return c.json(status::ok, json::object{{"listeners", items}});
}

Handled set_listener_fault(Call& c) {
  const auto& text = c.params[0];
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || ptr != text.data() + text.size() || port == 0 || port > 65535)
    co_return c.error(status::bad_request, "the port must be a number from 1 to 65535");
  std::string problem, errors;
  auto body = body_object(c.req, {"fault"}, false, problem);
  if (!body) co_return c.error(status::bad_request, problem);
  auto fault = config::parse_fault_body(c.req.body(), false, errors);
  if (!fault) co_return c.error(status::bad_request, errors);
  auto updated = c.ctx.server.set_fault(static_cast<std::uint16_t>(port), *fault, errors);
  if (!updated) co_return c.error(errors.rfind("no listener", 0) == 0 ? status::not_found : status::conflict, errors);
  c.ctx.service.fault_changed();
  co_return c.json(status::ok, listener_json(*updated));
}

}  // namespace relaymock::http::resource
