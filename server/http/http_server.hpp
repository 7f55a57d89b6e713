// The HTTP listener (Boost.Beast) on its own io_context and thread, never an
// SMTP event loop: a coroutine per connection on its own strand, keep-alive,
// bounded header and body sizes, bounded body bytes in flight, connection
// caps (total and per client address), idle deadline. A request that waits
// (long-poll, a scenario's delay) ends when its client leaves; stop() ends
// every connection at once by closing it on its strand.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "http/api.hpp"
#include "relay/metrics.hpp"

namespace relaymock::http {

struct HttpLimits {
  std::uint32_t max_connections = 512;
  std::uint32_t max_connections_per_ip = 256;
  std::uint64_t max_body_bytes_in_flight = 256ull * 1024 * 1024;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, Api& api, relay::Metrics& metrics, HttpLimits limits);
  // Binds host:port or throws StartupError with a clear reason.
  void bind(const std::string& host, std::uint16_t port);
  void start();
  // Stops accepting and closes every open connection, waiting or not; the
  // io_context then runs out of work once their coroutines have ended.
  void stop();

 private:
  struct Conn;
  class Admission;
  class BodyBudget;
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<Conn> c);

  boost::asio::io_context& ioc_;
  Api& api_;
  relay::Metrics& metrics_;
  HttpLimits limits_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::mutex mutex_;
  std::set<std::shared_ptr<Conn>> open_;
  std::map<std::string, std::uint32_t> per_ip_;
  std::uint64_t body_bytes_ = 0;  // reserved by bodies being read
  bool stopping_ = false;
};

}  // namespace relaymock::http
