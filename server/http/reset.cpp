// /api/v1/reset: forget messages, counters and events (all, or those named);
// forgetting messages also forgets their outcomes still waiting for the clock
// and their webhook deliveries (waiting and attempted);
// `suppressions` empties the suppression list.
#include <boost/json.hpp>

#include "http/resources.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

Handled reset(Call& c) {
  std::string problem;
  auto body = body_object(c.req, {"messages", "counters", "events", "suppressions"}, true, problem);
  if (!body) co_return c.error(status::bad_request, problem);
  for (const auto& kv : *body)
    if (!kv.value().is_bool()) co_return c.error(status::bad_request, std::string(kv.key()) + " must be true or false");
  auto want = [&](const char* k) {
    if (body->empty()) return true;  // no body: everything
    auto* x = body->if_contains(k);
    return x && x->as_bool();
  };
  json::array done;
  try {
    if (want("messages")) {
      c.ctx.service.clear_messages();
      if (c.ctx.outcomes) c.ctx.outcomes->clear();
      if (c.ctx.webhooks) c.ctx.webhooks->clear();
      done.emplace_back("messages");
    }
    if (want("counters")) {
      c.ctx.engine.counters().clear();
      if (c.ctx.durable) c.ctx.durable->delete_usage();
      c.ctx.service.counters_reset();
      done.emplace_back("counters");
    }
    if (want("events")) {
      c.ctx.service.clear_events();
      done.emplace_back("events");
    }
    if (want("suppressions") && c.ctx.suppressions) {
      c.ctx.suppressions->clear();
      done.emplace_back("suppressions");
    }
  } catch (const std::exception& e) {
    co_return c.error(status::internal_server_error, std::string("reset failed: ") + e.what());
  }
  co_return c.json(status::ok, json::object{{"reset", done}});
}

}  // namespace relaymock::http::resource
