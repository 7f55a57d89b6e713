// The route table: every endpoint relaymock serves over HTTP, in one list.
// Order matters only for the Allow header of a 405 (listed in table order).
#include "http/resources.hpp"

namespace relaymock::http {

using beast_http::verb;
namespace r = resource;

std::span<const Route> routes() {
  static const Route table[] = {
      {verb::get, "/healthz", "", r::healthz},
      {verb::get, "/readyz", "", r::readyz},
      {verb::get, "/metrics", "", r::metrics},

      // The web UI (its files are embedded; the page routes itself after #).
      {verb::get, "/", "", r::ui_page},
      {verb::get, "/assets/*", "", r::ui_page},
      {verb::get, "/favicon.svg", "", r::ui_page},
      {verb::get, "/api/v1/signin", "", r::signin_state},
      {verb::post, "/api/v1/signin", "", r::signin},
      {verb::post, "/api/v1/signout", "", r::signout},
      {verb::get, "/api/v1/live", "", r::live},

      {verb::get, "/api/v1/messages", "q tz from to subject user since limit offset wait min", r::list_messages},
      {verb::put, "/api/v1/messages", "", r::mark_messages},
      {verb::delete_, "/api/v1/messages", "", r::delete_messages},
      {verb::get, "/api/v1/messages/{message_id}", "", r::get_message},
      {verb::delete_, "/api/v1/messages/{message_id}", "", r::delete_message},
      {verb::get, "/api/v1/messages/{message_id}/raw", "download", r::get_message_raw},
      {verb::get, "/api/v1/messages/{message_id}/html", "remote", r::get_message_html},
      {verb::get, "/api/v1/messages/{message_id}/part/{part_id}", "", r::get_message_part},
      {verb::put, "/api/v1/messages/{message_id}/tags", "", r::set_message_tags},
      {verb::get, "/api/v1/tags", "", r::list_tags},

      {verb::get, "/api/v1/events",
       "since limit order rule stage session identity sender recipient message after before wait min", r::list_events},
      {verb::get, "/api/v1/events/{seq}", "", r::get_event},
      {verb::get, "/api/v1/sessions/{session_id}", "", r::get_session},

      {verb::get, "/api/v1/listeners", "", r::list_listeners},
      {verb::put, "/api/v1/listeners/{port}/fault", "", r::set_listener_fault},

      {verb::get, "/api/v1/scenarios", "", r::list_scenarios},
      {verb::post, "/api/v1/scenarios", "", r::add_scenario},
      {verb::delete_, "/api/v1/scenarios", "", r::clear_scenarios},
      {verb::delete_, "/api/v1/scenarios/{scenario_name}", "", r::delete_scenario},

      {verb::get, "/api/v1/usage", "", r::get_usage},
      {verb::get, "/api/v1/outcomes", "limit", r::get_outcomes},
      {verb::post, "/api/v1/outcomes/rules", "", r::add_outcome_rule},
      {verb::delete_, "/api/v1/outcomes/rules", "", r::clear_outcome_rules},
      {verb::delete_, "/api/v1/outcomes/rules/{rule_name}", "", r::delete_outcome_rule},
      {verb::get, "/api/v1/webhooks", "limit", r::get_webhooks},
      {verb::get, "/api/v1/webhooks/deliveries", "hook email_id limit", r::get_webhook_deliveries},
      {verb::post, "/api/v1/explain", "", r::explain},
      {verb::get, "/api/v1/clock", "", r::get_clock},
      {verb::post, "/api/v1/clock", "", r::move_clock},
      {verb::post, "/api/v1/reset", "", r::reset},
      {verb::get, "/api/v1/config", "format", r::get_config},
      {verb::post, "/api/v1/config/reload", "", r::reload_config},

      // The provider's API answers its own 404 and 405 in its own shape.
      {verb::unknown, "/v3/*", "*", r::provider},
  };
  return table;
}

namespace {

// The next segment of a path ("/a//b" has the segments a and b).
std::string_view next_segment(std::string_view& path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  auto slash = path.find('/');
  auto seg = path.substr(0, slash);
  path.remove_prefix(seg.size());
  return seg;
}

}  // namespace

bool match_route(std::string_view pattern, std::string_view path, std::vector<std::string_view>& params) {
  params.clear();
  while (true) {
    auto want = next_segment(pattern);
    if (want == "*") return true;
    auto got = next_segment(path);
    if (want.empty() || got.empty()) return want.empty() && got.empty();
    if (want.front() == '{') params.push_back(got);
    else if (want != got) return false;
  }
}

}  // namespace relaymock::http
