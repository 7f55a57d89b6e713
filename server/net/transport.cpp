#include "net/transport.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/tls_socket.hpp"

namespace relaymock::net {

namespace asio = boost::asio;
using asio::redirect_error;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

SocketTransport::SocketTransport(tcp::socket socket) : socket_(std::move(socket)) {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(tcp::no_delay(true), ec);
}

SocketTransport::~SocketTransport() = default;

std::uint16_t SocketTransport::local_port() {
  boost::system::error_code ec;
  return socket_.local_endpoint(ec).port();
}

bool SocketTransport::input_waiting() {
  boost::system::error_code ec;
  return !tls_ && socket_.available(ec) > 0 && !ec;
}

// Reads right after a readiness wait, so that the caller's buffer can be
// per thread and an idle connection holds no read buffer at all.
asio::awaitable<std::size_t> SocketTransport::read(char* buf, std::size_t room, boost::system::error_code& ec) {
  if (tls_) {
    auto wait = tls_->first_wait();
    while (true) {
      co_await tls_->wait(wait, ec);
      if (ec) co_return 0;
      std::size_t n = tls_->read_now(buf, room, wait, ec);
      if (n || ec) co_return n;
    }
  }
  while (true) {
    co_await socket_.async_wait(tcp::socket::wait_read, redirect_error(use_awaitable, ec));
    if (ec) co_return 0;
    std::size_t n = socket_.read_some(asio::buffer(buf, room), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
    co_return n;
  }
}

asio::awaitable<void> SocketTransport::write(std::string_view bytes, boost::system::error_code& ec) {
  if (tls_) co_await tls_->write(bytes, ec);
  else co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), redirect_error(use_awaitable, ec));
}

asio::awaitable<void> SocketTransport::start_tls(SSL_CTX* ctx, boost::system::error_code& ec) {
  tls_ = std::make_unique<TlsSocket>(socket_, ctx);  // throws when OpenSSL cannot set up
  co_await tls_->handshake(ec);
}

void SocketTransport::cancel() {
  boost::system::error_code ec;
  socket_.cancel(ec);
}

void SocketTransport::close() {
  // No TLS close_notify exchange: the SMTP dialogue has ended and a client
  // that has gone away must not hold the connection open.
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void SocketTransport::reset() {
  // linger 0 makes close() send RST.
  boost::system::error_code ec;
  socket_.set_option(asio::socket_base::linger(true, 0), ec);
  socket_.close(ec);
}

}  // namespace relaymock::net
