// POST /api/v1/explain: any body gives an explanation or one clear problem,
// never a crash; explaining never holds a reservation.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/loader.hpp"
#include "policy/explain.hpp"
#include "policy/explain_json.hpp"

namespace {

const char* kConfig = R"(
server:
  listeners:
    - { address: 127.0.0.1, port: 2525, tls: none }
    - { address: 127.0.0.1, port: 2526, tls: none, profile: brevo }
account:
  verified_domains: [example.com]
  verified_senders: [Ops@other.org]
  restrict_senders: { mode: allowlist, entries: [sales@example.com, example.org] }
  quota: { monthly: 3, cycle_day: 1 }
smtp_users:
  - { username: app, password: x, rate_limit: { count: 2, per: 1h } }
  - { username: old, password: x, status: blocked }
ip_auth:
  - { ip: 10.0.0.0/8 }
api_keys:
  - { name: ci, key: api-0123456789abcdef0123456789abcdef }
)";

struct World {
  World() {
    auto res = relaymock::config::load_config_text(kConfig, "fuzz.yaml", false);
    if (!res.ok()) std::abort();
    engine = std::make_unique<relaymock::policy::Engine>(
        std::make_shared<const relaymock::config::Config>(std::move(res.config)), clock, counters);
  }
  relaymock::ManualClock clock{relaymock::TimePoint(std::chrono::seconds(1'790'000'000))};
  relaymock::policy::Counters counters;
  std::unique_ptr<relaymock::policy::Engine> engine;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World w;
  boost::json::error_code ec;
  auto v = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec || !v.is_object()) return 0;
  auto parsed = relaymock::policy::explain_request(v.as_object());
  auto* request = std::get_if<relaymock::policy::ExplainRequest>(&parsed);
  if (!request || relaymock::policy::explain_problem(*w.engine->config(), *request)) return 0;
  auto x = relaymock::policy::explain(*w.engine, *request);
  (void)boost::json::serialize(relaymock::policy::explanation_json(x));
  // Nothing was held: a real recipient still finds the whole quota.
  auto id = w.engine->identify(std::string("app"), "127.0.0.1");
  auto d = w.engine->check_rcpt(id, *relaymock::parse_plain_address("sales@example.com"));
  if (!d.accept) std::abort();
  w.engine->release(id, 1);
  return 0;
}
