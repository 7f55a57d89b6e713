// POST /api/v1/explain: every check a send would meet, without sending,
// capturing or counting anything (policy/explain.hpp).
#include <boost/json.hpp>

#include "http/resources.hpp"
#include "policy/explain_json.hpp"
#include "relay/explain.hpp"

namespace relaymock::http::resource {

Handled explain(Call& c) {
  std::string problem;
  auto body = body_object(c.req, {"from", "to", "ip", "port", "user", "api_key", "header_from"}, false, problem);
  if (!body) co_return c.error(status::bad_request, problem);
  auto parsed = policy::explain_request(*body);
  if (auto* why = std::get_if<std::string>(&parsed)) co_return c.error(status::bad_request, *why);
  auto& request = std::get<policy::ExplainRequest>(parsed);
  if (auto why = policy::explain_problem(*c.ctx.engine.config(), request))
    co_return c.error(status::bad_request, *why);
  auto x = co_await relay::explain(c.ctx.engine, c.ctx.service.resolver(), std::move(request));
  co_return c.json(status::ok, policy::explanation_json(x));
}

}  // namespace relaymock::http::resource
