// TLS straight on a connection's socket: OpenSSL reads and writes the file
// descriptor itself, and the coroutine waits for readiness when it must. The
// same shape as the plain path, so an idle TLS connection holds only
// OpenSSL's session state: asio's ssl::stream keeps two 17 KiB buffers and a
// 2 x 17 KiB BIO pair per connection, whether it is busy or not.
#pragma once
#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <string_view>

namespace relaymock::net {

class TlsSocket {
 public:
  // The socket must be non-blocking and outlive this object.
  TlsSocket(boost::asio::ip::tcp::socket& socket, SSL_CTX* ctx);  // throws std::runtime_error
  ~TlsSocket();
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;

  enum class Wait { None, Read, Write };

  boost::asio::awaitable<void> handshake(boost::system::error_code& ec);
  boost::asio::awaitable<void> write(std::string_view data, boost::system::error_code& ec);

  // Reading is split so the caller can read into a per-thread buffer on the
  // thread that resumed: wait(first_wait()), then read_now() until it gives
  // bytes or an error, waiting for what it asks in between.
  Wait first_wait() const;  // None when OpenSSL still holds part of a record
  boost::asio::awaitable<void> wait(Wait w, boost::system::error_code& ec);
  // Bytes read (> 0); or 0 with `next` set to what to wait for; or 0 with ec.
  std::size_t read_now(char* buf, std::size_t size, Wait& next, boost::system::error_code& ec);

  SSL* native_handle() { return ssl_; }

 private:
  // After an SSL call returned `ret` <= 0: what to wait for, or None with ec.
  Wait after(int ret, int saved_errno, boost::system::error_code& ec);

  boost::asio::ip::tcp::socket& socket_;
  SSL* ssl_ = nullptr;
};

}  // namespace relaymock::net
