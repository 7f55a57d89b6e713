// After the 250: the plan (policy/outcomes) and its playing on a clock
// (relay/OutcomeScheduler), without a server.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "policy/outcomes.hpp"
#include "relay/outcome_scheduler.hpp"

using namespace relaymock;
using namespace std::chrono_literals;
using policy::DeliveryEvent;

namespace {

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'800'000'000));
const auto message = std::make_shared<const relay::OutcomeMessage>(relay::OutcomeMessage{"1abc"});

policy::MessageFacts facts(std::vector<std::string> rcpts) {
  policy::MessageFacts f;
  f.accepted_at = kT0;
  f.message_id = "1abc";
  f.client_ip = "127.0.0.1";
  f.port = 2525;
  f.sender = "shop@example.com";
  f.recipients = std::move(rcpts);
  f.head = "From: shop@example.com\r\nX-Kind: promo\r\n\r\n";
  f.content = "From: shop@example.com\r\n\r\n<a href=\"https://shop.example/x?y=1\">x</a> http://later.example\r\n";
  f.size = 120;
  return f;
}

config::Outcomes outcomes_from(const std::string& yaml) {
  auto r = config::load_config_text(yaml, "t.yaml", false);
  EXPECT_TRUE(r.problems.empty()) << (r.problems.empty() ? "" : r.problems[0].message);
  return r.config.outcomes;
}

std::vector<std::pair<DeliveryEvent, long>> shape(const std::vector<policy::PlannedEvent>& plan, std::string_view rcpt) {
  std::vector<std::pair<DeliveryEvent, long>> out;
  for (const auto& p : plan)
    if (p.recipient == rcpt) out.emplace_back(p.event, std::chrono::duration_cast<std::chrono::seconds>(p.due - kT0).count());
  return out;
}

}  // namespace

TEST(Outcomes, MagicLocalParts) {
  EXPECT_EQ(policy::magic_outcome("bounce@x.org"), config::OutcomeKind::HardBounce);
  EXPECT_EQ(policy::magic_outcome("Bounce+tag@x.org"), config::OutcomeKind::HardBounce);
  EXPECT_EQ(policy::magic_outcome("softbounce@x.org"), config::OutcomeKind::SoftBounce);
  EXPECT_EQ(policy::magic_outcome("complaint@x.org"), config::OutcomeKind::Spam);
  EXPECT_EQ(policy::magic_outcome("click@x.org"), config::OutcomeKind::Click);
  EXPECT_EQ(policy::magic_outcome("success@x.org"), config::OutcomeKind::Delivered);
  EXPECT_FALSE(policy::magic_outcome("bouncer@x.org"));
  EXPECT_FALSE(policy::magic_outcome("bounce"));
  EXPECT_FALSE(policy::magic_outcome(""));
}

TEST(Outcomes, EachMagicAddressPlansTheProvidersEvents) {
  config::Outcomes cfg;
  auto plan = policy::plan_outcomes(cfg, facts({"bounce@a.org", "softbounce@b.org", "click@c.org", "r@d.org",
                                                 "unsubscribe@e.org", "complaint@f.org"}));
  ASSERT_FALSE(plan.empty());
  EXPECT_EQ(plan[0].event, DeliveryEvent::Processed);
  using V = std::vector<std::pair<DeliveryEvent, long>>;
  EXPECT_EQ(shape(plan, "bounce@a.org"), (V{{DeliveryEvent::HardBounce, 0}}));
  EXPECT_EQ(shape(plan, "softbounce@b.org"), (V{{DeliveryEvent::SoftBounce, 0}, {DeliveryEvent::SoftBounce, 900},
                                                 {DeliveryEvent::SoftBounce, 1800}, {DeliveryEvent::Delivered, 2700}}));
  EXPECT_EQ(shape(plan, "click@c.org"),
            (V{{DeliveryEvent::Delivered, 0}, {DeliveryEvent::Open, 60}, {DeliveryEvent::Click, 120}}));
  EXPECT_EQ(shape(plan, "r@d.org"), (V{{DeliveryEvent::Delivered, 0}}));
  EXPECT_EQ(shape(plan, "unsubscribe@e.org"),
            (V{{DeliveryEvent::Delivered, 0}, {DeliveryEvent::Open, 60}, {DeliveryEvent::Unsubscribe, 120}}));
  EXPECT_EQ(shape(plan, "complaint@f.org"), (V{{DeliveryEvent::Delivered, 0}, {DeliveryEvent::Spam, 300}}));
  for (std::size_t i = 1; i < plan.size(); ++i) EXPECT_LE(plan[i - 1].due, plan[i].due);
  for (const auto& p : plan)
    if (p.event == DeliveryEvent::Click) EXPECT_EQ(p.url, "https://shop.example/x?y=1");
  // The same message plans the same queue ids (a remote server's reply).
  auto again = policy::plan_outcomes(cfg, facts({"r@d.org"}));
  auto first = std::find_if(plan.begin(), plan.end(), [](const auto& p) { return p.recipient == "r@d.org"; });
  EXPECT_EQ(again[1].reply, first->reply);
  EXPECT_EQ(again[1].reply.substr(0, 33), "250 2.0.0 Ok: 120 bytes queued as");
}

TEST(Outcomes, RulesComeBeforeMagicAndMatchHeadersAndSenders) {
  auto cfg = outcomes_from(R"(
outcomes:
  rules:
    - { name: promo, match: { header: { X-Kind: "^promo$" }, recipient: "*@promo.example" }, outcome: open, after: 30s }
    - { name: keep, match: { recipient: "bounce@keep.example" }, outcome: delivered, reply: "250 2.0.0 queued as {rcpt}" }
    - { name: slow, match: { sender: "shop@*" , recipient: "*@slow.example" }, outcome: soft_bounce, retries: 1, retry_every: 1h, then: hard_bounce, host: "mx.slow [192.0.2.99]" }
)");
  auto plan = policy::plan_outcomes(cfg, facts({"a@promo.example", "bounce@keep.example", "s@slow.example", "bounce@x.org"}));
  using V = std::vector<std::pair<DeliveryEvent, long>>;
  EXPECT_EQ(shape(plan, "a@promo.example"), (V{{DeliveryEvent::Delivered, 0}, {DeliveryEvent::Open, 30}}));
  EXPECT_EQ(shape(plan, "bounce@keep.example"), (V{{DeliveryEvent::Delivered, 0}}));
  EXPECT_EQ(shape(plan, "s@slow.example"), (V{{DeliveryEvent::SoftBounce, 0}, {DeliveryEvent::HardBounce, 3600}}));
  EXPECT_EQ(shape(plan, "bounce@x.org"), (V{{DeliveryEvent::HardBounce, 0}}));
  for (const auto& p : plan) {
    if (p.recipient == "bounce@keep.example") {
      EXPECT_EQ(p.reply, "250 2.0.0 queued as bounce@keep.example");
      EXPECT_EQ(p.why, "rule keep");
    }
    if (p.recipient == "s@slow.example") EXPECT_EQ(p.host, "mx.slow [192.0.2.99]");
  }
  // Without the header the promo rule does not match: delivered only.
  auto f = facts({"a@promo.example"});
  f.head = "From: shop@example.com\r\n\r\n";
  EXPECT_EQ(shape(policy::plan_outcomes(cfg, f), "a@promo.example"), (V{{DeliveryEvent::Delivered, 0}}));
  // Magic switched off: a bounce@ address is delivered.
  cfg.magic_addresses = false;
  EXPECT_EQ(shape(policy::plan_outcomes(cfg, facts({"bounce@x.org"})), "bounce@x.org"), (V{{DeliveryEvent::Delivered, 0}}));
}

TEST(Outcomes, SandboxIsRejectedNeverDelivered) {
  auto f = facts({"success@a.org", "r@b.org"});
  f.sandbox = true;
  auto plan = policy::plan_outcomes(config::Outcomes{}, f);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[1].event, DeliveryEvent::Reject);
  EXPECT_EQ(plan[2].event, DeliveryEvent::Reject);
}

TEST(Outcomes, FirstLinkStopsAtTheUrlsEnd) {
  EXPECT_EQ(policy::first_link("x http://a.example/p?q=1 y"), "http://a.example/p?q=1");
  EXPECT_EQ(policy::first_link("<a href='https://b.example/'>http://c.example"), "https://b.example/");
  EXPECT_EQ(policy::first_link("no link"), "");
  EXPECT_EQ(policy::first_link("https://" + std::string(5000, 'a')).size(), 2048u);
}

TEST(OutcomeScheduler, PlaysWhatIsDueInOrderAsTheClockMoves) {
  ManualClock clock(kT0);
  std::vector<std::string> seen;
  relay::OutcomeScheduler s(clock, [&](const relay::ScheduledEvent& e) {
    seen.push_back(std::string(policy::delivery_event_name(e.planned.event)) + "@" +
                   std::to_string(std::chrono::duration_cast<std::chrono::seconds>(e.planned.due - kT0).count()));
  });
  std::vector<relay::ScheduledEvent> evs;
  for (const auto& p : policy::plan_outcomes(config::Outcomes{}, facts({"click@a.org", "softbounce@b.org"})))
    evs.push_back({p, message});
  s.add(std::move(evs));
  EXPECT_EQ(s.run_due(), 3u);  // what is due at t0
  EXPECT_EQ(seen, (std::vector<std::string>{"processed@0", "delivered@0", "soft_bounce@0"}));
  clock.advance(30min);
  EXPECT_EQ(s.run_due(), 4u);
  EXPECT_EQ(seen, (std::vector<std::string>{"processed@0", "delivered@0", "soft_bounce@0", "open@60", "click@120",
                                            "soft_bounce@900", "soft_bounce@1800"}));
  clock.advance(1h);
  EXPECT_EQ(s.run_due(), 1u);
  EXPECT_EQ(seen.back(), "delivered@2700");
  EXPECT_EQ(s.pending_count(), 0u);
}

TEST(OutcomeScheduler, BoundedAndCleared) {
  ManualClock clock(kT0);
  std::size_t recorded = 0;
  relay::OutcomeScheduler s(clock, [&](const relay::ScheduledEvent&) { ++recorded; });
  std::vector<relay::ScheduledEvent> later(relay::OutcomeScheduler::kMaxPending + 10);
  for (auto& e : later) e.planned.due = kT0 + 1h;
  s.add(std::move(later));
  EXPECT_EQ(s.pending_count(), relay::OutcomeScheduler::kMaxPending);
  EXPECT_EQ(s.dropped(), 10u);
  // What is due now still goes in: a message's first events are never dropped.
  std::vector<relay::ScheduledEvent> now(1);
  now[0].planned.due = kT0;
  s.add(std::move(now));
  EXPECT_EQ(s.run_due(), 1u);
  clock.advance(2h);
  EXPECT_EQ(s.clear(), relay::OutcomeScheduler::kMaxPending);
  EXPECT_EQ(s.run_due(), 0u);
  EXPECT_EQ(recorded, 1u);
}

TEST(OutcomeScheduler, ItsThreadPlaysEventsWhenWoken) {
  ManualClock clock(kT0);
  std::mutex m;
  std::condition_variable cv;
  std::vector<DeliveryEvent> seen;
  relay::OutcomeScheduler s(clock, [&](const relay::ScheduledEvent& e) {
    std::lock_guard lock(m);
    seen.push_back(e.planned.event);
    cv.notify_all();
  });
  s.start();
  std::vector<relay::ScheduledEvent> evs;
  for (const auto& p : policy::plan_outcomes(config::Outcomes{}, facts({"open@a.org"}))) evs.push_back({p, message});
  s.add(std::move(evs));
  auto wait_for = [&](std::size_t n) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, 20s, [&] { return seen.size() >= n; });
  };
  ASSERT_TRUE(wait_for(2));  // processed, delivered
  clock.advance(1h);
  s.wake();
  ASSERT_TRUE(wait_for(3));
  s.stop();
  EXPECT_EQ(seen, (std::vector<DeliveryEvent>{DeliveryEvent::Processed, DeliveryEvent::Delivered, DeliveryEvent::Open}));
}
