// /api/v1/sessions/{id}: one SMTP session's transcript.
#include <boost/json.hpp>

#include "http/resources.hpp"
#include "util/dates.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

Handled get_session(Call& c) {
  const auto& id = c.params[0];
  std::uint64_t elided = 0;
  auto lines = c.ctx.transcripts.get(id, &elided);
  if (!lines) co_return c.error(status::not_found, "no transcript for session '" + id + "'");
  json::array items;
  for (const auto& l : *lines)
    items.push_back(json::object{{"time", rfc3339(l.time)}, {"dir", l.dir == 'C' ? "client" : "server"}, {"text", l.text}});
  co_return c.json(status::ok, json::object{{"session_id", id}, {"lines", items}, {"lines_elided", elided}});
}

}  // namespace relaymock::http::resource
