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
#include "net/metrics.hpp"
#include "net/server.hpp"
#include "policy/engine.hpp"
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
};

class Api {
 public:
  explicit Api(ApiContext ctx) : ctx_(std::move(ctx)) {}
  boost::asio::awaitable<Response> handle(const Request& req);

  static constexpr std::size_t kMaxBody = 1024 * 1024;

 private:
  ApiContext ctx_;
};

// Percent-decoding of a query component ('+' is a space). False if malformed.
bool url_decode(std::string_view in, std::string& out);

}  // namespace relaymock::http
