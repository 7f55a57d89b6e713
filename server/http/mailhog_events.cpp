// MailHog's live feeds of new messages: /api/v1/events (server-sent
// events: "event: data" with the message's JSON, "event: keepalive" every
// minute) and /api/v2/websocket (one text frame per message, as its UI
// reads them). Fed by the bus through a Feed.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>

#include "http/feed.hpp"
#include "http/go_json.hpp"
#include "http/mailhog.hpp"
#include "http/ws_feed.hpp"

namespace relaymock::http::mailhog {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

// The JSON of each message the batch captured.
std::vector<std::string> captured(ApiContext& ctx, const Feed::Batch& batch) {
  std::vector<std::string> out;
  const auto hostname = ctx.engine.config()->compat.mailhog.hostname;
  for (const auto& o : batch.outcomes) {
    if (o.kind != relay::Outcome::Kind::MessageCaptured) continue;
    auto l = ctx.mail.listed(o.message_id);
    auto raw = l ? ctx.mail.content(o.message_id) : std::nullopt;
    if (!l || !raw) continue;
    out.push_back(go_json(message_json(*l->message, build(*l->message, *raw, hostname))));
  }
  return out;
}

asio::awaitable<void> sse_pump(ApiContext& ctx, beast::tcp_stream& stream, Feed& feed) {
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Connection: close\r\n\r\n";
  auto [ec, n] = co_await asio::async_write(stream.socket(), asio::buffer(head), asio::as_tuple(asio::use_awaitable));
  if (ec) co_return;
  while (true) {
    auto batch = co_await feed.next(std::chrono::minutes(1));
    std::string out;
    if (batch.outcomes.empty() && !batch.overflowed) {
      out = "event: keepalive\ndata: \n\n";
    } else {
      for (const auto& j : captured(ctx, batch)) out += "event: data\ndata: " + j + "\n\n";
      if (out.empty()) continue;
    }
    auto [wec, wn] = co_await asio::async_write(stream.socket(), asio::buffer(out), asio::as_tuple(asio::use_awaitable));
    if (wec) co_return;
  }
}

const std::vector<relay::Outcome::Kind> kCaptures{relay::Outcome::Kind::MessageCaptured};

}  // namespace

Handled v1_events(Call& c) {
  if (!c.takeover) co_return empty(c, status::bad_request, "");
  ApiContext* ctx = &c.ctx;
  *c.takeover = [ctx](beast::tcp_stream& stream, beast::flat_buffer& buffer, const Request&) -> asio::awaitable<void> {
    Feed feed(ctx->service.bus(), co_await asio::this_coro::executor, kCaptures);
    co_await (sse_pump(*ctx, stream, feed) || client_gone(stream, buffer));
  };
  co_return empty(c, status::ok, "");
}

Handled v2_websocket(Call& c) {
  if (!websocket::is_upgrade(c.req) || !c.takeover) co_return empty(c, status::bad_request, "");
  ApiContext* ctx = &c.ctx;
  *c.takeover = [ctx](beast::tcp_stream& stream, beast::flat_buffer&, const Request& req) -> asio::awaitable<void> {
    co_await serve_ws_feed(stream, req, ctx->service.bus(), kCaptures,
                           [ctx](const Feed::Batch& batch) { return captured(*ctx, batch); });
  };
  co_return empty(c, status::ok, "");
}

}  // namespace relaymock::http::mailhog
