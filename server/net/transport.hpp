// What a connection reads from and writes to. The server gives each
// connection a SocketTransport (TCP, then TLS on the same socket); tests give
// it a scripted one (reads of chosen sizes, a failure at the n-th operation,
// a TLS switch that succeeds or fails) so deadlines, STARTTLS, DNS pauses
// and shutdown run in milliseconds without a socket.
#pragma once
#include <openssl/ssl.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <memory>
#include <string_view>

namespace relaymock::net {

class TlsSocket;

class Transport {
 public:
  virtual ~Transport() = default;
  virtual boost::asio::any_io_executor executor() = 0;
  virtual std::uint16_t local_port() = 0;
  // Waits for bytes, then reads up to `room` of them into `buf` (through TLS
  // once it started). 0 with `ec` when the peer closed or the wait was cancelled.
  virtual boost::asio::awaitable<std::size_t> read(char* buf, std::size_t room, boost::system::error_code& ec) = 0;
  virtual boost::asio::awaitable<void> write(std::string_view bytes, boost::system::error_code& ec) = 0;
  // The TLS handshake as the server; later reads and writes go through it.
  virtual boost::asio::awaitable<void> start_tls(SSL_CTX* ctx, boost::system::error_code& ec) = 0;
  // Cleartext bytes have arrived and not been read yet (never counts TLS).
  virtual bool input_waiting() { return false; }
  // Ends a pending read or write (with operation_aborted), from the connection's executor.
  virtual void cancel() = 0;
  virtual void close() = 0;
  // Closes with a TCP reset (the `reset` fault).
  virtual void reset() = 0;
};

class SocketTransport final : public Transport {
 public:
  explicit SocketTransport(boost::asio::ip::tcp::socket socket);
  ~SocketTransport() override;

  boost::asio::any_io_executor executor() override { return socket_.get_executor(); }
  std::uint16_t local_port() override;
  boost::asio::awaitable<std::size_t> read(char* buf, std::size_t room, boost::system::error_code& ec) override;
  boost::asio::awaitable<void> write(std::string_view bytes, boost::system::error_code& ec) override;
  boost::asio::awaitable<void> start_tls(SSL_CTX* ctx, boost::system::error_code& ec) override;
  bool input_waiting() override;
  void cancel() override;
  void close() override;
  void reset() override;

 private:
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsSocket> tls_;  // on socket_, once TLS has started
};

}  // namespace relaymock::net
