// The transaction service over in-memory stores, as the server wires it,
// for tests that drive it (directly, through the SMTP adapter, or through
// the HTTP API's handlers) without sockets.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "config/loader.hpp"
#include "relay/indexer.hpp"
#include "relay/service.hpp"

namespace relaymock::test {

inline std::shared_ptr<const config::Config> load_config(const char* yaml) {
  auto res = config::load_config_text(yaml, "test.yaml", false);
  EXPECT_TRUE(res.ok()) << res.format("test.yaml");
  return std::make_shared<const config::Config>(res.config);
}

template <typename ClockT>
struct ServiceWorld {
  template <typename... ClockArgs>
  explicit ServiceWorld(const char* yaml, ClockArgs&&... clock_args)
      : clock(std::forward<ClockArgs>(clock_args)...), cfg(load_config(yaml)) {}

  ClockT clock;
  std::shared_ptr<const config::Config> cfg;
  policy::Counters counters;
  policy::Engine engine{cfg, clock, counters};
  policy::Scenarios scenarios;
  store::MailStore mail{100, 1 << 20, nullptr};
  store::EventLog events{1000, nullptr};
  store::Transcripts transcripts{10, 100};
  // Sender DNS: the real question unless a test answers it (a coroutine on
  // the resolver's thread).
  relay::Resolver::Query dns;
  relay::Resolver resolver{cfg->sender_verification, [this](std::string d, config::SenderVerification s) {
                             return dns ? dns(std::move(d), std::move(s)) : resolver.ask_dns(std::move(d), std::move(s));
                           }};
  relay::Metrics metrics;
  relay::Bus bus;
  relay::Service service{relay::Deps{engine, scenarios, mail, events, transcripts, resolver, metrics, bus, clock}};
  relay::Indexer indexer{mail, bus};
};

}  // namespace relaymock::test
