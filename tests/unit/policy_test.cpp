// The account rules, table-driven: one row per rule and per boundary.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "mime/mime.hpp"
#include "policy/engine.hpp"
#include "util/dates.hpp"

using namespace relaymock;
using namespace std::chrono_literals;
using policy::Identity;

namespace {

TimePoint at(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return time_from_civil({y, m, d}) + std::chrono::hours(hh) + std::chrono::minutes(mm) +
         std::chrono::seconds(ss);
}

struct Fixture {
  explicit Fixture(const std::string& yaml) : clock(at(2026, 11, 15, 12)) {
    auto res = config::load_config_text(yaml, "test.yaml", false);
    EXPECT_TRUE(res.ok()) << res.format("test.yaml");
    engine = std::make_unique<policy::Engine>(std::make_shared<const config::Config>(res.config), clock, counters);
  }
  policy::Decision rcpt(std::optional<std::string> user, const std::string& ip, const std::string& from) {
    auto id = engine->identify(user, ip);
    Mailbox mb;
    if (!from.empty()) mb = *parse_plain_address(from);
    return engine->check_rcpt(id, mb);
  }
  // A whole message to n recipients: reserve n, then commit what was accepted.
  int send(std::optional<std::string> user, const std::string& ip, int n, std::string* last_rule = nullptr) {
    auto id = engine->identify(user, ip);
    int ok = 0;
    for (int i = 0; i < n; ++i) {
      auto d = engine->check_rcpt(id, *parse_plain_address("a@example.com"));
      if (last_rule) *last_rule = d.rule;
      if (d.accept) ++ok;
    }
    engine->commit(id, static_cast<std::uint64_t>(ok));
    return ok;
  }
  ManualClock clock;
  policy::Counters counters;
  std::unique_ptr<policy::Engine> engine;
};

const char* kBase = R"(
account:
  verified_domains: [example.com]
  verified_senders: [ops@other.org]
smtp_users:
  - { username: app, password: secret }
  - { username: blocked, password: x, status: blocked }
  - { username: sandy, password: x, status: sandbox }
ip_auth:
  - { ip: 10.0.0.0/8, status: allowed }
  - { ip: 10.1.0.0/16, status: blocked }
  - { ip: 10.1.2.0/24, status: allowed }
  - { ip: "2001:db8::/32", status: allowed }
sender_verification:
  unroutable_domains: [nowhere.example]
  unknown_addresses: [ghost@example.com]
)";

struct RcptRow {
  const char* name;
  std::optional<std::string> user;
  const char* ip;
  const char* from;
  const char* rule;  // expected rule id ("rcpt_ok" = accepted)
  const char* reply;
};

TEST(Policy, RcptRules) {
  const RcptRow rows[] = {
      {"no identity", std::nullopt, "192.0.2.1", "a@example.com", "relay_denied",
       "Relay access denied - please authenticate"},
      {"user ok", "app", "192.0.2.1", "a@example.com", "rcpt_ok", ""},
      {"user blocked", "blocked", "192.0.2.1", "a@example.com", "user_not_allowed",
       "That smtp username is not allowed to send"},
      {"ip ok", std::nullopt, "10.9.9.9", "a@example.com", "rcpt_ok", ""},
      {"ip blocked /16", std::nullopt, "10.1.9.9", "a@example.com", "ip_not_allowed",
       "That IP address is not allowed to send"},
      {"most specific /24 wins", std::nullopt, "10.1.2.3", "a@example.com", "rcpt_ok", ""},
      {"ipv6", std::nullopt, "2001:db8::7", "a@example.com", "rcpt_ok", ""},
      {"ipv4-mapped", std::nullopt, "::ffff:10.9.9.9", "a@example.com", "rcpt_ok", ""},
      {"blank sender", "app", "192.0.2.1", "", "blank_sender",
       "to send email from a blank sender, enable blank senders"},
      {"listed unroutable", "app", "192.0.2.1", "x@nowhere.example", "sender_unroutable_domain",
       "Verification failed for <x@nowhere.example>\nUnroutable domain\nUnable to verify sender address"},
      {"no dot", "app", "192.0.2.1", "x@localhost", "sender_unroutable_domain", nullptr},
      {".invalid", "app", "192.0.2.1", "x@foo.invalid", "sender_unroutable_domain", nullptr},
      {".local", "app", "192.0.2.1", "x@host.LOCAL", "sender_unroutable_domain", nullptr},
      {"unknown address", "app", "192.0.2.1", "ghost@Example.com", "sender_unrouteable_address",
       "Verification failed for <ghost@Example.com>\nUnrouteable address\nUnable to verify sender address"},
      {"local part case matters", "app", "192.0.2.1", "Ghost@example.com", "rcpt_ok", ""},
  };
  for (const auto& row : rows) {
    Fixture f(kBase);
    auto d = f.rcpt(row.user, row.ip, row.from);
    EXPECT_EQ(d.rule, row.rule) << row.name << ": " << d.detail;
    if (row.reply && *row.reply) {
      EXPECT_EQ(d.reply.text, row.reply) << row.name;
    }
    EXPECT_FALSE(d.detail.empty()) << row.name;
  }
}

TEST(Policy, ClosedAccount) {
  Fixture closed(std::string(R"(
account: { status: closed }
smtp_users: [{ username: app, password: secret }]
ip_auth: [{ ip: 127.0.0.1 }]
)"));
  EXPECT_EQ(closed.rcpt("app", "192.0.2.1", "a@example.com").rule, "user_not_allowed");
  EXPECT_EQ(closed.rcpt(std::nullopt, "127.0.0.1", "a@example.com").rule, "ip_not_allowed");
}

TEST(Policy, BlankSenderAllowed) {
  Fixture f(R"(
account: { allow_blank_sender: true }
smtp_users: [{ username: app, password: secret }]
)");
  EXPECT_EQ(f.rcpt("app", "192.0.2.1", "").rule, "rcpt_ok");
}

TEST(Policy, SenderVerificationOff) {
  Fixture f(R"(
smtp_users: [{ username: app, password: secret }]
sender_verification: { mode: off, unroutable_domains: [nowhere.example] }
)");
  EXPECT_EQ(f.rcpt("app", "192.0.2.1", "x@nowhere.example").rule, "rcpt_ok");
}

// Mode system: policy judges what DNS said; the lookup itself is the net layer's.
TEST(Policy, SenderVerificationSystemJudgesTheDnsAnswer) {
  Fixture f(R"(
smtp_users: [{ username: app, password: secret }]
sender_verification: { mode: system, unroutable_domains: [nowhere.example], unknown_addresses: [ghost@shop.example] }
)");
  auto id = f.engine->identify(std::string("app"), "192.0.2.1");
  auto sender = *parse_plain_address("x@Shop.Example");
  EXPECT_EQ(f.engine->route_domain(sender), std::optional<std::string>("shop.example"));
  // Static rules decide first and need no lookup.
  for (auto s : {"x@nowhere.example", "x@localhost", "x@a.invalid", "x@[192.0.2.1]"})
    EXPECT_FALSE(f.engine->route_domain(*parse_plain_address(s))) << s;
  EXPECT_FALSE(f.engine->route_domain(Mailbox{}));

  using K = policy::SenderRoute::Kind;
  struct Row {
    K kind;
    const char* rule;
  } rows[] = {{K::Routable, "rcpt_ok"},
              {K::NoDomain, "sender_unroutable_domain"},
              {K::NullMx, "sender_unroutable_domain"},
              {K::NoAddress, "sender_unroutable_domain"},
              {K::TempFail, "sender_verify_deferred"}};
  for (const auto& row : rows) {
    policy::SenderRoute route{row.kind, "detail from dns"};
    auto d = f.engine->check_rcpt(id, sender, &route);
    EXPECT_EQ(d.rule, row.rule) << policy::route_kind_name(row.kind);
    if (d.accept) {
      f.engine->release(id, 1);
    } else {
      EXPECT_EQ(d.detail, "DNS for sender domain shop.example: detail from dns");
    }
  }
  policy::SenderRoute temp{K::TempFail, "MX lookup: no answer"};
  auto deferred = f.engine->check_rcpt(id, sender, &temp).reply;
  EXPECT_EQ(deferred.code, 451);
  EXPECT_EQ(deferred.text, "Verification failed for <x@Shop.Example>\nhost lookup did not complete\n"
                           "Could not complete sender verify");
  // A routable domain does not excuse an address listed as unknown.
  policy::SenderRoute ok{K::Routable, "MX 10 mx.shop.example"};
  EXPECT_EQ(f.engine->check_rcpt(id, *parse_plain_address("ghost@shop.example"), &ok).rule,
            "sender_unrouteable_address");
}

TEST(Policy, RestrictSenders) {
  const char* allow = R"(
account: { restrict_senders: { mode: allowlist, entries: [billing@example.com, example.org] } }
smtp_users: [{ username: app, password: secret }]
)";
  Fixture a(allow);
  EXPECT_EQ(a.rcpt("app", "192.0.2.1", "billing@EXAMPLE.com").rule, "rcpt_ok");
  EXPECT_EQ(a.rcpt("app", "192.0.2.1", "anyone@example.org").rule, "rcpt_ok");
  auto d = a.rcpt("app", "192.0.2.1", "other@example.com");
  EXPECT_EQ(d.rule, "sender_not_allowed");
  EXPECT_EQ(d.reply.text, "That SMTP sender is not on your allowed list");
  EXPECT_EQ(a.rcpt("app", "192.0.2.1", "x@sub.example.org").rule, "sender_not_allowed");  // no subdomains
  Fixture b(R"(
account: { restrict_senders: { mode: blocklist, entries: [example.org] } }
smtp_users: [{ username: app, password: secret }]
)");
  EXPECT_EQ(b.rcpt("app", "192.0.2.1", "x@example.org").rule, "sender_not_allowed");
  EXPECT_EQ(b.rcpt("app", "192.0.2.1", "x@example.com").rule, "rcpt_ok");
}

TEST(Policy, FromHeaderRule) {
  Fixture f(kBase);
  auto id = f.engine->identify(std::string("app"), "192.0.2.1");
  struct Row {
    const char* headers;
    const char* rule;
    const char* domain;
  } rows[] = {
      {"From: Alice <alice@example.com>\r\n", "accepted", ""},
      {"From: alice@EXAMPLE.COM\r\n", "accepted", ""},
      {"From: \"Ops, Team\" <ops@other.org>\r\n", "accepted", ""},
      {"From: someone@other.org\r\n", "from_header_unverified", "other.org"},
      {"From: x@sub.example.com\r\n", "from_header_unverified", "sub.example.com"},
      {"Subject: no from\r\n", "from_header_unverified", ""},
      {"From: (comment) shop@shop.example\r\n", "from_header_unverified", "shop.example"},
      {"From:\r\n <alice@example.com>\r\n", "accepted", ""},
  };
  for (const auto& row : rows) {
    std::string content = std::string(row.headers) + "Subject: t\r\n\r\nFrom: body@example.com\r\n";
    auto d = f.engine->check_content(id, content);
    EXPECT_EQ(d.rule, row.rule) << row.headers << d.detail;
    if (!d.accept) {
      EXPECT_EQ(d.reply.text, std::string("From header sender domain not verified (") + row.domain +
                                  ")\nOn your Sending > Verified Senders page\n"
                                  "verify the sender domain or email to be allowed to send.");
    }
  }
  auto sandbox = f.engine->identify(std::string("sandy"), "192.0.2.1");
  EXPECT_EQ(f.engine->check_content(sandbox, "From: a@example.com\r\n\r\n").rule, "accepted_sandbox");
  // With restrict_senders on, the From header rule does not apply.
  Fixture r(R"(
account: { restrict_senders: { mode: blocklist, entries: [] } }
smtp_users: [{ username: app, password: secret }]
)");
  EXPECT_EQ(r.engine->check_content(r.engine->identify(std::string("app"), "1.2.3.4"), "From: x@y.z\r\n\r\n").rule,
            "accepted");
}

TEST(Policy, RateLimitBoundaries) {
  Fixture f(R"(
smtp_users: [{ username: app, password: secret, rate_limit: { count: 5, per: 1h } }]
ip_auth: [{ ip: 127.0.0.1, rate_limit: { count: 2, per: 1m } }]
)");
  // limit-1, limit, limit+1 within one transaction and across messages.
  EXPECT_EQ(f.send("app", "1.2.3.4", 4), 4);  // 4 of 5
  std::string rule;
  EXPECT_EQ(f.send("app", "1.2.3.4", 1, &rule), 1);  // exactly 5
  EXPECT_EQ(rule, "rcpt_ok");
  EXPECT_EQ(f.send("app", "1.2.3.4", 1, &rule), 0);  // 6th refused
  EXPECT_EQ(rule, "user_rate_limited");
  // The window slides: just before an hour, still full; at an hour, free.
  f.clock.advance(std::chrono::minutes(59) + std::chrono::seconds(59));
  EXPECT_EQ(f.send("app", "1.2.3.4", 1), 0);
  f.clock.advance(1s);
  EXPECT_EQ(f.send("app", "1.2.3.4", 5), 5);
  // IP identity has its own counter and its own rule id.
  EXPECT_EQ(f.send(std::nullopt, "127.0.0.1", 3, &rule), 2);
  EXPECT_EQ(rule, "ip_rate_limited");
}

TEST(Policy, ReservationsHoldAcrossConcurrentTransactions) {
  Fixture f(R"(
smtp_users: [{ username: app, password: secret, rate_limit: { count: 2, per: 1h } }]
)");
  auto id = f.engine->identify(std::string("app"), "1.2.3.4");
  auto from = *parse_plain_address("a@example.com");
  EXPECT_TRUE(f.engine->check_rcpt(id, from).accept);  // session A
  EXPECT_TRUE(f.engine->check_rcpt(id, from).accept);  // session B
  EXPECT_EQ(f.engine->check_rcpt(id, from).rule, "user_rate_limited");
  f.engine->release(id, 1);  // A gives up (RSET)
  EXPECT_TRUE(f.engine->check_rcpt(id, from).accept);
}

TEST(Policy, MonthlyQuotaAndCycleRenewal) {
  Fixture f(R"(
account: { quota: { monthly: 3, cycle_day: 20 } }
smtp_users:
  - { username: app, password: secret }
  - { username: sandy, password: x, status: sandbox }
)");
  f.clock.set(at(2026, 11, 19, 23, 59, 59));
  EXPECT_EQ(f.send("app", "1.2.3.4", 2), 2);
  std::string rule;
  EXPECT_EQ(f.send("sandy", "1.2.3.4", 2, &rule), 1);  // sandbox counts too
  EXPECT_EQ(rule, "quota_exhausted");
  auto d = f.rcpt("app", "1.2.3.4", "a@example.com");
  EXPECT_EQ(d.reply.code, 552);
  EXPECT_EQ(d.reply.text, "Your monthly email allowance is exhausted");
  f.clock.set(at(2026, 11, 20, 0, 0, 0));  // the cycle renews at 00:00 UTC on cycle_day
  EXPECT_EQ(f.send("app", "1.2.3.4", 3), 3);
}

TEST(Policy, CycleBounds) {
  auto c = policy::cycle_containing(at(2026, 1, 10), 15);
  EXPECT_EQ(c.start, at(2025, 12, 15));
  EXPECT_EQ(c.end, at(2026, 1, 15));
  c = policy::cycle_containing(at(2026, 12, 1), 1);
  EXPECT_EQ(c.start, at(2026, 12, 1));
  EXPECT_EQ(c.end, at(2027, 1, 1));
}

TEST(Policy, ReplyOverridesAndAuth) {
  Fixture f(R"(
smtp_users: [{ username: app, password: secret }]
replies:
  relay_denied: "550 relay access denied - please authenticate"
  sender_unroutable_domain: "550-Verification failed for <{addr}>\n550-Unrouteable address\n550 domain verify fail {addr}"
)");
  EXPECT_EQ(f.rcpt(std::nullopt, "1.2.3.4", "a@example.com").reply.text, "relay access denied - please authenticate");
  EXPECT_EQ(f.rcpt("app", "1.2.3.4", "a@b.invalid").reply.text,
            "Verification failed for <a@b.invalid>\nUnrouteable address\ndomain verify fail a@b.invalid");
  smtp::AuthAttempt good{"PLAIN", "app", "secret", "", ""};
  smtp::AuthAttempt bad_pw{"PLAIN", "app", "nope", "", ""};
  smtp::AuthAttempt bad_user{"LOGIN", "nobody", "secret", "", ""};
  EXPECT_TRUE(f.engine->authenticate(good).accept);
  auto d = f.engine->authenticate(bad_pw);
  EXPECT_EQ(d.rule, "auth_failed");
  EXPECT_EQ(d.reply.code, 535);
  EXPECT_EQ(d.reply.text, "Incorrect authentication data");
  EXPECT_EQ(f.engine->authenticate(bad_user).rule, "auth_failed");
  EXPECT_EQ(d.detail.find("nope"), std::string::npos);  // never the password
}

TEST(Policy, FromHeaderParsing) {
  auto from = [](std::string_view c) { return mime::from_header(c).mailbox; };
  EXPECT_EQ(from("FROM: a@b.c\r\n\r\n")->str(), "a@b.c");
  EXPECT_EQ(from("From: \"x <y@z.w>\" <real@b.c>\r\n\r\n")->str(), "real@b.c");
  EXPECT_FALSE(from("\r\nFrom: a@b.c\r\n"));  // in the body
  EXPECT_FALSE(from("From: not an address\r\n\r\n"));
  // A group: its first member (the rule and the store used to disagree).
  EXPECT_EQ(from("From: team: a@example.com;\r\n\r\n")->str(), "a@example.com");
  EXPECT_EQ(from("From: =?UTF-8?B?w6l0w6k=?= <e@b.c>\r\n\r\n")->str(), "e@b.c");
}

TEST(Policy, TheFromRuleChecksWhatTheStoreShows) {
  // Whatever the parser makes of an odd From, the rule and the store read the same address.
  for (std::string v : {"team: a@verified.test;", "<a@verified.test> <evil@shop.example>",
                        "\"a@verified.test\" <evil@shop.example>", "a@verified.test (evil@shop.example)",
                        "evil@shop.example, a@verified.test"}) {
    std::string content = "From: " + v + "\r\nSubject: x\r\n\r\nbody\r\n";
    Fixture f("account: { verified_domains: [verified.test] }\nip_auth: [{ ip: 127.0.0.1 }]\n");
    auto d = f.engine->check_content(f.engine->identify(std::nullopt, "127.0.0.1"), content);
    auto shown = mime::from_header(content).text;
    bool shows_verified = shown.size() > 14 && shown.substr(shown.size() - 14) == "@verified.test";
    EXPECT_EQ(d.accept, shows_verified) << v << " shown as " << shown << ": " << d.detail;
  }
}

}  // namespace

// The quota history is per UTC day, bounded, and read by whatever cycle asks.
TEST(Policy, QuotaHistoryIsPerDayAndBounded) {
  policy::Counters c;
  auto start = at(2020, 1, 1, 12);
  for (int d = 0; d < 1200; ++d) c.commit("user:app", std::nullopt, 1, start + std::chrono::hours(24 * d));
  // The oldest 100 days fell out; a month near the end holds one per day.
  EXPECT_EQ(c.quota_used({start, start + std::chrono::hours(24 * 100)}), 0u);
  auto late = policy::cycle_containing(start + std::chrono::hours(24 * 1150), 1);
  auto days = std::chrono::duration_cast<std::chrono::hours>(late.end - late.start).count() / 24;
  EXPECT_EQ(c.quota_used(late), static_cast<std::uint64_t>(days));
  // Two cycle days over the same history: each counts its own days.
  c.clear();
  c.commit("user:app", std::nullopt, 4, at(2026, 12, 15, 9));
  EXPECT_EQ(c.quota_used(policy::cycle_containing(at(2026, 12, 16), 1)), 4u);
  EXPECT_EQ(c.quota_used(policy::cycle_containing(at(2026, 12, 16), 15)), 4u);
  EXPECT_EQ(c.quota_used(policy::cycle_containing(at(2026, 12, 16), 16)), 0u);
}

// ---- Profiles (config/profiles.hpp) ------------------------------------------

TEST(Profiles, EveryReplyIdIsKnownAndEveryRuleHasAFallback) {
  const auto* generic = config::find_profile("generic");
  ASSERT_NE(generic, nullptr);
  std::vector<std::string_view> ids = {"size_exceeded", "too_many_recipients"};
  for (const auto& r : config::rules()) ids.push_back(r.id);
  for (const auto& s : SuccessReplies::ids())
    if (std::string_view(s.name).rfind("prdr_", 0) != 0) ids.push_back(s.name);
  for (const auto& p : config::profiles()) {
    for (const auto& r : p.replies) {
      EXPECT_NE(std::find(ids.begin(), ids.end(), r.id), ids.end()) << p.name << ": " << r.id;
      Reply parsed;
      EXPECT_TRUE(parse_reply_text(r.text, parsed)) << p.name << ": " << r.text;
      EXPECT_FALSE(r.source.empty()) << p.name << ": " << r.id;
    }
    for (auto rule : p.rules) EXPECT_NE(config::find_rule(rule), nullptr) << p.name << ": " << rule;
    if (p.name == "smtp2go") continue;
    // Whatever the provider documents or not, each id has a text.
    for (auto id : ids) EXPECT_TRUE(config::profile_reply(p, id).has_value()) << p.name << ": " << id;
  }
}

TEST(Profiles, TextsKeepTheirEnhancedCodeOnlyWhereTheProviderSendsOne) {
  auto brevo = config::profile_reply(*config::find_profile("brevo"), "auth_failed");
  ASSERT_TRUE(brevo);
  EXPECT_EQ(brevo->reply.code, 535);
  EXPECT_EQ(brevo->reply.enhanced, "5.7.0");
  EXPECT_EQ(brevo->reply.text, "Invalid login or password");
  EXPECT_FALSE(brevo->fallback);
  // SES sends none: the generic fallback loses its code too.
  auto ses = config::profile_reply(*config::find_profile("ses"), "sender_not_allowed");
  ASSERT_TRUE(ses);
  EXPECT_TRUE(ses->fallback);
  EXPECT_EQ(ses->reply.enhanced, "");
  EXPECT_EQ(ses->reply.text, "<{addr}>: Sender address rejected: Access denied");
  EXPECT_FALSE(config::profile_reply(config::default_profile(), "auth_failed").has_value());
}

TEST(Profiles, RulesAProviderDoesNotHaveAreNotChecked) {
  Fixture f(R"(
account: { verified_domains: [example.com], restrict_senders: { mode: allowlist, entries: [only@example.com] } }
smtp_users: [{ username: app, password: secret }]
ip_auth: [{ ip: 192.0.2.0/24 }]
replies: { relay_denied: "550 pinned for every profile" }
)");
  const auto* ses = config::find_profile("ses");
  // SMTP2GO: the ip_auth entry relays; the allowlist refuses.
  auto id = f.engine->identify(std::nullopt, "192.0.2.7");
  EXPECT_EQ(id.kind, Identity::Kind::Ip);
  EXPECT_EQ(f.engine->check_rcpt(id, *parse_plain_address("a@example.com")).rule, "sender_not_allowed");
  // SES: no relaying for an address (and a replies: override serves it too)...
  auto none = f.engine->identify(std::nullopt, "192.0.2.7", ses);
  EXPECT_EQ(none.kind, Identity::Kind::None);
  auto d = f.engine->check_rcpt(none, *parse_plain_address("a@example.com"), nullptr, ses);
  EXPECT_EQ(d.rule, "relay_denied");
  EXPECT_EQ(d.reply.text, "pinned for every profile");
  EXPECT_NE(d.detail.find("profile ses"), std::string::npos) << d.detail;
  // ...and no restrict_senders: an authenticated user sends, the From rule applies.
  auto user = f.engine->identify(std::string("app"), "192.0.2.7", ses);
  EXPECT_TRUE(f.engine->check_rcpt(user, *parse_plain_address("a@example.com"), nullptr, ses).accept);
  f.engine->release(user, 1);
  auto content = f.engine->check_content(user, mime::from_header("From: a@other.org\r\n\r\n"), ses);
  EXPECT_EQ(content.rule, "from_header_unverified");
  EXPECT_EQ(content.reply.code, 554);
  EXPECT_NE(content.reply.text.find("in region US-EAST-1: a@other.org"), std::string::npos) << content.reply.text;
  // Brevo refuses before any recipient; the others accept MAIL.
  EXPECT_FALSE(f.engine->check_mail(none, config::find_profile("brevo")).accept);
  EXPECT_TRUE(f.engine->check_mail(none, ses).accept);
  EXPECT_TRUE(f.engine->check_mail(user, config::find_profile("brevo")).accept);
}
