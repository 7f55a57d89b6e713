// Explain and the checks every decision carries: the order, the near misses,
// and that explaining reserves and counts nothing.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "config/loader.hpp"
#include "policy/explain.hpp"
#include "policy/explain_json.hpp"
#include "relay/explain.hpp"
#include "store/codec.hpp"
#include "util/dates.hpp"

using namespace relaymock;
using policy::Check;

namespace {

struct World {
  explicit World(const std::string& yaml) : clock(time_from_civil({2026, 11, 15}) + std::chrono::hours(12)) {
    auto res = config::load_config_text(yaml, "test.yaml", false);
    EXPECT_TRUE(res.ok()) << res.format("test.yaml");
    engine = std::make_unique<policy::Engine>(std::make_shared<const config::Config>(res.config), clock, counters);
  }
  policy::Explanation explain(policy::ExplainRequest r) {
    EXPECT_EQ(policy::explain_problem(*engine->config(), r), std::nullopt);
    return policy::explain(*engine, r);
  }
  ManualClock clock;
  policy::Counters counters;
  std::unique_ptr<policy::Engine> engine;
};

const char* kAccount = R"(
account:
  verified_domains: [example.com]
  verified_senders: [Ops@other.org]
  quota: { monthly: 5, cycle_day: 1, used: 3, used_in_cycle: 2026-11-01 }
smtp_users:
  - { username: app, password: secret, rate_limit: { count: 4, per: 1h } }
  - { username: old, password: secret, status: blocked }
ip_auth:
  - { ip: 10.0.0.0/8 }
)";

policy::ExplainRequest ask(std::optional<std::string> user, std::string from, std::vector<std::string> to,
                           std::optional<std::string> header_from = std::nullopt) {
  policy::ExplainRequest r;
  r.user = std::move(user);
  r.from = std::move(from);
  r.to = std::move(to);
  r.header_from = std::move(header_from);
  return r;
}

std::vector<std::string> names(const std::vector<Check>& checks) {
  std::vector<std::string> out;
  for (const auto& c : checks) out.push_back(c.name);
  return out;
}

const Check& named(const std::vector<Check>& checks, const std::string& name) {
  for (const auto& c : checks)
    if (c.name == name) return c;
  throw std::runtime_error("no check " + name);
}

}  // namespace

TEST(Explain, ChecksRunInOrderAndAFailureLeavesTheRestNotReached) {
  World w(kAccount);
  auto x = w.explain(ask("old", "a@example.com", {"r@dest.test", "s@dest.test", "t@dest.test"}));
  ASSERT_EQ(x.recipients.size(), 3u);
  EXPECT_EQ(x.rule, "user_not_allowed");  // the first refusal's, with every recipient refused
  const auto& checks = x.recipients[0].decision.checks;
  EXPECT_EQ(names(checks), (std::vector<std::string>{"identity", "status", "blank_sender", "sender_domain",
                                                     "restrict_senders", "quota", "rate_limit", "from_header"}));
  EXPECT_EQ(checks[0].result, Check::Result::Pass);
  EXPECT_EQ(checks[1].result, Check::Result::Fail);
  EXPECT_EQ(checks[1].fix, "set status: allowed (or sandbox) on smtp_users entry old");
  for (std::size_t i = 2; i < checks.size(); ++i) EXPECT_EQ(checks[i].result, Check::Result::NotReached) << i;
  EXPECT_EQ(x.stage, "rcpt");
  EXPECT_EQ(x.reply, "550 That smtp username is not allowed to send");
  EXPECT_FALSE(x.content);
}

TEST(Explain, ExplainingReservesAndCountsNothing) {
  World w(kAccount);
  for (int i = 0; i < 3; ++i) {
    auto x = w.explain(ask("app", "a@example.com", {"a@d.test", "b@d.test", "c@d.test"}));
    // The quota has 5 with 3 used before relaymock: the third recipient is refused.
    ASSERT_EQ(x.recipients.size(), 3u);
    EXPECT_TRUE(x.recipients[1].decision.accept);
    EXPECT_EQ(x.recipients[2].decision.rule, "quota_exhausted");
    EXPECT_TRUE(x.accepted);
    ASSERT_EQ(x.limits.size(), 2u);
    EXPECT_EQ(x.limits[0].name, "quota");
    EXPECT_EQ(x.limits[0].limit, 5u);
    EXPECT_EQ(x.limits[0].used, 3u);
    EXPECT_EQ(x.limits[0].this_send, 2u);
    EXPECT_EQ(x.limits[0].left, 0u);
    EXPECT_TRUE(x.limits[0].reached);
    EXPECT_EQ(rfc3339(x.limits[0].frees_at), "2026-12-01T00:00:00.000Z");
    EXPECT_EQ(x.limits[1].name, "rate_limit");
    EXPECT_EQ(x.limits[1].left, 2u);
    EXPECT_FALSE(x.limits[1].reached);
  }
  // A real transaction still gets both places.
  auto id = w.engine->identify(std::string("app"), "192.0.2.1");
  EXPECT_TRUE(w.engine->check_rcpt(id, *parse_plain_address("a@example.com")).accept);
  EXPECT_TRUE(w.engine->check_rcpt(id, *parse_plain_address("a@example.com")).accept);
  EXPECT_EQ(w.engine->check_rcpt(id, *parse_plain_address("a@example.com")).rule, "quota_exhausted");
  w.engine->release(id, 2);
}

TEST(Explain, TheSameChecksAsARealDecision) {
  World w(kAccount);
  auto x = w.explain(ask("app", "a@nowhere.invalid", {"r@dest.test"}));
  auto id = w.engine->identify(std::string("app"), "127.0.0.1");
  auto real = w.engine->check_rcpt(id, *parse_plain_address("a@nowhere.invalid"));
  ASSERT_EQ(real.checks.size(), x.recipients[0].decision.checks.size());
  for (std::size_t i = 0; i < real.checks.size(); ++i) {
    EXPECT_EQ(real.checks[i].name, x.recipients[0].decision.checks[i].name);
    EXPECT_EQ(real.checks[i].result, x.recipients[0].decision.checks[i].result);
    EXPECT_EQ(real.checks[i].fix, x.recipients[0].decision.checks[i].fix);
  }
  EXPECT_EQ(named(real.checks, "sender_domain").compared, "sender domain nowhere.invalid is under the reserved .invalid domain");
}

TEST(Explain, NearMissesNameTheEntryAndWhyItDoesNotMatch) {
  World w(kAccount);
  struct Row {
    const char* header_from;
    const char* fix;
  } rows[] = {
      {"news@mail.example.com",
       "account.verified_domains has example.com; the domain is mail.example.com: subdomains are not covered"},
      {"ops@other.org", "account.verified_senders has Ops@other.org; the sender is ops@other.org: local parts compare "
                        "with case"},
      {"a@shop.test", "the envelope sender's domain example.com is verified, but the rule reads the From: header, whose "
                      "domain is shop.test: send with From: in a verified domain, or add shop.test to "
                      "account.verified_domains"},
      {"not an address", "add a From: header with one address in a verified domain"},
  };
  for (const auto& row : rows) {
    auto x = w.explain(ask("app", "a@example.com", {"r@dest.test"}, row.header_from));
    ASSERT_TRUE(x.content) << row.header_from;
    EXPECT_EQ(x.stage, "data");
    EXPECT_EQ(x.rule, "from_header_unverified");
    EXPECT_EQ(named(x.content->checks, "from_header").fix, row.fix);
  }
  World shop(R"(
account:
  restrict_senders: { mode: allowlist, entries: [sales@example.com, example.org] }
smtp_users: [{ username: app, password: x }]
)");
  auto x = shop.explain(ask("app", "Sales@example.com", {"r@d.test"}));
  EXPECT_EQ(named(x.recipients[0].decision.checks, "restrict_senders").fix,
            "restrict_senders allowlist has sales@example.com; the sender is Sales@example.com: local parts compare "
            "with case");
  x = shop.explain(ask("app", "a@eu.example.org", {"r@d.test"}));
  EXPECT_EQ(named(x.recipients[0].decision.checks, "restrict_senders").fix,
            "restrict_senders allowlist has example.org; the domain is eu.example.org: subdomains are not covered");
  x = shop.explain(ask("app", "sales@example.com", {"r@d.test"}));
  EXPECT_TRUE(x.accepted);
  EXPECT_EQ(named(x.content->checks, "from_header").result, Check::Result::Skipped);
}

TEST(Explain, AuthMailAndProfiles) {
  World w(std::string(kAccount) + R"(
server:
  listeners:
    - { address: 127.0.0.1, port: 2525, tls: none }
    - { address: 127.0.0.1, port: 2526, tls: none, profile: brevo }
    - { address: 127.0.0.1, port: 2527, tls: none, profile: ses }
)");
  auto x = w.explain(ask("nobody", "a@example.com", {"r@d.test"}));
  ASSERT_TRUE(x.auth);
  EXPECT_EQ(x.stage, "auth");
  EXPECT_EQ(x.reply, "535 Incorrect authentication data");
  EXPECT_EQ(named(x.auth->checks, "auth").fix, "add an smtp_users entry named nobody, or sign in as one that exists");

  auto r = ask(std::nullopt, "a@example.com", {"r@d.test"});
  r.ip = "192.0.2.9";
  r.port = 2526;
  x = w.explain(r);
  EXPECT_EQ(x.profile->name, "brevo");
  EXPECT_EQ(x.stage, "mail");
  EXPECT_EQ(x.reply, "502 5.7.0 Please authenticate first");

  r = ask("app", "a@example.com", {"r@d.test"});
  r.port = 2527;
  x = w.explain(r);
  EXPECT_EQ(x.profile->name, "ses");
  EXPECT_EQ(named(x.recipients[0].decision.checks, "restrict_senders").result, Check::Result::Skipped);
  EXPECT_EQ(named(x.recipients[0].decision.checks, "restrict_senders").compared, "profile ses has no such rule");

  r.port = 9;
  EXPECT_EQ(policy::explain_problem(*w.engine->config(), r), "port: no listener on port 9");
}

TEST(Explain, RequestsAreReadStrictly) {
  auto parsed = policy::explain_request(boost::json::parse(R"({"from":"a@b.c","to":["x@y.z"],"port":2525})").as_object());
  ASSERT_TRUE(std::holds_alternative<policy::ExplainRequest>(parsed));
  EXPECT_EQ(std::get<policy::ExplainRequest>(parsed).port, 2525);
  for (const char* bad : {R"({"to":"x@y.z"})", R"({"from":1,"to":"x@y.z"})", R"({"from":"a@b.c","to":{}})",
                          R"({"from":"a@b.c","to":"x@y.z","port":0})", R"({"from":"a@b.c","user":5})",
                          R"({"from":"a@b.c","extra":1})"}) {
    auto p = policy::explain_request(boost::json::parse(bad).as_object());
    EXPECT_TRUE(std::holds_alternative<std::string>(p)) << bad;
  }
}

TEST(Explain, AnEventsChecksSurviveTheStoresJson) {
  store::Event e;
  e.seq = 7;
  e.time = time_from_civil({2026, 12, 1});
  e.checks = {{"identity", "pass", "user app", ""}, {"quota", "fail", "monthly quota: 5 accepted", "raise it"}};
  auto back = store::event_from_json(store::event_json(e));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->checks.size(), 2u);
  EXPECT_EQ(back->checks[1].name, "quota");
  EXPECT_EQ(back->checks[1].result, "fail");
  EXPECT_EQ(back->checks[1].fix, "raise it");
  EXPECT_TRUE(store::event_json(e)["checks"].as_array()[0].as_object()["fix"].is_null());
}
