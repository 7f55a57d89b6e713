#include "http/http_server.hpp"

#include "http/provider_api.hpp"

#include <boost/asio/co_spawn.hpp>
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

#include "util/log.hpp"
#include "util/errors.hpp"

namespace relaymock::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;
using namespace std::chrono_literals;

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

HttpServer::HttpServer(asio::io_context& ioc, Api& api) : ioc_(ioc), api_(api) {}

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
  for (const auto& s : open_) {
    asio::post(s->get_executor(), [s] {
      boost::system::error_code ec;
      s->shutdown(tcp::socket::shutdown_both, ec);
      s->close(ec);
    });
  }
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
    auto exec = socket.get_executor();
    asio::co_spawn(exec, serve(std::move(socket)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        logger().error("http connection failed", {{"error", ex.what()}});
      }
    });
  }
}

asio::awaitable<void> HttpServer::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  // Registered so that stop() can close it; the stream owns the socket.
  auto handle = std::shared_ptr<tcp::socket>(&stream.socket(), [](tcp::socket*) {});
  {
    std::lock_guard lock(mutex_);
    if (stopping_) co_return;
    open_.insert(handle);
  }
  Peer peer;
  {
    boost::system::error_code ec;
    auto remote = stream.socket().remote_endpoint(ec);
    if (!ec) peer.ip = remote.address().to_string();
    auto local = stream.socket().local_endpoint(ec);
    if (!ec) peer.port = local.port();
  }
  beast::flat_buffer buffer;
  while (true) {
    beast_http::request_parser<beast_http::string_body> parser;
    // The header first, under the largest limit (Beast checks Content-Length
    // as the header completes); then the path's own limit.
    parser.body_limit(Api::kMaxProviderBody);
    parser.header_limit(kMaxHeader);
    boost::system::error_code ec;
    stream.expires_after(kIdle);
    co_await beast_http::async_read_header(stream, buffer, parser, redirect_error(use_awaitable, ec));
    if (!ec) {
      auto target = parser.get().target();
      auto limit = Api::max_body(std::string_view(target.data(), target.size()));
      auto length = parser.content_length();
      if (length && *length > limit) {
        ec = beast_http::error::body_limit;
      } else {
        parser.body_limit(limit);  // for chunked bodies
        if (limit > Api::kMaxBody) stream.expires_after(5min);  // tens of MB may take a while
        co_await beast_http::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
      }
    }
    if (ec == beast_http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset)
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
    stream.expires_never();  // a long-poll may wait; stop() still closes it
    Response res = co_await api_.handle(req, peer);
    if (res.find(kDropConnection) != res.end()) break;  // a scenario's disconnect: no answer at all
    res.keep_alive(req.keep_alive());
    stream.expires_after(kIdle);
    co_await beast_http::async_write(stream, res, redirect_error(use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::lock_guard lock(mutex_);
  open_.erase(handle);
}

}  // namespace relaymock::http
