// The HTTP API's handlers in process, without sockets: a parsed request in,
// a response out, over the same transaction service the server runs.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <fstream>

#include "config/loader.hpp"
#include "http/api.hpp"
#include "http/route.hpp"
#include "http/ui_assets.hpp"
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
  std::function<http::ReloadResult(bool)> reload = [](bool) { return http::ReloadResult{false, "no file", nullptr}; };
  relay::OutcomeRules outcome_rules;
  http::Api api{http::ApiContext{engine, clock, mail, events, transcripts, metrics, nullptr,
                                 [this](bool keep) { return reload(keep); }, ready, listeners, scenarios, service, indexer,
                                 nullptr, nullptr, nullptr, nullptr, nullptr, &outcome_rules}};

  struct Answer {
    unsigned status;
    json::value body;
  };
  std::string allow;  // the Allow header of the last answer
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
    allow = std::string(res[bhttp::field::allow]);
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

// The route table is the API: every route answers its method, a path it
// knows with another method gets 405 and the table's Allow, and the query
// parameters a route takes are the table's.
TEST(HttpApi, RouteTableDecidesMatchingMethodsAndQueries) {
  World w;
  for (const auto& r : http::routes()) {
    if (r.method == bhttp::verb::unknown) continue;  // the provider API: its own dispatch
    std::string path(r.pattern);
    for (auto open = path.find('{'); open != std::string::npos; open = path.find('{'))
      path.replace(open, path.find('}', open) - open + 1, "2525");
    bool known_file = true;
    if (path.ends_with("/*")) {
      // A file of the UI's (none when built with -DRELAYMOCK_WEB_UI=OFF).
      known_file = false;
      for (const auto& a : http::ui_assets())
        if (a.path.starts_with(path.substr(0, path.size() - 1))) {
          path = std::string(a.path);
          known_file = true;
          break;
        }
    }
    std::string body = r.method == bhttp::verb::put ? R"({"fault": "none", "read": true, "tags": []})" : "";
    if (path == "/api/v1/messages" && r.method == bhttp::verb::put) body = R"({"read": true})";
    auto answer = w.call(r.method, path, body);
    EXPECT_NE(answer.status, 405u) << r.pattern;
    if (path.find("2525") == std::string::npos && known_file) EXPECT_NE(answer.status, 404u) << r.pattern;
  }
  auto patched = w.call(bhttp::verb::patch, "/api/v1/messages/abc");
  EXPECT_EQ(patched.status, 405u);
  EXPECT_EQ(w.allow, "GET, DELETE");
  EXPECT_EQ(patched.body.at("error").as_string(), "method not allowed; use GET, DELETE");
  w.call(bhttp::verb::post, "/healthz");
  EXPECT_EQ(w.allow, "GET");
  EXPECT_EQ(w.call(bhttp::verb::get, "/api/v1/nothing/here").status, 404u);
  EXPECT_EQ(w.call(bhttp::verb::get, "/api/v1/messages/a/b/c").status, 404u);
  auto q = w.call(bhttp::verb::get, "/api/v1/events?rule=x&colour=red");
  EXPECT_EQ(q.status, 400u);
  EXPECT_EQ(q.body.at("error").as_string(), "unknown query parameter 'colour'");
  EXPECT_EQ(w.call(bhttp::verb::get, "/api/v1/events?rule=x&limit=5").status, 200u);
  EXPECT_EQ(w.call(bhttp::verb::get, "/healthz?x=1").status, 400u);
  // Path parameters arrive decoded; a malformed one is named.
  auto bad = w.call(bhttp::verb::get, "/api/v1/sessions/%zz");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.body.at("error").as_string(), "malformed session id");
  auto missing = w.call(bhttp::verb::get, "/api/v1/sessions/a%20b");
  EXPECT_EQ(missing.body.at("error").as_string(), "no transcript for session 'a b'");
  // The provider's paths answer in the provider's shape, whatever the method.
  auto v3 = w.call(bhttp::verb::get, "/v3/email/send");
  EXPECT_EQ(v3.status, 405u);
  EXPECT_TRUE(v3.body.at("data").is_object());
}

// A handler that fails (a store that throws: a locked file, a full disk)
// still answers, with a 500 and the control API's error shape.
TEST(HttpApi, FailingHandlerAnswers500) {
  World w;
  w.reload = [](bool) -> http::ReloadResult { throw std::runtime_error("database is locked"); };
  auto r = w.call(bhttp::verb::post, "/api/v1/config/reload");
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(r.body.at("error").as_string(), "the request failed: database is locked");
  EXPECT_EQ(w.call(bhttp::verb::get, "/healthz").status, 200u);
}

// Every route of the control API is in the README's endpoint tables.
TEST(HttpApi, EveryRouteIsDocumented) {
  std::ifstream in(std::string(RELAYMOCK_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in) << "README.md not found";
  std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Parameters by any name ("{id}", "{message_id}") and any run of spaces compare equal.
  auto normal = [](std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '{') {
        auto close = s.find('}', i);
        if (close != std::string_view::npos && close - i < 30) {
          out += "{}";
          i = close;
          continue;
        }
      }
      bool space = s[i] == ' ' || s[i] == '\n';
      if (space && !out.empty() && out.back() == ' ') continue;
      out += space ? ' ' : s[i];
    }
    return out;
  };
  auto text = normal(readme);
  for (const auto& r : http::routes()) {
    if (r.method == bhttp::verb::unknown) continue;  // the provider API: its own dispatch
    auto want = normal(std::string(bhttp::to_string(r.method)) + " " + std::string(r.pattern));
    EXPECT_NE(text.find(want), std::string::npos) << want << " is not in the README";
  }
}
