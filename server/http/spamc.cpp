#include "http/spamc.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace relaymock::http {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

constexpr std::size_t kMaxAnswer = 4 * 1024 * 1024;  // a report is a few KB; spamd's answer is not ours to size

// Go's words for a system error: strerror's, lower case ("connection refused").
std::string go_error(const boost::system::error_code& ec) {
  auto m = ec.message();
  if (!m.empty() && m[0] >= 'A' && m[0] <= 'Z') m[0] = static_cast<char>(m[0] - 'A' + 'a');
  return m;
}

asio::awaitable<SpamReport> ask(std::string host, std::string port, std::string message) {
  SpamReport r;
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(host, port, asio::as_tuple(asio::use_awaitable));
  if (rec) {
    r.error = "dial tcp: lookup " + host + ": " + go_error(rec);
    co_return r;
  }
  tcp::socket sock(ex);
  auto [cec, ep] = co_await asio::async_connect(sock, endpoints, asio::as_tuple(asio::use_awaitable));
  if (cec) {
    r.error = "dial tcp " + host + ":" + port + ": connect: " + go_error(cec);
    co_return r;
  }
  std::string request = "REPORT SPAMC/1.5\r\nContent-length: " + std::to_string(message.size()) + "\r\n\r\n";
  std::array<asio::const_buffer, 2> bufs{asio::buffer(request), asio::buffer(message)};
  auto [wec, wn] = co_await asio::async_write(sock, bufs, asio::as_tuple(asio::use_awaitable));
  boost::system::error_code ignored;
  sock.shutdown(tcp::socket::shutdown_send, ignored);  // spamd reads to the end
  if (wec) {
    r.error = "write tcp " + host + ":" + port + ": " + go_error(wec);
    co_return r;
  }
  std::string answer;
  std::array<char, 8192> chunk;
  while (answer.size() < kMaxAnswer) {
    auto [ec, n] = co_await sock.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
    answer.append(chunk.data(), n);
    if (ec == asio::error::eof) break;
    if (ec) {
      r.error = "read tcp " + host + ":" + port + ": " + go_error(ec);
      co_return r;
    }
  }
  co_return parse_spamd_report(answer);
}

}  // namespace

asio::awaitable<SpamReport> spamc_report(std::string service, std::string message, std::chrono::seconds timeout) {
  auto colon = service.rfind(':');
  std::string host = colon == std::string::npos ? service : service.substr(0, colon);
  std::string port = colon == std::string::npos ? "783" : service.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  asio::steady_timer deadline(co_await asio::this_coro::executor, timeout);
  auto done = co_await (ask(host, port, std::move(message)) ||
                        deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (done.index() == 0) co_return std::get<0>(std::move(done));
  SpamReport r;
  r.error = "read tcp " + host + ":" + port + ": i/o timeout";
  co_return r;
}

}  // namespace relaymock::http
