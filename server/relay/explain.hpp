// What POST /api/v1/explain and `relaymock explain` share: the DNS answer a
// check needs (mode system, through the one resolver and its cache), the
// explanation itself (policy/explain.hpp), and its JSON.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <variant>

#include "policy/explain.hpp"
#include "relay/resolver.hpp"

namespace relaymock::relay {

boost::asio::awaitable<policy::Explanation> explain(const policy::Engine& engine, Resolver& resolver,
                                                    policy::ExplainRequest request);

// The request as the API takes it: {"from", "to": [...] or "a@b", "ip",
// "port", "user", "api_key", "header_from"}; a string says what is wrong.
std::variant<policy::ExplainRequest, std::string> explain_request(const boost::json::object& body);

boost::json::object explanation_json(const policy::Explanation& x);

}  // namespace relaymock::relay
