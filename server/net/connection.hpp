// One client connection: a coroutine on its own strand that reads bytes,
// feeds the protocol state machine, writes its replies, upgrades to TLS on
// request, and enforces per-command deadlines with a watchdog timer.
#pragma once
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "net/mail_handler.hpp"
#include "net/transport.hpp"
#include "smtp/session.hpp"

namespace relaymock::net {

namespace asio = boost::asio;

// What a connection needs from its listener, fixed for its lifetime.
struct ConnectionSetup {
  std::shared_ptr<const smtp::Settings> settings;
  const config::Profile* profile = nullptr;  // the listener's (a static table entry)
  std::shared_ptr<asio::ssl::context> tls;
  config::TlsMode mode = config::TlsMode::None;
  config::Timeouts timeouts;
  config::Fault fault;  // the listener's, when the connection was accepted
  std::function<std::string()> date;  // RFC 5322 date for the greeting
  // After a deadline passes, the final 421 gets this long to be written.
  std::chrono::milliseconds final_write{5000};
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::unique_ptr<Transport> transport, ConnectionSetup setup, relay::Service& services,
             std::string session_id, std::string client_ip);
  ~Connection();

  asio::awaitable<void> run();
  // Graceful stop from any thread: idle sessions get 421 now, a DATA in
  // flight may finish within the grace period.
  void shutdown(std::chrono::milliseconds grace);

  const std::string& client_ip() const { return client_ip_; }
  const std::string& session_id() const { return handler_.session_id(); }

 private:
  asio::awaitable<void> watchdog();
  asio::awaitable<std::size_t> read_some(boost::system::error_code& ec);
  asio::awaitable<bool> flush();
  asio::awaitable<bool> handshake();
  // Faults (config::Fault): what a client sees when the network or the server misbehaves.
  asio::awaitable<void> pause(std::chrono::milliseconds d);
  asio::awaitable<void> fail_tls_handshake();
  asio::awaitable<void> swallow_until_closed();
  std::size_t throttle_chunk() const;
  void set_deadline(std::chrono::milliseconds d);
  // A RCPT's wait for DNS, which the deadline and a shutdown cut short.
  asio::awaitable<void> wait_for_dns();

  std::unique_ptr<Transport> io_;
  ConnectionSetup setup_;
  relay::Service& services_;
  MailHandler handler_;
  std::string client_ip_;
  std::optional<smtp::Session> session_;
  asio::steady_timer deadline_;
  asio::cancellation_signal stop_dns_wait_;  // emitted by the watchdog and shutdown()
  bool expired_ = false;
  bool done_ = false;
  bool shutting_ = false;
};

}  // namespace relaymock::net
