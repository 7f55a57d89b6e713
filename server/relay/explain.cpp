#include "relay/explain.hpp"

namespace relaymock::relay {

boost::asio::awaitable<policy::Explanation> explain(const policy::Engine& engine, Resolver& resolver,
                                                    policy::ExplainRequest request) {
  auto cfg = engine.config();
  const auto& profile = policy::profile_for(*cfg, request.port);
  std::optional<policy::SenderRoute> route;
  if (auto sender = parse_plain_address(request.from)) {
    if (auto domain = engine.route_domain(*sender, &profile)) {
      route = resolver.cached(*domain);
      if (!route) route = co_await resolver.lookup(*domain);
    }
  }
  co_return policy::explain(engine, request, route ? &*route : nullptr);
}

}  // namespace relaymock::relay
