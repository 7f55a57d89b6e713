// POST /api/v1/explain's body and answer as JSON (shared by the API, the
// CLI's --json and the fuzz target).
#pragma once
#include <boost/json/object.hpp>
#include <string>
#include <variant>

#include "policy/explain.hpp"

namespace relaymock::policy {

// The request as the API takes it: {"from", "to": [...] or "a@b", "ip",
// "port", "user", "api_key", "header_from"}; a string says what is wrong.
std::variant<ExplainRequest, std::string> explain_request(const boost::json::object& body);

boost::json::object explanation_json(const Explanation& x);

}  // namespace relaymock::policy
