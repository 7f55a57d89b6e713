// The transaction service's invariants: every reservation ends in a commit or
// a release whatever path the transaction takes, through the real SMTP
// adapter (net::MailHandler over smtp::Session) and through the service
// directly (the API v3's way); and the bus wakes a waiting long-poll.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <thread>

#include "config/loader.hpp"
#include "net/mail_handler.hpp"
#include "relay/service.hpp"
#include "service_world.hpp"
#include "util/dates.hpp"

using namespace relaymock;
using namespace std::chrono_literals;

namespace {

const char* kConfig = R"(
account: { verified_domains: [example.com], quota: { monthly: 100 } }
smtp_users: [{ username: app, password: secret, rate_limit: { count: 10, per: 1h } }]
ip_auth:
  - { ip: 192.0.2.0/24, rate_limit: { count: 10, per: 1h } }
)";

// The same, plus a more specific ip_auth entry for the test client: after a
// reload its transactions belong to another identity.
const char* kReloaded = R"(
account: { verified_domains: [example.com], quota: { monthly: 100 } }
smtp_users: [{ username: app, password: secret, rate_limit: { count: 10, per: 1h } }]
ip_auth:
  - { ip: 192.0.2.0/24, rate_limit: { count: 10, per: 1h } }
  - { ip: 192.0.2.1, rate_limit: { count: 10, per: 1h } }
)";

using test::load_config;

struct World : test::ServiceWorld<ManualClock> {
  World() : ServiceWorld(kConfig, time_from_civil({2026, 11, 15}) + 12h) {}

  // Recipients held and counted for a rate-limited counter key.
  using Held = std::pair<std::uint64_t, std::uint64_t>;
  Held usage(const std::string& key) {
    auto u = counters.rate_usage(key, config::RateLimit{10, 1h}, clock.now());
    return {u.reserved, u.used};
  }
};

// One SMTP session on the real adapter.
struct Smtp {
  explicit Smtp(World& w) : handler(w.service, "t-1") { handler.opened("192.0.2.1", 2525, false); }
  smtp::Settings settings = [] {
    smtp::Settings s;
    s.hostname = "mx.test";
    s.version = "1";
    return s;
  }();
  net::MailHandler handler;
  smtp::Session session{settings, handler, smtp::ClientInfo{"192.0.2.1", 2525, false}};
  // A polite client: one line at a time, as if it waited for each reply.
  std::string send(std::string_view lines) {
    while (!lines.empty()) {
      auto n = std::min(lines.find('\n') + 1, lines.size());
      session.feed(lines.substr(0, n));
      lines.remove_prefix(n);
    }
    std::string out = std::move(session.output());
    session.output().clear();
    return out;
  }
};

using Held = World::Held;
constexpr const char* kKey = "ip:192.0.2.0/24";
constexpr const char* kTwoRcpts = "EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@x.test>\r\nRCPT TO:<c@x.test>\r\n";

TEST(Relay, AcceptedMessageCommitsItsRecipients) {
  World w;
  Smtp s(w);
  s.session.greet("");
  s.send(kTwoRcpts);
  EXPECT_EQ(w.usage(kKey), (Held{2, 0}));
  auto out = s.send("DATA\r\nFrom: a@example.com\r\n\r\nhi\r\n.\r\n");
  EXPECT_NE(out.find("250 OK id="), std::string::npos) << out;
  EXPECT_EQ(w.usage(kKey), (Held{0, 2}));
  EXPECT_EQ(w.mail.size(), 1u);
}

TEST(Relay, RefusedContentReleases) {
  World w;
  Smtp s(w);
  s.session.greet("");
  s.send(kTwoRcpts);
  auto out = s.send("DATA\r\nFrom: a@unverified.test\r\n\r\nhi\r\n.\r\n");
  EXPECT_NE(out.find("550-From header sender domain not verified"), std::string::npos) << out;
  EXPECT_EQ(w.usage(kKey), (Held{0, 0}));
  EXPECT_EQ(w.mail.size(), 0u);
}

TEST(Relay, RsetQuitDisconnectTimeoutAndShutdownRelease) {
  for (const char* path : {"rset", "quit", "disconnect", "timeout", "shutdown", "new_mail"}) {
    World w;
    Smtp s(w);
    s.session.greet("");
    s.send(kTwoRcpts);
    ASSERT_EQ(w.usage(kKey).first, 2u) << path;
    std::string p = path;
    if (p == "rset") s.send("RSET\r\n");
    if (p == "quit") s.send("QUIT\r\n");
    if (p == "disconnect") s.session.disconnected();
    if (p == "timeout") s.session.timeout();
    if (p == "shutdown") s.session.shutdown();
    if (p == "new_mail") s.send("RSET\r\nMAIL FROM:<a@example.com>\r\n");
    EXPECT_EQ(w.usage(kKey), (Held{0, 0})) << path;
  }
}

TEST(Relay, ReloadMidTransactionReleasesEachIdentityItsOwn) {
  World w;
  Smtp s(w);
  s.session.greet("");
  s.send("EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@x.test>\r\n");
  w.engine.set_config(load_config(kReloaded));  // now 192.0.2.1 is its own entry
  s.send("RCPT TO:<c@x.test>\r\n");
  EXPECT_EQ(w.usage(kKey).first, 1u);
  EXPECT_EQ(w.usage("ip:192.0.2.1").first, 1u);
  s.send("RSET\r\n");
  EXPECT_EQ(w.usage(kKey), (Held{0, 0}));
  EXPECT_EQ(w.usage("ip:192.0.2.1"), (Held{0, 0}));
}

TEST(Relay, StoreFailureReleasesAndAnswers451) {
  World w;
  relay::Transaction tx(w.service, relay::Origin{"api-1", "192.0.2.1", 8080, false});
  auto id = w.service.identify(std::nullopt, "192.0.2.1");
  ASSERT_TRUE(tx.check_rcpt(id, *parse_plain_address("a@example.com")).accept);
  auto r = tx.store_failed("disk full");
  EXPECT_EQ(r.reply.code, 451);
  EXPECT_EQ(w.usage(kKey), (Held{0, 0}));
  auto ev = w.events.query({}, 10);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().rule, "store_failed");
  EXPECT_EQ(ev.back().detail, "disk full");
}

TEST(Relay, ATransactionDroppedMidwayReleases) {
  // The API v3 way out on a scenario's disconnect: the Transaction simply ends.
  World w;
  {
    relay::Transaction tx(w.service, relay::Origin{"api-2", "192.0.2.1", 8080, false});
    auto id = w.service.identify(std::nullopt, "192.0.2.1");
    ASSERT_TRUE(tx.check_rcpt(id, *parse_plain_address("a@example.com")).accept);
    ASSERT_TRUE(tx.check_rcpt(id, *parse_plain_address("a@example.com")).accept);
    EXPECT_EQ(tx.reserved(), 2u);
  }
  EXPECT_EQ(w.usage(kKey), (Held{0, 0}));
}

TEST(Relay, EveryOutcomeIsPublishedOnce) {
  World w;
  std::vector<relay::Outcome::Kind> seen;
  auto sub = w.bus.subscribe([&](const relay::Outcome& o) { seen.push_back(o.kind); });
  Smtp s(w);
  s.session.greet("");
  s.send(kTwoRcpts);
  s.send("DATA\r\nFrom: a@example.com\r\n\r\nhi\r\n.\r\n");
  using K = relay::Outcome::Kind;
  // The accepted decision (its event), then the capture.
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], K::Decision);
  EXPECT_EQ(seen[1], K::MessageCaptured);
  auto id = w.mail.query({}, 0, 1).items.at(0)->id;
  EXPECT_TRUE(w.service.remove_message(id));
  EXPECT_EQ(seen.back(), K::MessageDeleted);
  EXPECT_FALSE(w.service.remove_message(id));  // nothing happened: nothing published
  EXPECT_EQ(seen.size(), 3u);
}

TEST(Relay, WaitUntilWakesOnPublishAndEndsAtItsDeadline) {
  relay::Bus bus;
  boost::asio::io_context ioc;
  std::atomic<int> value{0};
  int asked = 0;
  auto woke = boost::asio::co_spawn(
      ioc, relay::wait_until(bus, 60s, [&] { ++asked; return value.load() == 1; }), boost::asio::use_future);
  std::thread runner([&] { ioc.run(); });
  std::this_thread::sleep_for(50ms);
  bus.publish({relay::Outcome::Kind::ClockMoved});  // not enough yet: asked again, waits on
  std::this_thread::sleep_for(50ms);
  value = 1;
  bus.publish({relay::Outcome::Kind::MessageCaptured});
  // Far sooner than the 60 s deadline; bounded so a lost wake-up fails the test.
  ASSERT_EQ(woke.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(woke.get());
  runner.join();
  EXPECT_EQ(asked, 3);  // at the start and once per publish: no polling

  boost::asio::io_context ioc2;
  auto timed_out = boost::asio::co_spawn(ioc2, relay::wait_until(bus, 20ms, [] { return false; }), boost::asio::use_future);
  ioc2.run();
  EXPECT_FALSE(timed_out.get());
}

}  // namespace
