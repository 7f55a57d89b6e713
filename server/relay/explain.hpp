// POST /api/v1/explain and `relaymock explain`: the DNS answer a check needs
// (mode system, through the one resolver and its cache), then the
// explanation itself (policy/explain.hpp; its JSON: policy/explain_json.hpp).
#pragma once
#include <boost/asio/awaitable.hpp>

#include "policy/explain.hpp"
#include "relay/resolver.hpp"

namespace relaymock::relay {

boost::asio::awaitable<policy::Explanation> explain(const policy::Engine& engine, Resolver& resolver,
                                                    policy::ExplainRequest request);

}  // namespace relaymock::relay
