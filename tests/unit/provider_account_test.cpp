// The account as the provider's API v3 changes it (config/provider_account):
// periods both ways, replays that give the same account, permissions, and
// changes refused without a trace.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "config/loader.hpp"
#include "config/provider_account.hpp"

namespace relaymock::config {
namespace {

namespace json = boost::json;

Config base() {
  auto r = load_config_text(R"(
account: { verified_domains: [example.com] }
smtp_users: [{ username: app-user, password: secret }]
api_keys:
  - { key: api-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA, name: admin }
  - { key: api-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB, name: sender, endpoints: [email/send, /v3/stats/email_cycle] }
)", "test.yaml", false);
  EXPECT_TRUE(r.ok()) << r.format("test.yaml");
  return r.config;
}

AccountChange change(std::string endpoint, std::string fields) {
  return AccountChange{std::move(endpoint), json::parse(fields).as_object(), "", "test"};
}

TEST(ProviderAccount, PeriodsReadAndWritten) {
  EXPECT_EQ(provider_period("1 hour"), Millis(3'600'000));
  EXPECT_EQ(provider_period("2 weeks"), Millis(14LL * 86'400'000));
  EXPECT_EQ(provider_period("1 month"), Millis(30LL * 86'400'000));
  EXPECT_EQ(provider_period("3 minutes"), Millis(180'000));
  for (auto bad : {"", "hour", "0 hours", "1 fortnight", "-1 day", "1  day", "1234567 days", "1 hour "})
    EXPECT_FALSE(provider_period(bad)) << bad;
  EXPECT_EQ(provider_period_text(Millis(3'600'000)), "1 hour");
  EXPECT_EQ(provider_period_text(Millis(14LL * 86'400'000)), "2 weeks");
  EXPECT_EQ(provider_period_text(Millis(30LL * 86'400'000)), "1 month");
  EXPECT_EQ(provider_period_text(Millis(90'000)), "90 seconds");
}

TEST(ProviderAccount, AGeneratedPasswordIsKeptSoAReplayMakesTheSameUser) {
  auto cfg = base();
  auto c = change("users/smtp/add", R"({"username": "tenant-1"})");
  ASSERT_FALSE(apply_change(cfg, c));
  ASSERT_TRUE(c.fields.contains("email_password"));
  std::string password(c.fields.at("email_password").as_string());
  EXPECT_EQ(password.size(), 16u);
  auto again = base();
  ASSERT_FALSE(apply_change(again, c));
  EXPECT_EQ(again.smtp_users.back().password, password);
  EXPECT_EQ(cfg.smtp_users.back().password, password);
}

TEST(ProviderAccount, AnAddedKeyHasTheDefaultPermissionAndAStableId) {
  auto cfg = base();
  auto c = change("api_keys/add", R"({"description": "tenant"})");
  ASSERT_FALSE(apply_change(cfg, c));
  const auto& k = cfg.api_keys.back();
  EXPECT_TRUE(api_key_format(k.key));
  EXPECT_TRUE(key_may_call(k, "email/send"));
  EXPECT_FALSE(key_may_call(k, "users/smtp/view"));
  EXPECT_TRUE(key_may_call(cfg.api_keys[0], "users/smtp/view"));  // no endpoints: all
  EXPECT_TRUE(key_may_call(cfg.api_keys[1], "stats/email_cycle"));
  EXPECT_EQ(masked_api_key(k.key), k.key.substr(0, 8) + "..." + k.key.substr(32));
  auto edit = change("api_keys/edit", R"({"status": "blocked"})");
  edit.fields["id"] = api_key_id(k.key);
  ASSERT_FALSE(apply_change(cfg, edit));
  EXPECT_EQ(cfg.api_keys.back().status, Status::Blocked);
}

TEST(ProviderAccount, ARefusedChangeNamesItsField) {
  struct Case {
    const char* endpoint;
    const char* fields;
    const char* field;
  } cases[] = {
      {"users/smtp/add", R"({"username": "app-user"})", "username"},
      {"users/smtp/edit", R"({"username": "nobody-here", "status": "blocked"})", "username"},
      {"users/smtp/add", R"({"username": "tenant", "custom_ratelimit": true, "custom_ratelimit_value": -3})",
       "custom_ratelimit_value"},
      {"users/smtp/add", R"({"username": "tenant", "custom_ratelimit_period": "1 day"})", "custom_ratelimit"},
      {"domain/verify", R"({"domain": "other.test"})", "domain"},
      {"domain/add", R"({"domain": "[127.0.0.1]"})", "domain"},
      {"allowed_senders/add", R"({"mode": "whitelist", "allowed_senders": []})", "mode"},
      {"allowed_senders/update", R"({})", "allowed_senders"},
      {"ip_auth/edit", R"({"ip_address": "10.0.0.0/33"})", "ip_address"},
      {"api_keys/add", R"({"description": "sender"})", "description"},
      {"api_keys/remove", R"({"id": 5})", "id"},
  };
  for (const auto& k : cases) {
    auto cfg = base();
    auto c = change(k.endpoint, k.fields);
    auto e = apply_change(cfg, c);
    ASSERT_TRUE(e) << k.endpoint << " " << k.fields;
    EXPECT_EQ(e->field, k.field) << k.endpoint << " " << k.fields << ": " << e->message;
  }
}

TEST(ProviderAccount, DomainsMoveFromPendingToVerifiedAndOut) {
  auto cfg = base();
  auto add = change("domain/add", R"({"domain": "Shop.Example"})");
  ASSERT_FALSE(apply_change(cfg, add));
  EXPECT_EQ(cfg.account.unverified_domains, std::vector<std::string>{"shop.example"});
  auto view = account_answer(cfg, "domain/view", {});
  EXPECT_EQ(view.at("domains").as_array().size(), 2u);
  auto verify = change("domain/verify", R"({"domain": "shop.example"})");
  ASSERT_FALSE(apply_change(cfg, verify));
  EXPECT_TRUE(cfg.account.unverified_domains.empty());
  EXPECT_EQ(cfg.account.verified_domains.back(), "shop.example");
  auto remove = change("domain/remove", R"({"domain": "shop.example"})");
  ASSERT_FALSE(apply_change(cfg, remove));
  EXPECT_EQ(cfg.account.verified_domains, std::vector<std::string>{"example.com"});
}

TEST(ProviderAccount, EndpointsAreNormalised) {
  EXPECT_EQ(normal_endpoint("/v3/email/send"), "/email/send");
  EXPECT_EQ(normal_endpoint("users/smtp/add"), "/users/smtp/add");
  EXPECT_FALSE(normal_endpoint("/v3/users/smtp"));
  EXPECT_FALSE(normal_endpoint("email/send/"));
  EXPECT_TRUE(account_view("users/smtp/view"));
  EXPECT_FALSE(account_endpoint("stats/email_cycle"));
}

}  // namespace
}  // namespace relaymock::config
