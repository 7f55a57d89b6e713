// The effective config as JSON for GET /api/v1/config: every key, secrets
// (passwords, the admin token, the TLS key path) replaced by "***".
#pragma once
#include <boost/json/value.hpp>

#include "config/config.hpp"

namespace relaymock::http {

boost::json::object config_json(const config::Config& c);
// The forms the config and the API use: "refuse", {"slow_greeting": "5s"}, ...
boost::json::value fault_json(const config::Fault& f);
boost::json::object listener_json(const config::Listener& l);
boost::json::object scenario_json(const config::Scenario& s);
// An outcomes: rule as written in the config.
boost::json::object outcome_rule_json(const config::OutcomeRule& r);
// A webhook as /api/v1/config and /api/v1/webhooks show it (its auth value hidden).
boost::json::object webhook_json(const config::Webhook& w);

}  // namespace relaymock::http
