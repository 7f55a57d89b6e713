// The control and inspection API: one function from a parsed request to a
// response, awaited so that long-polls wait on a timer, never a thread.
#pragma once
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "net/metrics.hpp"
#include "net/resolver.hpp"
#include "net/server.hpp"
#include "policy/engine.hpp"
#include "policy/scenarios.hpp"
#include "store/durable.hpp"
#include "store/event_log.hpp"
#include "store/mail_store.hpp"

namespace relaymock::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;

// What POST /api/v1/config/reload (and SIGHUP) does.
struct ReloadResult {
  bool ok = false;
  std::string errors;  // FILE:LINE:COL lines when !ok
  std::shared_ptr<const config::Config> config;
};

// Who sent an HTTP request: recorded with mail sent through /v3/.
struct Peer {
  std::string ip;
  std::uint16_t port = 0;  // the HTTP listener's
};

struct ApiContext {
  policy::Engine& engine;
  net::OffsetClock& clock;
  store::MailStore& mail;
  store::EventLog& events;
  store::Transcripts& transcripts;
  net::Metrics& metrics;
  store::Durable* durable;  // null in memory mode
  std::function<ReloadResult()> reload;
  std::atomic<bool>& ready;  // every SMTP listener is bound
  net::Resolver& resolver;   // sender verification in mode system
  net::Server& server;       // listeners and their faults
  policy::Scenarios& scenarios;
};

class Api {
 public:
  explicit Api(ApiContext ctx) : ctx_(std::move(ctx)) {}
  boost::asio::awaitable<Response> handle(const Request& req, const Peer& peer = {});

  // Request bodies: the control API takes small JSON; the provider's /v3/
  // takes whole messages (50 MB as base64, plus JSON).
  static constexpr std::size_t kMaxBody = 1024 * 1024;
  static constexpr std::size_t kMaxProviderBody = 72 * 1024 * 1024;
  static std::size_t max_body(std::string_view target) {
    return target.substr(0, 4) == "/v3/" ? kMaxProviderBody : kMaxBody;
  }

 private:
  ApiContext ctx_;
};

// The quota cycle in the provider's email_cycle shape (/api/v1/usage and
// /v3/stats/email_cycle).
boost::json::object email_cycle(const ApiContext& ctx);

// A JSON response (strings made valid UTF-8), and one of any type.
Response json_response(beast_http::status st, boost::json::value v, unsigned version);
Response make_response(beast_http::status st, std::string body, std::string_view type, unsigned version);

// Percent-decoding of a query component ('+' is a space). False if malformed.
bool url_decode(std::string_view in, std::string& out);

}  // namespace relaymock::http
