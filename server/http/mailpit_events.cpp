// Mailpit's GET /api/events: the WebSocket its web UI and some clients
// follow (server/websockets). Each frame is {"Type": ..., "Data": ...}:
//   new       a message summary (as /api/v1/messages lists it)
//   stats     {Total, Unread, Version}, after anything that changes them
//   update    {ID, Read, Tags}
//   delete    {ID}
//   truncate  null   (everything deleted)
//   prune     null   (many changed at once: read the list again)
// Fed by the bus through a Feed; a client that falls behind gets "prune".
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>

#include "http/compat_ids.hpp"
#include "http/feed.hpp"
#include "http/go_json.hpp"
#include "http/mailpit.hpp"
#include "http/ws_feed.hpp"
#include "store/codec.hpp"

namespace relaymock::http::mailpit {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;

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

}  // namespace

Handled events(Call& c) {
  if (!websocket::is_upgrade(c.req)) co_return text_error(c, "websocket: the client is not using the websocket protocol");
  if (!c.takeover) co_return text_error(c, "a WebSocket needs a connection of its own");
  ApiContext* ctx = &c.ctx;
  *c.takeover = [ctx](beast::tcp_stream& stream, beast::flat_buffer&, const Request& req) -> asio::awaitable<void> {
    co_await serve_ws_feed(stream, req, ctx->service.bus(), {},
                           [ctx](const Feed::Batch& batch) { return render(*ctx, batch); });
  };
  co_return ok_text(c);
}

}  // namespace relaymock::http::mailpit
