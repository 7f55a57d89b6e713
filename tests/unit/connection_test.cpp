// net::Connection over a scripted transport: deadlines, the STARTTLS switch,
// DNS pauses, failures at any operation and shutdown, in milliseconds.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "fake_transport.hpp"
#include "net/connection.hpp"
#include "service_world.hpp"

using namespace relaymock;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// A pause inside a test's DNS answer (on the resolver's thread).
asio::awaitable<void> after(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

const char* kConfig = R"(
account: { verified_domains: [example.com] }
ip_auth: [{ ip: 192.0.2.1 }]
)";

const char* kDnsConfig = R"(
account: { verified_domains: [example.com] }
ip_auth: [{ ip: 192.0.2.1 }]
sender_verification: { mode: system }
)";

// One connection, the relay behind it, and the test as its client.
struct Line {
  explicit Line(const char* yaml = kConfig) : world(yaml) {
    settings->hostname = "mx.test";
    settings->version = "1.0";
    settings->starttls_offered = true;
    setup.settings = settings;
    setup.mode = config::TlsMode::StartTls;
    setup.timeouts.command = 2s;
    setup.timeouts.data = 2s;
    setup.date = [] { return std::string(); };
  }
  ~Line() {
    if (conn && !finished) {
      client->hang_up();
      run_until([&] { return finished; });
    }
  }

  void start() {
    auto t = std::make_unique<test::FakeTransport>(ioc.get_executor());
    t->read_size = read_size;
    t->fail_at = fail_at;
    client = t.get();
    conn = std::make_shared<net::Connection>(std::move(t), setup, world.service, "s-1", "192.0.2.1");
    asio::co_spawn(ioc, conn->run(), [this](std::exception_ptr e) {
      finished = true;
      failed = e != nullptr;
    });
    expect_replies(1);  // the greeting
  }

  // Runs the loop until `done` holds or `limit` passes (a bounded wait).
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 3s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < end) {
      ioc.run_for(2ms);
      if (ioc.stopped()) ioc.restart();
    }
    return done();
  }

  // Waits for `n` complete replies after what was already taken, and returns them.
  std::string expect_replies(int n, std::chrono::milliseconds limit = 3s) {
    auto complete = [&] {
      int finals = 0;
      std::string_view out(client->written);
      out.remove_prefix(taken);
      for (std::size_t pos = 0; pos < out.size();) {
        auto end = out.find("\r\n", pos);
        if (end == std::string_view::npos) break;
        if (end - pos >= 4 && out[pos + 3] == ' ') ++finals;
        pos = end + 2;
      }
      return finals >= n;
    };
    run_until([&] { return complete() || finished; }, limit);
    run_until(complete, 20ms);
    auto out = client->written.substr(taken);
    taken = client->written.size();
    return out;
  }
  std::string say(std::string_view bytes, int replies = 1) {
    client->send(bytes);
    return expect_replies(replies);
  }

  asio::io_context ioc;
  test::ServiceWorld<OffsetClock> world;
  std::shared_ptr<smtp::Settings> settings = std::make_shared<smtp::Settings>();
  net::ConnectionSetup setup;
  std::size_t read_size = 1 << 16;
  int fail_at = 0;
  test::FakeTransport* client = nullptr;
  std::shared_ptr<net::Connection> conn;
  std::size_t taken = 0;
  bool finished = false, failed = false;
};

const std::string kMessage = "Subject: t\r\nFrom: a@example.com\r\n\r\nhello\r\n.\r\n";

std::string last_rule(Line& l) {
  store::EventFilter f;
  std::size_t total = 0;
  auto events = l.world.events.query(f, 1000, &total);
  return events.empty() ? "" : events.back().rule + "@" + events.back().stage;
}

}  // namespace

// The same dialogue, read one byte at a time, seven at a time, or whole.
TEST(Connection, AnyReadSizeGivesTheSameDialogue) {
  std::vector<std::string> transcripts;
  for (std::size_t size : {std::size_t(1), std::size_t(7), std::size_t(1) << 16}) {
    Line l;
    l.read_size = size;
    l.start();
    std::string t = l.say("EHLO c.test\r\n");
    t += l.say("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n", 3);
    t += l.say(kMessage + "QUIT\r\n", 2);
    ASSERT_TRUE(l.run_until([&] { return l.finished; })) << size;
    EXPECT_FALSE(l.failed);
    EXPECT_EQ(l.world.mail.size(), 1u) << size;
    EXPECT_TRUE(l.client->closed);
    // Message ids differ per run; the rest is the same.
    auto id = t.find("250 OK id=");
    ASSERT_NE(id, std::string::npos) << t;
    t.erase(id + 10, t.find("\r\n", id) - id - 10);
    transcripts.push_back(t);
  }
  EXPECT_EQ(transcripts[0], transcripts[1]);
  EXPECT_EQ(transcripts[1], transcripts[2]);
  EXPECT_NE(transcripts[0].find("221 mx.test closing connection\r\n"), std::string::npos);
}

TEST(Connection, CommandDeadlineAnswers421AndNamesTheStage) {
  Line l;
  l.setup.timeouts.command = 60ms;
  l.start();
  l.say("EHLO c.test\r\n");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(l.expect_replies(1), "421 mx.test: SMTP command timeout - closing connection\r\n");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
  ASSERT_TRUE(l.run_until([&] { return l.finished; }));
  EXPECT_EQ(last_rule(l), "timeout@ehlo");
  EXPECT_EQ(l.world.metrics.sessions_open.load(), 0);
}

TEST(Connection, DataDeadlineDropsTheHalfMessage) {
  Line l;
  l.setup.timeouts.data = 80ms;
  l.start();
  l.say("EHLO c.test\r\n");
  l.say("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n", 3);
  l.client->send("Subject: half\r\n");
  EXPECT_EQ(l.expect_replies(1), "421 mx.test SMTP incoming data timeout - closing connection.\r\n");
  ASSERT_TRUE(l.run_until([&] { return l.finished; }));
  EXPECT_EQ(l.world.mail.size(), 0u);
  EXPECT_EQ(last_rule(l), "timeout@data");
}

// A client that stops reading does not hold the connection: the 421 gets
// `final_write`, then the transport is closed.
TEST(Connection, ClientThatWillNotTakeThe421IsDropped) {
  Line l;
  l.setup.timeouts.command = 40ms;
  l.setup.final_write = 40ms;
  l.start();
  l.say("EHLO c.test\r\n");
  l.client->writes_stall = true;
  ASSERT_TRUE(l.run_until([&] { return l.finished; }, 2s));
  EXPECT_TRUE(l.client->closed);
  EXPECT_EQ(l.client->written.find("421"), std::string::npos);
}

// RFC 3207 5: nothing pipelined after STARTTLS survives the switch.
TEST(Connection, StartTlsDropsPipelinedPlaintextAndStartsOver) {
  Line l;
  l.start();
  EXPECT_NE(l.say("EHLO c.test\r\n").find("250-STARTTLS\r\n"), std::string::npos);
  EXPECT_EQ(l.say("STARTTLS\r\nMAIL FROM:<injected@example.com>\r\n"), "220 TLS go ahead\r\n");
  ASSERT_TRUE(l.run_until([&] { return l.client->tls; }));
  EXPECT_EQ(l.client->written_before_tls.size(), l.client->written.size());
  // A new session: EHLO again, STARTTLS no longer offered, no MAIL open.
  auto ehlo = l.say("EHLO c.test\r\n");
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos) << ehlo;
  EXPECT_EQ(l.say("MAIL FROM:<a@example.com>\r\n"), "250 sender ok.\r\n");
  EXPECT_EQ(l.world.metrics.tls_sessions_total.load(), 1u);
}

TEST(Connection, FailedTlsHandshakeEndsTheConnection) {
  Line l;
  l.start();
  l.say("EHLO c.test\r\n");
  l.client->tls_fails = true;
  EXPECT_EQ(l.say("STARTTLS\r\n"), "220 TLS go ahead\r\n");
  ASSERT_TRUE(l.run_until([&] { return l.finished; }));
  EXPECT_TRUE(l.client->closed);
  EXPECT_EQ(l.world.metrics.tls_sessions_total.load(), 0u);
}

// A RCPT that needs DNS pauses the session: commands pipelined behind it
// wait, and are answered in order once the answer is in.
TEST(Connection, DnsPauseKeepsPipelinedCommandsInOrder) {
  Line l(kDnsConfig);
  std::atomic<int> asked{0};
  l.world.dns = [&](std::string domain, config::SenderVerification) -> boost::asio::awaitable<policy::SenderRoute> {
    ++asked;
    co_await after(20ms);  // an answer that takes a while
    co_return domain == "nowhere.test" ? policy::SenderRoute{policy::SenderRoute::Kind::NoDomain, "NXDOMAIN"}
                                       : policy::SenderRoute{policy::SenderRoute::Kind::Routable, "MX 10 mx"};
  };
  l.read_size = 5;
  l.start();
  l.say("EHLO c.test\r\n");
  auto out = l.say("MAIL FROM:<a@nowhere.test>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n", 4);
  auto first = out.find("250 sender ok.\r\n");
  auto refused = out.find("550");
  auto data = out.find("All RCPT commands were rejected");
  EXPECT_EQ(first, 0u) << out;
  EXPECT_NE(refused, std::string::npos) << out;
  EXPECT_LT(refused, data) << out;
  EXPECT_EQ(asked.load(), 1);  // the second RCPT used the cached answer
  EXPECT_EQ(last_rule(l).substr(0, 19), "no_valid_recipients") << last_rule(l);
  // A routable sender goes through.
  l.say("RSET\r\n");
  EXPECT_EQ(l.say("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n", 2), "250 sender ok.\r\n250 Accepted <b@example.org>\r\n");
}

TEST(Connection, DnsSlowerThanTheDeadlineTimesOutAtRcpt) {
  Line l(kDnsConfig);
  l.setup.timeouts.command = 40ms;
  std::atomic<int> answered{0};
  l.world.dns = [&](std::string, config::SenderVerification) -> boost::asio::awaitable<policy::SenderRoute> {
    co_await after(150ms);
    ++answered;
    co_return policy::SenderRoute{policy::SenderRoute::Kind::Routable, "MX 10 mx"};
  };
  l.start();
  l.say("EHLO c.test\r\n");
  auto out = l.say("MAIL FROM:<a@slow.test>\r\nRCPT TO:<b@example.org>\r\n", 2);
  EXPECT_EQ(out, "250 sender ok.\r\n421 mx.test: SMTP command timeout - closing connection\r\n");
  ASSERT_TRUE(l.run_until([&] { return l.finished; }));
  EXPECT_EQ(last_rule(l), "timeout@rcpt");
  // The deadline ended the wait, not the answer: the session was over
  // before DNS answered, and the lookup still finished for anyone else.
  EXPECT_EQ(answered.load(), 0);
  EXPECT_EQ(l.world.resolver.stats().abandoned, 1u);
  ASSERT_TRUE(l.run_until([&] { return answered.load() == 1; }));
}

// Whichever read or write fails, the connection ends cleanly: no crash, no
// hang, nothing left open, and a message is stored only once acknowledged.
TEST(Connection, FailureAtAnyOperationEndsCleanly) {
  int total = 0;
  {
    Line l;
    l.read_size = 9;
    l.start();
    l.say("EHLO c.test\r\n");
    l.say("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n", 3);
    l.say(kMessage + "QUIT\r\n", 2);
    ASSERT_TRUE(l.run_until([&] { return l.finished; }));
    total = l.client->operations;
  }
  ASSERT_GT(total, 10);
  for (int n = 1; n <= total; ++n) {
    Line l;
    l.read_size = 9;
    l.fail_at = n;
    l.start();
    l.client->send("EHLO c.test\r\n");
    l.expect_replies(1, 200ms);
    l.client->send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
    l.expect_replies(3, 200ms);
    l.client->send(kMessage + "QUIT\r\n");
    ASSERT_TRUE(l.run_until([&] { return l.finished; })) << "failure at operation " << n;
    EXPECT_FALSE(l.failed) << n;
    EXPECT_TRUE(l.client->closed) << n;
    EXPECT_EQ(l.world.metrics.sessions_open.load(), 0) << n;
    bool acknowledged = l.client->written.find("250 OK id=") != std::string::npos;
    if (acknowledged) EXPECT_EQ(l.world.mail.size(), 1u) << n;
    EXPECT_LE(l.world.mail.size(), 1u) << n;
  }
}

TEST(Connection, ShutdownAnswersIdleSessionsAndLetsDataFinish) {
  Line idle;
  idle.start();
  idle.say("EHLO c.test\r\n");
  idle.conn->shutdown(500ms);
  EXPECT_EQ(idle.expect_replies(1), "421 mx.test: Service not available - closing connection\r\n");
  ASSERT_TRUE(idle.run_until([&] { return idle.finished; }));
  EXPECT_EQ(last_rule(idle), "shutdown@ehlo");

  Line busy;
  busy.start();
  busy.say("EHLO c.test\r\n");
  busy.say("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n", 3);
  busy.client->send("Subject: in flight\r\nFrom: a@example.com\r\n");
  busy.run_until([] { return false; }, 10ms);
  busy.conn->shutdown(1s);
  busy.run_until([] { return false; }, 20ms);
  auto out = busy.say("\r\nbody\r\n.\r\n", 2);
  EXPECT_EQ(out.substr(0, 10), "250 OK id=") << out;
  EXPECT_NE(out.find("421 mx.test: Service not available - closing connection\r\n"), std::string::npos) << out;
  EXPECT_EQ(busy.world.mail.size(), 1u);
}

TEST(Connection, SlowGreetingThenCommandsWork) {
  Line l;
  l.setup.fault.kind = config::Fault::Kind::SlowGreeting;
  l.setup.fault.delay = 100ms;
  l.setup.timeouts.command = 60ms;  // shorter than the delay: the delay is not the client's time
  l.start();
  EXPECT_EQ(l.say("EHLO c.test\r\n").substr(0, 4), "250-");
}

TEST(Connection, ResetFaultSendsNothing) {
  Line l;
  l.setup.fault.kind = config::Fault::Kind::Reset;
  l.start();
  ASSERT_TRUE(l.run_until([&] { return l.finished; }));
  EXPECT_TRUE(l.client->was_reset);
  EXPECT_EQ(l.client->written, "");
}
