// Mailpit's GET /api/events: the WebSocket its web UI and some clients
// follow (server/websockets). Each frame is {"Type": ..., "Data": ...}:
//   new       a message summary (as /api/v1/messages lists it)
//   stats     {Total, Unread, Version}, after anything that changes them
//   update    {ID, Read, Tags}
//   delete    {ID}
//   truncate  null   (everything deleted)
//   prune     null   (many changed at once: read the list again)
// Fed by the bus through a Feed; a client that falls behind gets "prune".
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "http/compat_ids.hpp"
#include "http/feed.hpp"
#include "http/go_json.hpp"
#include "http/mailpit.hpp"
#include "store/codec.hpp"

namespace relaymock::http::mailpit {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using namespace boost::asio::experimental::awaitable_operators;
using Socket = websocket::stream<beast::tcp_stream&>;

namespace {

std::string frame(std::string_view type, json::value data) {
  return go_json(json::object{{"Type", type}, {"Data", std::move(data)}});
}

json::object stats(ApiContext& ctx) {
  return json::object{{"Total", ctx.mail.size()}, {"Unread", ctx.mail.unread()},
                      {"Version", std::string("relaymock-") + RELAYMOCK_VERSION}};
}

// The frames one batch of outcomes makes, in order; "stats" once at the end
// when counts may have changed.
std::vector<std::string> render(ApiContext& ctx, const Feed::Batch& batch) {
  using Kind = relay::Outcome::Kind;
  std::vector<std::string> out;
  if (batch.overflowed) {
    out.push_back(frame("prune", nullptr));
    out.push_back(frame("stats", stats(ctx)));
    return out;
  }
  bool counts = false, pruned = false;
  for (const auto& o : batch.outcomes) {
    switch (o.kind) {
      case Kind::MessageCaptured: {
        auto l = ctx.mail.listed(o.message_id);
        auto d = l ? ctx.indexer.ensure(o.message_id) : nullptr;
        if (l && d) out.push_back(frame("new", summary_json(*l, *d)));
        counts = true;
        break;
      }
      case Kind::MessageUpdated: {
        auto l = ctx.mail.listed(o.message_id);
        if (!l) break;
        out.push_back(frame("update", json::object{{"ID", mailpit_id(o.message_id)},
                                                   {"Read", l->read},
                                                   {"Tags", store::json_strings(*l->tags)}}));
        counts = true;
        break;
      }
      case Kind::MessageDeleted:
        out.push_back(frame("delete", json::object{{"ID", mailpit_id(o.message_id)}}));
        counts = true;
        break;
      case Kind::MessagesCleared:
        out.push_back(frame("truncate", nullptr));
        counts = true;
        break;
      case Kind::MessagesUpdated:
        if (!pruned) out.push_back(frame("prune", nullptr));
        pruned = counts = true;
        break;
      default: break;
    }
  }
  if (counts) out.push_back(frame("stats", stats(ctx)));
  return out;
}

asio::awaitable<void> pump(ApiContext& ctx, Socket& ws, Feed& feed) {
  while (true) {
    auto batch = co_await feed.next(std::chrono::seconds(30));
    for (const auto& f : render(ctx, batch)) {
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

Handled events(Call& c) {
  if (!websocket::is_upgrade(c.req)) co_return text_error(c, "websocket: the client is not using the websocket protocol");
  if (!c.takeover) co_return text_error(c, "a WebSocket needs a connection of its own");
  ApiContext* ctx = &c.ctx;
  *c.takeover = [ctx](beast::tcp_stream& stream, beast::flat_buffer& buffer, const Request& req) -> asio::awaitable<void> {
    Socket ws(stream);
    auto opt = websocket::stream_base::timeout::suggested(beast::role_type::server);
    opt.keep_alive_pings = true;  // Mailpit pings every 54 s; a dead peer is found
    ws.set_option(opt);
    ws.read_message_max(64 * 1024);  // the client has nothing to say
    ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(beast_http::field::server, std::string("relaymock/") + RELAYMOCK_VERSION);
    }));
    // Bytes the HTTP reader already took past the request belong to the WebSocket.
    auto [ec] = co_await ws.async_accept(req, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    (void)buffer;
    Feed feed(ctx->service.bus(), co_await asio::this_coro::executor);
    co_await (pump(*ctx, ws, feed) || drain(ws));
    boost::system::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  };
  co_return ok_text(c);
}

}  // namespace relaymock::http::mailpit
