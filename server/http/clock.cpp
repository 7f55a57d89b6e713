// /api/v1/clock: the relay's clock, read, advanced, set and reset. Every
// limit, cycle and date reads it.
#include <boost/json.hpp>

#include "http/resources.hpp"
#include "util/dates.hpp"
#include "util/duration.hpp"
#include "util/log.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

Handled get_clock(Call& c) {
  auto offset = c.ctx.clock.offset();
  co_return c.json(status::ok, json::object{{"now", rfc3339(c.ctx.clock.now())},
                                            {"offset_seconds", static_cast<double>(offset.count()) / 1000.0}});
}

Handled move_clock(Call& c) {
  std::string problem;
  auto body = body_object(c.req, {"advance", "set", "reset"}, false, problem);
  if (!body) co_return c.error(status::bad_request, problem);
  if (body->size() != 1) co_return c.error(status::bad_request, "give exactly one of advance, set or reset");
  auto offset = c.ctx.clock.offset();
  if (auto* a = body->if_contains("advance")) {
    auto d = a->is_string() ? parse_duration(std::string(a->as_string())) : std::nullopt;
    if (!d) co_return c.error(status::bad_request, "advance must be a duration such as 90m, 1h or 30s");
    offset += *d;  // both far below 2^62: cannot overflow
  } else if (auto* s = body->if_contains("set")) {
    auto t = s->is_string() ? parse_rfc3339(std::string(s->as_string())) : std::nullopt;
    if (!t)
      co_return c.error(status::bad_request, "set must be an RFC 3339 time (1970-2200) such as 2026-12-01T00:00:00Z");
    // Rounded up, so that "now" right after reads no earlier than the time set.
    offset = std::chrono::ceil<std::chrono::milliseconds>(*t - std::chrono::system_clock::now());
  } else {
    auto* r = body->if_contains("reset");
    if (!r->is_bool() || !r->as_bool()) co_return c.error(status::bad_request, "reset must be true");
    offset = std::chrono::milliseconds(0);
  }
  if (!offset_keeps_clock_readable(offset.count()))
    co_return c.error(status::bad_request, "the clock would read " + seconds_text(offset) +
                                               "s from now, outside 1970-2200; it stays at " + rfc3339(c.ctx.clock.now()));
  if (c.ctx.durable) {
    try {
      c.ctx.durable->set_clock_offset_ms(offset.count());
    } catch (const std::exception& e) {
      co_return c.error(status::internal_server_error, std::string("the clock offset could not be stored: ") + e.what());
    }
  }
  c.ctx.clock.set_offset(offset);
  logger().info("clock changed", {{"offset", seconds_text(offset) + "s"}});
  c.ctx.service.clock_moved();
  co_return co_await get_clock(c);
}

}  // namespace relaymock::http::resource
