#include "http/ws_feed.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

namespace relaymock::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace boost::asio::experimental::awaitable_operators;
using Socket = websocket::stream<beast::tcp_stream&>;

namespace {

asio::awaitable<void> pump(Socket& ws, Feed& feed, const RenderFrames& render) {
  while (true) {
    auto batch = co_await feed.next(std::chrono::seconds(30));
    for (const auto& f : render(batch)) {
      auto [ec, n] = co_await ws.async_write(asio::buffer(f), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
  }
}

// Reads (and drops) what the client sends, answering pings and the close
// handshake; returns when the connection ends.
asio::awaitable<void> drain(Socket& ws) {
  beast::flat_buffer in;
  while (true) {
    auto [ec, n] = co_await ws.async_read(in, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    in.consume(in.size());
  }
}

}  // namespace

asio::awaitable<void> serve_ws_feed(beast::tcp_stream& stream, const Request& req, relay::Bus& bus,
                                    std::vector<relay::Outcome::Kind> kinds, RenderFrames render) {
  Socket ws(stream);
  auto opt = websocket::stream_base::timeout::suggested(beast::role_type::server);
  opt.keep_alive_pings = true;  // Mailpit pings every 54 s; a dead peer is found
  ws.set_option(opt);
  ws.read_message_max(64 * 1024);  // the client has nothing to say
  ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(beast_http::field::server, std::string("relaymock/") + RELAYMOCK_VERSION);
  }));
  auto [ec] = co_await ws.async_accept(req, asio::as_tuple(asio::use_awaitable));
  if (ec) co_return;
  Feed feed(bus, co_await asio::this_coro::executor, std::move(kinds));
  co_await (pump(ws, feed, render) || drain(ws));
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

}  // namespace relaymock::http
