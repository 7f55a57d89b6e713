// The route table: every endpoint relaymock serves over HTTP, in one list.
// Order matters only for the Allow header of a 405 (listed in table order).
#include "http/resources.hpp"

namespace relaymock::http {

using beast_http::verb;
namespace r = resource;

std::span<const Route> routes() {
  static const Route table[] = {
      {verb::get, "/healthz", "", Access::Open, r::healthz, "liveness"},
      {verb::get, "/readyz", "", Access::Open, r::readyz, "every SMTP listener is bound"},
      {verb::get, "/metrics", "", Access::Open, r::metrics, "Prometheus metrics"},

      {verb::get, "/api/v1/messages", "from to subject user since limit offset wait min", Access::Admin,
       r::list_messages, "captured messages, newest first; long-poll with wait and min"},
      {verb::delete_, "/api/v1/messages", "", Access::Admin, r::delete_messages,
       "delete every message, or {\"ids\": [...]}"},
      {verb::get, "/api/v1/messages/{message_id}", "", Access::Admin, r::get_message, "one message, parsed"},
      {verb::delete_, "/api/v1/messages/{message_id}", "", Access::Admin, r::delete_message, "delete one message"},
      {verb::get, "/api/v1/messages/{message_id}/raw", "", Access::Admin, r::get_message_raw,
       "the message as received (message/rfc822)"},

      {verb::get, "/api/v1/events", "since limit rule session wait min", Access::Admin, r::list_events,
       "decisions and protocol replies; long-poll with wait and min"},
      {verb::get, "/api/v1/sessions/{session_id}", "", Access::Admin, r::get_session, "an SMTP session's transcript"},

      {verb::get, "/api/v1/listeners", "", Access::Admin, r::list_listeners, "the SMTP listeners and their faults"},
      {verb::put, "/api/v1/listeners/{port}/fault", "", Access::Admin, r::set_listener_fault,
       "switch a listener's fault"},

      {verb::get, "/api/v1/scenarios", "", Access::Admin, r::list_scenarios, "scenarios with their counts"},
      {verb::post, "/api/v1/scenarios", "", Access::Admin, r::add_scenario, "add a scenario (JSON or YAML)"},
      {verb::delete_, "/api/v1/scenarios", "", Access::Admin, r::clear_scenarios, "remove every scenario"},
      {verb::delete_, "/api/v1/scenarios/{scenario_name}", "", Access::Admin, r::delete_scenario,
       "remove one scenario"},

      {verb::get, "/api/v1/usage", "", Access::Admin, r::get_usage, "quota cycle and rate limits"},
      {verb::get, "/api/v1/clock", "", Access::Admin, r::get_clock, "the relay's clock"},
      {verb::post, "/api/v1/clock", "", Access::Admin, r::move_clock, "advance, set or reset the clock"},
      {verb::post, "/api/v1/reset", "", Access::Admin, r::reset, "forget messages, counters, events"},
      {verb::get, "/api/v1/config", "", Access::Admin, r::get_config, "the configuration in force"},
      {verb::post, "/api/v1/config/reload", "", Access::Admin, r::reload_config, "reload the configuration file"},

      // The provider's API answers its own 404 and 405 in its own shape.
      {verb::unknown, "/v3/*", "*", Access::Provider, r::provider, "the provider's API v3"},
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
