// The provider's account API (webhooks included): any body for any endpoint is applied or gets
// one field error, never a crash; and whatever it leaves, written back out
// as YAML (GET /api/v1/config?format=yaml), loads to the same account.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/loader.hpp"
#include "config/provider_account.hpp"
#include "config/yaml_writer.hpp"

namespace {

using namespace relaymock::config;

const char* kConfig = R"(
account:
  verified_domains: [example.com]
  restrict_senders: { mode: allowlist, entries: [sales@example.com, example.org] }
smtp_users:
  - { username: app-user, password: x, rate_limit: { count: 2, per: 1h } }
ip_auth:
  - { ip: 10.0.0.0/8 }
api_keys:
  - { name: ci, key: api-0123456789abcdef0123456789abcdef }
webhooks:
  - { url: "http://hooks.example/a", events: [bounce], headers: [X-Campaign] }
)";

const char* kEndpoints[] = {"users/smtp/add",   "users/smtp/edit",       "users/smtp/remove",
                            "domain/add",       "domain/verify",         "domain/remove",
                            "single_sender_emails/add", "single_sender_emails/remove",
                            "allowed_senders/update", "allowed_senders/add", "allowed_senders/remove",
                            "ip_auth/edit",     "ip_auth/remove",        "api_keys/add",
                            "api_keys/edit",    "api_keys/remove",       "webhook/add",
                            "webhook/edit",     "webhook/remove",        "webhook/delete"};

bool same_account(const Config& a, const Config& b) {
  if (a.smtp_users.size() != b.smtp_users.size() || a.ip_auth.size() != b.ip_auth.size() ||
      a.api_keys.size() != b.api_keys.size())
    return false;
  for (std::size_t i = 0; i < a.smtp_users.size(); ++i)
    if (a.smtp_users[i].username != b.smtp_users[i].username || a.smtp_users[i].password != b.smtp_users[i].password ||
        a.smtp_users[i].description != b.smtp_users[i].description)
      return false;
  for (std::size_t i = 0; i < a.ip_auth.size(); ++i)
    if (a.ip_auth[i].text != b.ip_auth[i].text || a.ip_auth[i].description != b.ip_auth[i].description) return false;
  for (std::size_t i = 0; i < a.api_keys.size(); ++i)
    if (a.api_keys[i].key != b.api_keys[i].key || a.api_keys[i].name != b.api_keys[i].name ||
        a.api_keys[i].endpoints != b.api_keys[i].endpoints)
      return false;
  if (a.webhooks.hooks.size() != b.webhooks.hooks.size()) return false;
  for (std::size_t i = 0; i < a.webhooks.hooks.size(); ++i) {
    const auto &x = a.webhooks.hooks[i], &y = b.webhooks.hooks[i];
    if (x.id != y.id || x.url != y.url || x.events != y.events || x.usernames != y.usernames ||
        x.headers != y.headers || x.json != y.json || x.auth_header_type != y.auth_header_type ||
        x.auth_header_value != y.auth_header_value)
      return false;
  }
  return a.account.verified_domains == b.account.verified_domains &&
         a.account.unverified_domains == b.account.unverified_domains &&
         a.account.verified_senders == b.account.verified_senders &&
         a.account.restrict_entries == b.account.restrict_entries &&
         a.account.restrict_mode == b.account.restrict_mode;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Config base = [] {
    auto res = load_config_text(kConfig, "fuzz.yaml", false);
    if (!res.ok()) std::abort();
    return res.config;
  }();
  if (size < 1) return 0;
  const char* endpoint = kEndpoints[data[0] % (sizeof kEndpoints / sizeof *kEndpoints)];
  boost::json::error_code ec;
  auto v = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), ec);
  if (ec || !v.is_object()) return 0;
  Config cfg = base;
  AccountChange c{endpoint, v.as_object(), "", "fuzz"};
  auto error = apply_change(cfg, c);
  if (error && error->message.empty()) std::abort();  // every refusal says why
  (void)account_answer(cfg, endpoint, c.fields);
  if (error) {
    if (!same_account(cfg, base)) std::abort();  // a refused change changes nothing
    return 0;
  }
  // A replay of the kept change gives the same account.
  Config replayed = base;
  if (apply_change(replayed, c) || !same_account(cfg, replayed)) std::abort();
  auto written = config_yaml(cfg, "fuzz");
  auto again = load_config_text(written, "written.yaml", false);
  if (!again.ok() || !same_account(cfg, again.config)) {
    std::fprintf(stderr, "%s\n%s\n", written.c_str(), again.format("written.yaml").c_str());
    std::abort();
  }
  return 0;
}
