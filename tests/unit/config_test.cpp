#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/loader.hpp"

using namespace relaymock::config;
using relaymock::Millis;
namespace fs = std::filesystem;

TEST(Config, EmbeddedDefaultIsTheExampleFileAndValid) {
  std::ifstream in(std::string(RELAYMOCK_SOURCE_DIR) + "/config/relaymock.yaml", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), default_config_text());
  auto res = load_config_text(default_config_text(), "<default>");
  ASSERT_TRUE(res.ok()) << res.format("<default>");
  const auto& c = res.config;
  EXPECT_EQ(c.server.hostname, "relaymock.local");
  ASSERT_EQ(c.server.listeners.size(), 3u);
  EXPECT_EQ(c.server.listeners[2].port, 8465);
  EXPECT_EQ(c.server.listeners[2].tls, TlsMode::Implicit);
  ASSERT_EQ(c.smtp_users.size(), 1u);
  EXPECT_EQ(c.smtp_users[0].username, "relaymock");
  EXPECT_EQ(c.account.verified_domains, std::vector<std::string>{"example.com"});
  EXPECT_EQ(c.ip_auth.size(), 2u);
  EXPECT_EQ(c.server.timeouts.command, Millis(300000));
}

TEST(Config, ProviderPortsFileIsValid) {
  auto res = load_config_file(std::string(RELAYMOCK_SOURCE_DIR) + "/config/provider-ports.yaml");
  ASSERT_TRUE(res.ok()) << res.format("provider-ports.yaml");
  EXPECT_EQ(res.config.server.listeners.size(), 8u);
}

TEST(Config, CompatProfilesAreValid) {
  for (const char* f : {"/config/mailpit.yaml", "/config/mailhog.yaml"}) {
    auto res = load_config_file(std::string(RELAYMOCK_SOURCE_DIR) + f);
    EXPECT_TRUE(res.ok()) << f << "\n" << res.format(f);
  }
  // One door alone is read whole (the other's absence once threw inside yaml-cpp).
  auto one = load_config_text("compat:\n  mailpit:\n    listen: 127.0.0.1:9025\n", "t.yaml");
  ASSERT_TRUE(one.ok()) << one.format("t.yaml");
  EXPECT_EQ(one.config.compat.mailpit.listen.port, 9025);
  EXPECT_FALSE(one.config.compat.mailhog.listen.enabled);
  auto other = load_config_text("compat:\n  mailhog: { listen: \"[::1]:9026\", jim: true }\n", "t.yaml");
  ASSERT_TRUE(other.ok()) << other.format("t.yaml");
  EXPECT_EQ(other.config.compat.mailhog.listen.host, "::1");
  EXPECT_TRUE(other.config.compat.mailhog.jim);
}

TEST(Config, AFileReplacesTheDefaultAsAWhole) {
  auto res = load_config_text("server:\n  hostname: mx.example\n", "t.yaml");
  ASSERT_TRUE(res.ok()) << res.format("t.yaml");
  EXPECT_EQ(res.config.server.hostname, "mx.example");
  EXPECT_EQ(res.config.server.listeners.size(), 3u);  // scalars and listeners default
  EXPECT_TRUE(res.config.smtp_users.empty());         // lists are empty
  EXPECT_TRUE(res.config.ip_auth.empty());
  EXPECT_TRUE(res.config.account.verified_domains.empty());
  EXPECT_TRUE(load_config_text("", "empty.yaml").ok());
}

TEST(Config, PolicyKeys) {
  auto res = load_config_text(R"(
account:
  status: closed
  verified_domains: [Example.COM]
  verified_senders: [Ops@Other.org]
  allow_blank_sender: true
  restrict_senders: { mode: allowlist, entries: [billing@example.com, example.org] }
  quota: { monthly: 1000, cycle_day: 15 }
smtp_users:
  - { username: app, password: secret, status: sandbox, rate_limit: { count: 100, per: 1h } }
ip_auth:
  - { ip: 10.1.0.0/16, status: blocked, rate_limit: { count: 50, per: 1m } }
  - { ip: "2001:db8::/32" }
sender_verification: { mode: off, unroutable_domains: [nowhere.invalid], unknown_addresses: [ghost@example.com] }
replies:
  relay_denied: "550 relay access denied - please authenticate"
  from_header_unverified: "550-line one\n550 line two"
)",
                              "p.yaml");
  ASSERT_TRUE(res.ok()) << res.format("p.yaml");
  const auto& c = res.config;
  EXPECT_TRUE(c.account.closed);
  EXPECT_EQ(c.account.verified_domains[0], "example.com");
  EXPECT_EQ(c.account.verified_senders[0], "Ops@other.org");
  EXPECT_EQ(c.account.restrict_mode, RestrictMode::Allowlist);
  EXPECT_EQ(*c.account.monthly_quota, 1000u);
  EXPECT_EQ(c.account.cycle_day, 15);
  EXPECT_EQ(c.smtp_users[0].status, Status::Sandbox);
  EXPECT_EQ(c.smtp_users[0].rate_limit->per, Millis(3600000));
  EXPECT_EQ(c.ip_auth[0].status, Status::Blocked);
  EXPECT_EQ(c.ip_auth[1].cidr.written_prefix(), 32);
  EXPECT_EQ(c.sender_verification.mode, VerifyMode::Off);
  EXPECT_EQ(c.replies.at("relay_denied").text, "relay access denied - please authenticate");
  EXPECT_EQ(c.replies.at("from_header_unverified").text, "line one\nline two");
}

// Every file in tests/config/bad starts with "# expect: LINE:COL: text" and must
// produce that problem (first problem at that position, message starting with text).
TEST(Config, BrokenFilesGiveTheirLineAndColumn) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(std::string(RELAYMOCK_SOURCE_DIR) + "/tests/config/bad")) {
    ++files;
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    const std::string marker = "# expect: ";
    ASSERT_EQ(first.rfind(marker, 0), 0u) << entry.path();
    std::string expect = first.substr(marker.size());
    auto res = load_config_file(entry.path().string());
    ASSERT_FALSE(res.ok()) << entry.path() << " should be invalid";
    std::string all = res.format("");
    bool found = false;
    for (const auto& p : res.problems) {
      std::string line = std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + p.message;
      if (line.rfind(expect, 0) == 0) found = true;
    }
    EXPECT_TRUE(found) << entry.path().filename() << "\n  expected: " << expect << "\n  got:\n" << all;
  }
  EXPECT_GE(files, 20);
}
