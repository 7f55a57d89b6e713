// Webhooks without a server: their settings (config/webhooks, the loader,
// the account API's /webhook/*), the payloads (relay/webhook_payload) and
// the retry schedule (relay/webhook_sender).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "config/loader.hpp"
#include "config/provider_account.hpp"
#include "config/webhooks.hpp"
#include "relay/webhook_payload.hpp"
#include "relay/webhook_sender.hpp"

using namespace relaymock;
using namespace std::chrono_literals;
using policy::DeliveryEvent;
namespace json = boost::json;

namespace {

config::LoadResult load(const std::string& yaml) { return config::load_config_text(yaml, "t.yaml", false); }

relay::ScheduledEvent event(DeliveryEvent kind, std::string rcpt) {
  relay::OutcomeMessage m;
  m.message_id = "1abc-XYZ";
  m.client_ip = "192.0.2.7";
  m.sender = "shop@example.com";
  m.recipients = {"a@x.example", "b@y.example"};
  m.identity_kind = "user";
  m.identity_name = "app";
  m.subject = "Order 42 & more";
  m.accepted_at = TimePoint(std::chrono::microseconds(1'770'487'502'199'324));
  m.from = "\"Shop Team\" <shop@example.com>";
  m.from_address = "shop@example.com";
  m.message_id_header = "<42@example.com>";
  m.headers = {{"X-Campaign", "spring sale"}};
  policy::PlannedEvent p;
  p.due = m.accepted_at + 60s;
  p.event = kind;
  p.recipient = std::move(rcpt);
  p.host = "mx.x.example [192.0.2.10]";
  p.reply = kind == DeliveryEvent::SoftBounce ? "452 4.2.2 Mailbox full" : "550 5.1.1 <a@x.example>: unknown";
  p.context = kind == DeliveryEvent::SoftBounce ? "DATA: 452 4.2.2 Mailbox full" : "RCPT TO:<a@x.example>";
  return {p, std::make_shared<const relay::OutcomeMessage>(m)};
}

}  // namespace

TEST(Webhooks, ConfigListOrMapIdsAndAliases) {
  auto r = load("webhooks:\n  - url: http://a.example/h\n    events: [opened, spam_complaint, open]\n"
                "  - url: https://b.example/h\n    id: 7\n  - url: http://c.example/h\n");
  ASSERT_TRUE(r.problems.empty()) << r.problems[0].message;
  const auto& hooks = r.config.webhooks.hooks;
  ASSERT_EQ(hooks.size(), 3u);
  EXPECT_EQ(hooks[0].events, (std::vector<std::string>{"open", "spam"}));
  EXPECT_EQ(hooks[0].id, 8u);  // after the highest given
  EXPECT_EQ(hooks[1].id, 7u);
  EXPECT_EQ(hooks[2].id, 9u);
  EXPECT_FALSE(hooks[0].json);

  r = load("webhooks:\n  event_names: library\n  timeout: 2s\n  hooks:\n    - { url: \"http://a/\", output_format: json }\n");
  ASSERT_TRUE(r.problems.empty()) << r.problems[0].message;
  EXPECT_TRUE(r.config.webhooks.library_names);
  EXPECT_EQ(r.config.webhooks.timeout, Millis(2000));
  EXPECT_TRUE(r.config.webhooks.hooks.at(0).json);
}

TEST(Webhooks, ConfigProblemsNameTheLine) {
  auto r = load("webhooks:\n  - url: ftp://x/\n  - url: http://x/\n    events: [boom]\n"
                "  - url: http://x/\n    auth_header_type: bearer\n  - { url: \"http://x/\", id: 3 }\n"
                "  - { url: \"http://x/\", id: 3 }\n  - url: http://x/\n    headers: [\"a:b\"]\n");
  std::vector<std::pair<int, std::string>> got;
  for (const auto& p : r.problems) got.emplace_back(p.line, p.message);
  ASSERT_EQ(got.size(), 5u) << testing::PrintToString(got);
  EXPECT_EQ(got[0].first, 2);
  EXPECT_NE(got[0].second.find("must start with http:// or https://"), std::string::npos);
  EXPECT_EQ(got[1].first, 4);
  EXPECT_NE(got[1].second.find("'boom' is not a webhook event"), std::string::npos);
  EXPECT_NE(got[2].second.find("go together"), std::string::npos);
  EXPECT_NE(got[3].second.find("duplicate id 3"), std::string::npos);
  EXPECT_NE(got[4].second.find("'a:b' is not a header name"), std::string::npos);
}

TEST(Webhooks, AccountApiAddEditRemoveReplaysTheSameId) {
  config::Config cfg;
  cfg.webhooks.hooks.push_back({4, "http://old.example/", {}, {}, {}, false, "", ""});
  config::AccountChange add{"webhook/add", json::object{{"url", "https://n.example/h"}, {"events", json::array{"clicked"}}},
                            "", "k"};
  ASSERT_FALSE(config::apply_change(cfg, add));
  EXPECT_EQ(add.fields.at("id_generated").to_number<std::uint64_t>(), 5u);
  EXPECT_EQ(cfg.webhooks.hooks.back().events, std::vector<std::string>{"click"});
  auto answer = config::account_answer(cfg, "webhook/add", add.fields);
  EXPECT_EQ(answer.at("id").to_number<std::uint64_t>(), 5u);
  EXPECT_EQ(answer.at("output_format").as_string(), "form");

  // The same change replayed over a file that has it free keeps its id.
  config::Config again;
  auto replay = add;
  ASSERT_FALSE(config::apply_change(again, replay));
  EXPECT_EQ(again.webhooks.hooks.at(0).id, 5u);

  config::AccountChange edit{"webhook/edit", json::object{{"id", 5}, {"output_format", "json"}}, "", "k"};
  ASSERT_FALSE(config::apply_change(cfg, edit));
  EXPECT_TRUE(cfg.webhooks.hooks.back().json);
  EXPECT_EQ(cfg.webhooks.hooks.back().url, "https://n.example/h");
  config::AccountChange bad{"webhook/edit", json::object{{"id", 5}, {"url", "javascript:alert(1)"}}, "", "k"};
  auto err = config::apply_change(cfg, bad);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, "url");
  EXPECT_EQ(cfg.webhooks.hooks.back().url, "https://n.example/h");  // unchanged
  config::AccountChange gone{"webhook/delete", json::object{{"id", "4"}}, "", "k"};
  ASSERT_FALSE(config::apply_change(cfg, gone));
  ASSERT_EQ(cfg.webhooks.hooks.size(), 1u);
  EXPECT_EQ(cfg.webhooks.hooks[0].id, 5u);
}

TEST(Webhooks, PayloadFieldsPerEvent) {
  config::Webhook hook;
  hook.headers = {"x-campaign", "X-Absent"};
  auto processed = relay::webhook_fields(event(DeliveryEvent::Processed, ""), hook, false);
  EXPECT_EQ(processed.at("event").as_string(), "processed");
  EXPECT_EQ(processed.at("recipients").as_array().size(), 2u);
  EXPECT_FALSE(processed.contains("rcpt"));
  EXPECT_EQ(processed.at("sendtime").as_string(), "2026-02-07T18:05:02.199324+00:00");
  EXPECT_EQ(processed.at("time").as_string(), "2026-02-07T18:06:02Z");
  EXPECT_EQ(processed.at("from_name").as_string(), "Shop Team");
  EXPECT_EQ(processed.at("auth").as_string(), "app");
  EXPECT_EQ(processed.at("message-id").as_string(), "<42@example.com>");
  EXPECT_EQ(processed.at("x-campaign").as_string(), "spring sale");  // under the hook's spelling
  EXPECT_FALSE(processed.contains("X-Absent"));

  auto soft = relay::webhook_fields(event(DeliveryEvent::SoftBounce, "a@x.example"), hook, false);
  EXPECT_EQ(soft.at("event").as_string(), "bounce");
  EXPECT_EQ(soft.at("bounce").as_string(), "soft");
  EXPECT_EQ(soft.at("context").as_string(), "DATA: 452 4.2.2 Mailbox full");
  EXPECT_EQ(soft.at("rcpt").as_string(), "a@x.example");
  auto hard = relay::webhook_fields(event(DeliveryEvent::HardBounce, "a@x.example"), hook, false);
  EXPECT_EQ(hard.at("bounce").as_string(), "hard");

  EXPECT_EQ(relay::webhook_fields(event(DeliveryEvent::Open, "a@x.example"), hook, true).at("event").as_string(), "opened");
  EXPECT_EQ(relay::webhook_fields(event(DeliveryEvent::Spam, "a@x.example"), hook, true).at("event").as_string(),
            "spam_complaint");
  EXPECT_EQ(relay::webhook_fields(event(DeliveryEvent::Spam, "a@x.example"), hook, false).at("event").as_string(), "spam");
}

TEST(Webhooks, WhichHooksWantAnEvent) {
  config::Webhook all, bounces, other_user;
  bounces.events = {"bounce"};
  other_user.usernames = {"someone"};
  EXPECT_TRUE(relay::webhook_wants(all, event(DeliveryEvent::Open, "a@x.example")));
  EXPECT_TRUE(relay::webhook_wants(bounces, event(DeliveryEvent::SoftBounce, "a@x.example")));
  EXPECT_FALSE(relay::webhook_wants(bounces, event(DeliveryEvent::Delivered, "a@x.example")));
  EXPECT_FALSE(relay::webhook_wants(other_user, event(DeliveryEvent::Delivered, "a@x.example")));
}

TEST(Webhooks, FormEncodingRepeatsListsAndEscapes) {
  json::object o{{"event", "processed"}, {"recipients", json::array{"a@x", "b+c@y"}}, {"subject", "Order 42 & more"}};
  EXPECT_EQ(relay::form_encode(o), "event=processed&recipients=a%40x&recipients=b%2Bc%40y&subject=Order+42+%26+more");
  config::Webhook hook;
  hook.json = true;
  auto body = relay::webhook_body(event(DeliveryEvent::Delivered, "a@x.example"), hook, false);
  EXPECT_EQ(body.content_type, "application/json");
  EXPECT_EQ(json::parse(body.bytes).at("context").as_string(), "RCPT TO:<a@x.example>");
}

TEST(Webhooks, RetryScheduleIs33AttemptsOver48Hours) {
  const auto& s = relay::WebhookSender::schedule();
  ASSERT_EQ(s.size(), 33u);
  EXPECT_EQ(s[0], 0min);
  EXPECT_EQ(s[4], 30min);  // five in the first half hour
  EXPECT_EQ(s[5], 60min);
  EXPECT_EQ(s[28], std::chrono::minutes(24 * 60));
  EXPECT_EQ(s.back(), std::chrono::minutes(48 * 60));
  for (std::size_t i = 1; i < s.size(); ++i) EXPECT_LT(s[i - 1], s[i]);
}
