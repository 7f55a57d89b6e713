// The effective config as JSON for GET /api/v1/config: every key, secrets
// (passwords, the admin token, the TLS key path) replaced by "***".
#pragma once
#include <boost/json/value.hpp>

#include "config/config.hpp"

namespace relaymock::http {

boost::json::object config_json(const config::Config& c);

}  // namespace relaymock::http
