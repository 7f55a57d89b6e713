#include "net/tls_socket.hpp"

#include <openssl/err.h>

#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <stdexcept>

namespace relaymock::net {

namespace asio = boost::asio;
using asio::redirect_error;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

TlsSocket::TlsSocket(tcp::socket& socket, SSL_CTX* ctx) : socket_(socket), ssl_(SSL_new(ctx)) {
  if (!ssl_) throw std::runtime_error("SSL_new failed");
  // A socket BIO that does not close the descriptor: the socket owns it.
  if (SSL_set_fd(ssl_, socket_.native_handle()) != 1) {
    SSL_free(ssl_);
    throw std::runtime_error("SSL_set_fd failed");
  }
  SSL_set_accept_state(ssl_);
}

TlsSocket::~TlsSocket() { SSL_free(ssl_); }

TlsSocket::Wait TlsSocket::after(int ret, int saved_errno, boost::system::error_code& ec) {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      return Wait::Read;
    case SSL_ERROR_WANT_WRITE:
      return Wait::Write;
    case SSL_ERROR_ZERO_RETURN:  // close_notify
      ec = asio::error::eof;
      return Wait::None;
    case SSL_ERROR_SYSCALL:
      if (auto e = ERR_get_error()) ec = {static_cast<int>(e), asio::error::get_ssl_category()};
      else if (saved_errno) ec = {saved_errno, boost::system::system_category()};
      else ec = asio::error::eof;
      return Wait::None;
    default: {
      auto e = ERR_get_error();
      // OpenSSL 3 reports a peer that vanished mid-record as an SSL error.
      if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) ec = asio::ssl::error::stream_truncated;
      else ec = {static_cast<int>(e ? e : 1), asio::error::get_ssl_category()};
      return Wait::None;
    }
  }
}

asio::awaitable<void> TlsSocket::wait(Wait w, boost::system::error_code& ec) {
  if (w == Wait::None) co_return;
  co_await socket_.async_wait(w == Wait::Read ? tcp::socket::wait_read : tcp::socket::wait_write,
                              redirect_error(use_awaitable, ec));
}

asio::awaitable<void> TlsSocket::handshake(boost::system::error_code& ec) {
  for (;;) {
    ERR_clear_error();  // the queue is per thread: start each call clean
    errno = 0;
    int r = SSL_do_handshake(ssl_);
    if (r == 1) co_return;
    auto next = after(r, errno, ec);
    if (next == Wait::None) co_return;
    co_await wait(next, ec);
    if (ec) co_return;
  }
}

// Without read-ahead OpenSSL takes one record at a time from the socket, so
// readiness is the right wait unless part of a record is still held.
TlsSocket::Wait TlsSocket::first_wait() const { return SSL_has_pending(ssl_) ? Wait::None : Wait::Read; }

std::size_t TlsSocket::read_now(char* buf, std::size_t size, Wait& next, boost::system::error_code& ec) {
  ERR_clear_error();
  errno = 0;
  std::size_t got = 0;
  if (SSL_read_ex(ssl_, buf, size, &got) == 1) return got;
  next = after(0, errno, ec);
  return 0;
}

asio::awaitable<void> TlsSocket::write(std::string_view data, boost::system::error_code& ec) {
  while (!data.empty()) {
    ERR_clear_error();
    errno = 0;
    std::size_t put = 0;
    int r = SSL_write_ex(ssl_, data.data(), data.size(), &put);
    if (r == 1) {
      data.remove_prefix(put);
      continue;
    }
    auto next = after(r, errno, ec);
    if (next == Wait::None) co_return;
    co_await wait(next, ec);
    if (ec) co_return;
  }
}

}  // namespace relaymock::net
