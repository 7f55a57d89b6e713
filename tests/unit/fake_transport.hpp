// A scripted transport for net::Connection: the test plays the client
// (bytes sent when it chooses, read back in chunks of a chosen size), and
// can make the n-th read or write fail, writes stall, or TLS fail.
#pragma once
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <cstring>
#include <string>

#include "net/transport.hpp"

namespace relaymock::test {

class FakeTransport final : public net::Transport {
 public:
  explicit FakeTransport(boost::asio::any_io_executor ex) : ex_(ex), wake_(ex) {
    wake_.expires_at(boost::asio::steady_timer::time_point::max());
  }

  // --- the test's side (on the connection's executor) ---
  std::size_t read_size = 1 << 16;  // bytes handed over per read at most
  int fail_at = 0;                  // the n-th operation (reads and writes, from 1) fails; 0: none
  bool tls_fails = false;
  bool writes_stall = false;        // writes never complete (a client that stopped reading)
  std::string written;              // everything the server wrote
  std::string written_before_tls;   // what it wrote in plaintext, once TLS started
  bool tls = false, closed = false, was_reset = false;
  int operations = 0;

  void send(std::string_view bytes) {
    input_ += bytes;
    wake_.cancel();
  }
  void hang_up() {
    eof_ = true;
    wake_.cancel();
  }

  // --- the connection's side ---
  boost::asio::any_io_executor executor() override { return ex_; }
  std::uint16_t local_port() override { return 2525; }

  boost::asio::awaitable<std::size_t> read(char* buf, std::size_t room, boost::system::error_code& ec) override {
    ec = {};
    if (++operations == fail_at) {
      ec = boost::asio::error::connection_reset;
      co_return 0;
    }
    while (input_.empty()) {
      if (eof_ || closed) {
        ec = boost::asio::error::eof;
        co_return 0;
      }
      // Not `if (!co_await woken(ec))`: g++ 12 builds that into a crash here.
      bool woke = co_await woken(ec);
      if (!woke) co_return 0;
    }
    std::size_t n = std::min({room, read_size, input_.size()});
    std::memcpy(buf, input_.data(), n);
    input_.erase(0, n);
    co_return n;
  }

  boost::asio::awaitable<void> write(std::string_view bytes, boost::system::error_code& ec) override {
    ec = {};
    if (++operations == fail_at || closed) {
      ec = boost::asio::error::broken_pipe;
      co_return;
    }
    while (writes_stall && !closed) {
      bool woke = co_await woken(ec);
      if (!woke) co_return;
    }
    if (closed) {
      ec = boost::asio::error::broken_pipe;
      co_return;
    }
    written += bytes;
  }

  boost::asio::awaitable<void> start_tls(SSL_CTX*, boost::system::error_code& ec) override {
    ec = {};
    if (tls_fails) {
      ec = boost::asio::error::connection_aborted;
      co_return;
    }
    tls = true;
    written_before_tls = written;
    co_return;
  }

  // Like a socket's cancel: only an operation in progress ends.
  void cancel() override {
    if (pending_) cancelled_ = true;
    wake_.cancel();
  }
  void close() override {
    closed = true;
    wake_.cancel();
  }
  void reset() override {
    was_reset = true;
    close();
  }

 private:
  // Waits until the test sends, hangs up, closes or cancels; false (and
  // operation_aborted) when cancel() ended the wait.
  boost::asio::awaitable<bool> woken(boost::system::error_code& ec) {
    pending_ = true;
    boost::system::error_code wait_ec;
    co_await wake_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, wait_ec));
    pending_ = false;
    if (!std::exchange(cancelled_, false)) co_return true;
    ec = boost::asio::error::operation_aborted;
    co_return false;
  }

  boost::asio::any_io_executor ex_;
  boost::asio::steady_timer wake_;
  std::string input_;
  bool eof_ = false, pending_ = false, cancelled_ = false;
};

}  // namespace relaymock::test
