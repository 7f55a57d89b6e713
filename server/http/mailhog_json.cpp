// What every MailHog answer shares: its ids resolved, JSON as Go writes it
// (no newline: MailHog calls json.Marshal, then Write), empty answers.
#include "http/go_json.hpp"
#include "http/mailhog.hpp"

namespace relaymock::http::mailhog {

namespace json = boost::json;

std::optional<std::string> resolve(Call& c, const std::string& id) { return c.ctx.mail.resolve_alias(id); }

Response json_answer(Call& c, const json::value& v, const char* type) {
  return make_response(status::ok, go_json(v), type, c.version());
}

Response empty(Call& c, status st, const char* type) { return make_response(st, "", type, c.version()); }

}  // namespace relaymock::http::mailhog
