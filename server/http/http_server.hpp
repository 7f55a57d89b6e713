// The HTTP listener (Boost.Beast): a coroutine per connection on its own
// strand, keep-alive, bounded request size, idle deadline, graceful stop.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "http/api.hpp"

namespace relaymock::http {

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, Api& api);
  // Binds host:port or throws StartupError with a clear reason.
  void bind(const std::string& host, std::uint16_t port);
  void start();
  // Stops accepting and closes open HTTP connections (long-polls included).
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  Api& api_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::mutex mutex_;
  std::set<std::shared_ptr<boost::asio::ip::tcp::socket>> open_;
  bool stopping_ = false;
};

}  // namespace relaymock::http
