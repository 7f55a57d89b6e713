// The HTTP API's handlers in process, without sockets: a parsed request in,
// a response out, over the same transaction service the server runs.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "config/loader.hpp"
#include "http/api.hpp"
#include "relay/service.hpp"
#include "service_world.hpp"

using namespace relaymock;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

const char* kConfig = R"(
account: { verified_domains: [example.com] }
ip_auth: [{ ip: 127.0.0.1 }]
api_keys: [{ key: api-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA, name: ci }]
)";

struct NoListeners final : http::Listeners {
  std::vector<config::Listener> listeners() const override { return {}; }
  std::optional<config::Listener> set_fault(std::uint16_t port, const config::Fault&, std::string& error) override {
    error = "no listener on port " + std::to_string(port);
    return std::nullopt;
  }
};

struct World : test::ServiceWorld<OffsetClock> {
  World() : ServiceWorld(kConfig) {}
  std::atomic<bool> ready{true};
  NoListeners listeners;
  http::Api api{http::ApiContext{engine, clock, mail, events, transcripts, metrics, nullptr,
                                 [] { return http::ReloadResult{false, "no file", nullptr}; }, ready, listeners,
                                 scenarios, service}};

  struct Answer {
    unsigned status;
    json::value body;
  };
  Answer call(bhttp::verb method, const std::string& target, const std::string& body = {}) {
    http::Request req{method, target, 11};
    req.body() = body;
    if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
    req.prepare_payload();
    // handle() keeps references to the request and the peer: both outlive the run.
    const http::Peer peer{"127.0.0.1", 8080};
    boost::asio::io_context ioc;
    auto fut = boost::asio::co_spawn(ioc, api.handle(req, peer), boost::asio::use_future);
    ioc.run();
    auto res = fut.get();
    boost::system::error_code ec;
    auto parsed = json::parse(res.body(), ec);
    return {res.result_int(), ec ? json::value(json::string(res.body())) : parsed};
  }
};

}  // namespace

TEST(HttpApi, SendThroughTheApiV3IsCapturedAndListed) {
  World w;
  auto sent = w.call(bhttp::verb::post, "/v3/email/send",
                     R"({"api_key": "api-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sender": "a@example.com",
                         "to": ["b@example.org"], "subject": "in process", "text_body": "hi"})");
  ASSERT_EQ(sent.status, 200u) << json::serialize(sent.body);
  auto id = std::string(sent.body.at("data").at("email_id").as_string());
  EXPECT_FALSE(id.empty());
  auto listed = w.call(bhttp::verb::get, "/api/v1/messages?to=b%40example.org");
  ASSERT_EQ(listed.status, 200u);
  EXPECT_EQ(listed.body.at("total").as_int64(), 1);
  EXPECT_EQ(listed.body.at("messages").at(0).at("id").as_string(), id);
  EXPECT_EQ(listed.body.at("messages").at(0).at("subject").as_string(), "in process");
  // The decision was recorded once, with the key's identity.
  auto ev = w.call(bhttp::verb::get, "/api/v1/events?rule=accepted");
  ASSERT_EQ(ev.body.at("events").as_array().size(), 1u);
  EXPECT_EQ(ev.body.at("events").at(0).at("identity").at("kind").as_string(), "api_key");
}

TEST(HttpApi, DeleteByIdsAndBadBodies) {
  World w;
  for (int i = 0; i < 2; ++i)
    w.call(bhttp::verb::post, "/v3/email/send",
           R"({"api_key": "api-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sender": "a@example.com",
               "to": ["b@example.org"], "subject": "x", "text_body": "hi"})");
  ASSERT_EQ(w.mail.size(), 2u);
  EXPECT_EQ(w.call(bhttp::verb::delete_, "/api/v1/messages", R"({"IDs": ["x"]})").status, 400u);
  EXPECT_EQ(w.call(bhttp::verb::delete_, "/api/v1/messages", "not json").status, 400u);
  EXPECT_EQ(w.mail.size(), 2u);
  auto id = w.mail.query({}, 0, 1).items.at(0)->id;
  auto del = w.call(bhttp::verb::delete_, "/api/v1/messages", R"({"ids": [")" + id + R"(", "nope"]})");
  ASSERT_EQ(del.status, 200u);
  EXPECT_EQ(del.body.at("deleted").as_int64(), 1);
  EXPECT_EQ(del.body.at("unknown").at(0).as_string(), "nope");
  EXPECT_EQ(w.mail.size(), 1u);
}

TEST(HttpApi, ErrorsAreJsonWithTheRightStatus) {
  World w;
  EXPECT_EQ(w.call(bhttp::verb::get, "/api/v1/nothing").status, 404u);
  EXPECT_EQ(w.call(bhttp::verb::post, "/api/v1/messages").status, 405u);
  auto fault = w.call(bhttp::verb::put, "/api/v1/listeners/2525/fault", R"({"fault": "refuse"})");
  EXPECT_EQ(fault.status, 404u);
  EXPECT_EQ(fault.body.at("error").as_string(), "no listener on port 2525");
  auto bad = w.call(bhttp::verb::put, "/api/v1/listeners/2525/fault", "fault: refuse");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(std::string(bad.body.at("error").as_string()).rfind("malformed JSON", 0), 0u);
  auto v3 = w.call(bhttp::verb::post, "/v3/email/send", R"({"api_key": "nope"})");
  EXPECT_EQ(v3.status, 400u);
  EXPECT_EQ(v3.body.at("data").at("error_code").as_string(), "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD");
  EXPECT_EQ(w.call(bhttp::verb::get, "/readyz").status, 200u);
  w.ready = false;
  EXPECT_EQ(w.call(bhttp::verb::get, "/readyz").status, 503u);
}
