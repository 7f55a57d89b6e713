#include "http/http_server.hpp"

#include "http/provider_api.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>

#include <variant>

#include "util/log.hpp"
#include "util/errors.hpp"

namespace relaymock::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;

namespace {
constexpr auto kIdle = 60s;           // between requests, and to read one
constexpr std::size_t kMaxHeader = 16 * 1024;

Response plain_error(beast_http::status st, const std::string& message) {
  Response res{st, 11};
  res.set(beast_http::field::server, "relaymock");
  res.set(beast_http::field::content_type, "application/json");
  res.body() = boost::json::serialize(boost::json::object{{"error", message}}) + "\n";
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}
}  // namespace

// One connection: its stream (on its own strand) and who it is from. Shared
// by its coroutine, the open set and any close stop() posts, so stopping
// never reaches a connection that is gone.
struct HttpServer::Conn {
  explicit Conn(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  std::string ip;
  void close() {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.close();
  }
};

// A connection's place in the open set and the per-address count, for as
// long as its coroutine runs, however it ends (an exception included).
class HttpServer::Admission {
 public:
  Admission(HttpServer& s, std::shared_ptr<Conn> c) : s_(s), c_(std::move(c)) {
    std::lock_guard lock(s_.mutex_);
    auto& from_ip = s_.per_ip_[c_->ip];
    if (s_.stopping_) {
      refusal_ = "the server is stopping";
    } else if (s_.open_.size() >= s_.limits_.max_connections) {
      refusal_ = "too many HTTP connections (limit " + std::to_string(s_.limits_.max_connections) + ")";
    } else if (from_ip >= s_.limits_.max_connections_per_ip) {
      refusal_ = "too many HTTP connections from " + c_->ip + " (limit " +
                 std::to_string(s_.limits_.max_connections_per_ip) + ")";
    }
    if (!refusal_.empty()) {
      if (from_ip == 0) s_.per_ip_.erase(c_->ip);
      s_.metrics_.http_connections_refused_total++;
      return;
    }
    ++from_ip;
    s_.open_.insert(c_);
    s_.metrics_.http_connections_open++;
  }
  ~Admission() {
    if (!refusal_.empty()) return;
    std::lock_guard lock(s_.mutex_);
    s_.open_.erase(c_);
    if (auto it = s_.per_ip_.find(c_->ip); it != s_.per_ip_.end() && --it->second == 0) s_.per_ip_.erase(it);
    s_.metrics_.http_connections_open--;
  }
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;
  const std::string& refusal() const { return refusal_; }

 private:
  HttpServer& s_;
  std::shared_ptr<Conn> c_;
  std::string refusal_;
};

// Bytes of request bodies being read and handled, across connections: a
// body's declared length (or the path's whole limit when chunked) is taken
// before a byte of it is read and given back once it is answered.
class HttpServer::BodyBudget {
 public:
  explicit BodyBudget(HttpServer& s) : s_(s) {}
  ~BodyBudget() { give_back(); }
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;
  bool take(std::uint64_t n) {
    give_back();
    if (n == 0) return true;
    std::lock_guard lock(s_.mutex_);
    if (s_.body_bytes_ + n > s_.limits_.max_body_bytes_in_flight) return false;
    s_.body_bytes_ += n;
    held_ = n;
    return true;
  }
  void give_back() {
    if (held_ == 0) return;
    std::lock_guard lock(s_.mutex_);
    s_.body_bytes_ -= held_;
    held_ = 0;
  }

 private:
  HttpServer& s_;
  std::uint64_t held_ = 0;
};

namespace {

// Counts a request as in progress while it is answered.
struct InProgress {
  explicit InProgress(relay::Metrics& m) : m_(m) { m_.http_requests_in_progress++; }
  ~InProgress() { m_.http_requests_in_progress--; }
  relay::Metrics& m_;
};

}  // namespace

// Completes only when the client has gone (end of stream, reset, or the
// socket closed by stop()). Anything it sends meanwhile (a pipelined
// request) is kept in `buffer` for the next read; past a header's worth it
// stops reading and just waits to be cancelled.
asio::awaitable<void> client_gone(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
  while (buffer.size() < kMaxHeader) {
    auto [ec, n] = co_await stream.socket().async_read_some(buffer.prepare(4096), asio::as_tuple(use_awaitable));
    if (ec) co_return;
    buffer.commit(n);
  }
  asio::steady_timer forever(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
  co_await forever.async_wait(asio::as_tuple(use_awaitable));
}


HttpServer::HttpServer(asio::io_context& ioc, Api& api, relay::Metrics& metrics, HttpLimits limits)
    : ioc_(ioc), api_(api), metrics_(metrics), limits_(limits) {}

void HttpServer::bind(const std::string& host, std::uint16_t port) {
  std::string where = "cannot listen on " + host + ":" + std::to_string(port) + " (http): ";
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) throw StartupError(where + "bad address");
  tcp::endpoint ep(addr, port);
  acceptor_ = std::make_unique<tcp::acceptor>(asio::make_strand(ioc_));
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (ec == asio::error::address_in_use) throw StartupError(where + "the port is already in use");
  if (ec == asio::error::access_denied) throw StartupError(where + "permission denied");
  if (ec == boost::system::errc::address_not_available) throw StartupError(where + "no such local address");
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw StartupError(where + ec.message());
  logger().info("http listening", {{"address", host}, {"port", std::to_string(port)}});
}

void HttpServer::start() {
  if (acceptor_) asio::co_spawn(acceptor_->get_executor(), accept_loop(), asio::detached);
}

void HttpServer::stop() {
  if (!acceptor_) return;
  asio::post(acceptor_->get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_->close(ec);
  });
  std::lock_guard lock(mutex_);
  stopping_ = true;
  // Closing a connection on its strand ends whatever it awaits: a read, a
  // write, or (through client_gone) a long-poll or a scenario's delay.
  for (const auto& c : open_) asio::post(c->stream.get_executor(), [c] { c->close(); });
}

asio::awaitable<void> HttpServer::accept_loop() {
  asio::steady_timer backoff(ioc_);
  while (true) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_->async_accept(asio::make_strand(ioc_), redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
    if (ec) {
      logger().warning("http accept failed", {{"error", ec.message()}});
      backoff.expires_after(100ms);
      co_await backoff.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    auto c = std::make_shared<Conn>(std::move(socket));
    boost::system::error_code remote_ec;
    auto remote = c->stream.socket().remote_endpoint(remote_ec);
    if (!remote_ec) c->ip = remote.address().to_string();
    auto exec = c->stream.get_executor();
    asio::co_spawn(exec, serve(std::move(c)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        logger().error("http connection failed", {{"error", ex.what()}});
      }
    });
  }
}

asio::awaitable<void> HttpServer::serve(std::shared_ptr<Conn> c) {
  auto& stream = c->stream;
  Admission admission(*this, c);
  if (!admission.refusal().empty()) {
    auto res = plain_error(beast_http::status::service_unavailable, admission.refusal());
    res.set(beast_http::field::retry_after, "1");
    stream.expires_after(2s);
    co_await beast_http::async_write(stream, res, asio::as_tuple(use_awaitable));
    c->close();
    co_return;
  }
  Peer peer;
  peer.ip = c->ip;
  {
    boost::system::error_code ec;
    auto local = stream.socket().local_endpoint(ec);
    if (!ec) peer.port = local.port();
  }
  beast::flat_buffer buffer;
  BodyBudget budget(*this);
  while (true) {
    beast_http::request_parser<beast_http::string_body> parser;
    // The header first, under the largest limit (Beast checks Content-Length
    // as the header completes); then the path's own limit.
    parser.body_limit(Api::kMaxProviderBody);
    parser.header_limit(kMaxHeader);
    boost::system::error_code ec;
    stream.expires_after(kIdle);
    co_await beast_http::async_read_header(stream, buffer, parser, redirect_error(use_awaitable, ec));
    std::optional<Response> early;  // answered from the header alone
    if (!ec) {
      auto target = parser.get().target();
      auto limit = Api::max_body(std::string_view(target.data(), target.size()));
      auto length = parser.content_length();
      if (length && *length > limit) {
        ec = beast_http::error::body_limit;
      } else if (early = api_.answer_before_body(parser.get()); early) {
        // A /v3/ key that is refused, say, needs none of the body.
      } else if (!budget.take(length ? *length : (parser.chunked() ? limit : 0))) {
        early = plain_error(beast_http::status::service_unavailable,
                            "request bodies being read are over " + std::to_string(limits_.max_body_bytes_in_flight) +
                                " bytes (http.max_body_bytes_in_flight); retry shortly");
        early->set(beast_http::field::retry_after, "1");
      } else {
        parser.body_limit(limit);  // for chunked bodies
        if (limit > Api::kMaxBody) stream.expires_after(5min);  // tens of MB may take a while
        co_await beast_http::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
      }
    }
    if (early) {
      // The body stays unread, so the connection cannot carry another request.
      early->keep_alive(false);
      stream.expires_after(5s);
      co_await beast_http::async_write(stream, *early, asio::as_tuple(use_awaitable));
      break;
    }
    if (ec == beast_http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::bad_descriptor)
      break;
    if (ec) {
      // The request could not be read: answer once, then close.
      auto res = ec == beast_http::error::body_limit
                     ? plain_error(beast_http::status::payload_too_large,
                                   std::string("request body over ") +
                                       (Api::max_body(std::string_view(parser.get().target().data(),
                                                                       parser.get().target().size())) > Api::kMaxBody
                                            ? "72 MiB"
                                            : "1 MiB"))
                 : ec == beast_http::error::header_limit
                     ? plain_error(beast_http::status::request_header_fields_too_large, "request header over 16 KiB")
                     : plain_error(beast_http::status::bad_request, "malformed HTTP request: " + ec.message());
      stream.expires_after(5s);
      co_await beast_http::async_write(stream, res, redirect_error(use_awaitable, ec));
      break;
    }
    auto req = parser.release();
    stream.expires_never();  // a long-poll may wait; its client leaving or stop() ends it
    std::variant<Response, std::monostate> answered;
    Takeover takeover;
    {
      InProgress counted(metrics_);
      answered = co_await (api_.handle(req, peer, &takeover) || client_gone(stream, buffer));
    }
    budget.give_back();
    if (answered.index() == 1) break;  // the client left (or stop()): nobody to answer
    if (takeover) {
      // Server-sent events or a WebSocket: the connection is the handler's
      // until it ends (the client leaves, or stop() closes the socket).
      InProgress counted(metrics_);
      co_await takeover(stream, buffer, req);
      break;
    }
    Response res = std::get<0>(std::move(answered));
    if (res.find(kDropConnection) != res.end()) break;  // a scenario's disconnect: no answer at all
    res.keep_alive(req.keep_alive());
    stream.expires_after(kIdle);
    co_await beast_http::async_write(stream, res, redirect_error(use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace relaymock::http
