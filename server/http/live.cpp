// /api/v1/live: server-sent events fed by the bus, for the UI's live views.
// One connection carries everything that changes what a view shows; each
// event's data is JSON:
//   hello              {now, total, unread, last_seq}     on connecting
//   message            a message summary (as /api/v1/messages lists it)
//   message_updated    {id, read, tags}
//   message_deleted    {id}
//   messages_changed   {}   many at once (cleared, all marked, a tag renamed)
//   event              a decision or protocol event (as /api/v1/events lists it)
//   events_cleared     {}
//   clock              {now, offset_seconds}
//   config | faults | scenarios | counters   {}   read them again
//   resync             {}   more happened than was kept: read everything again
// A comment line every 15 s keeps proxies from closing it.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include "http/feed.hpp"
#include "http/message_json.hpp"
#include "http/resources.hpp"
#include "store/codec.hpp"
#include "util/dates.hpp"

namespace relaymock::http::resource {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

std::string sse(std::string_view event, const json::value& data) {
  std::string out = "event: ";
  out += event;
  out += "\ndata: ";
  out += json::serialize(data);
  out += "\n\n";
  return out;
}

json::object clock_json(const ApiContext& ctx) {
  auto off = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.clock.offset()).count();
  return json::object{{"now", rfc3339(ctx.clock.now())}, {"offset_seconds", static_cast<double>(off) / 1000.0}};
}

std::string render(ApiContext& ctx, const relay::Outcome& o, bool& messages_changed_sent) {
  using Kind = relay::Outcome::Kind;
  switch (o.kind) {
    case Kind::MessageCaptured: {
      auto l = ctx.mail.listed(o.message_id);
      if (!l) return {};
      auto d = ctx.indexer.ensure(o.message_id);
      return sse("message", summary_json(*l, d.get()));
    }
    case Kind::MessageUpdated: {
      auto l = ctx.mail.listed(o.message_id);
      if (!l) return {};
      return sse("message_updated", json::object{{"id", o.message_id}, {"read", l->read}, {"tags", store::json_strings(*l->tags)}});
    }
    case Kind::MessageDeleted: return sse("message_deleted", json::object{{"id", o.message_id}});
    case Kind::MessagesCleared:
    case Kind::MessagesUpdated:
      if (messages_changed_sent) return {};
      messages_changed_sent = true;
      return sse("messages_changed", json::object{});
    case Kind::Decision: {
      auto e = ctx.events.get(o.event_seq);
      return e ? sse("event", store::event_json(*e)) : std::string();
    }
    case Kind::EventsCleared: return sse("events_cleared", json::object{});
    case Kind::ClockMoved: return sse("clock", clock_json(ctx));
    case Kind::ConfigReloaded: return sse("config", json::object{});
    case Kind::FaultChanged: return sse("faults", json::object{});
    case Kind::ScenariosChanged: return sse("scenarios", json::object{});
    case Kind::CountersReset: return sse("counters", json::object{});
    case Kind::SessionOpened:
    case Kind::SessionClosed: return {};
  }
  return {};
}

asio::awaitable<void> pump(ApiContext& ctx, beast::tcp_stream& stream, Feed& feed) {
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\n";
  head += sse("hello", json::object{{"now", rfc3339(ctx.clock.now())},
                                    {"total", ctx.mail.size()},
                                    {"unread", ctx.mail.unread()},
                                    {"last_seq", ctx.events.last_seq()}});
  auto [ec, n] = co_await asio::async_write(stream.socket(), asio::buffer(head), asio::as_tuple(asio::use_awaitable));
  if (ec) co_return;
  while (true) {
    auto batch = co_await feed.next(std::chrono::seconds(15));
    std::string out;
    if (batch.overflowed) {
      out = sse("resync", json::object{});
    } else if (batch.outcomes.empty()) {
      out = ": keep-alive\n\n";
    } else {
      bool messages_changed_sent = false;
      for (const auto& o : batch.outcomes) out += render(ctx, o, messages_changed_sent);
      if (out.empty()) continue;
    }
    auto [wec, wn] = co_await asio::async_write(stream.socket(), asio::buffer(out), asio::as_tuple(asio::use_awaitable));
    if (wec) co_return;
  }
}

}  // namespace

Handled live(Call& c) {
  if (!c.takeover) co_return c.error(status::bad_request, "a live stream needs a connection of its own");
  ApiContext* ctx = &c.ctx;
  *c.takeover = [ctx](beast::tcp_stream& stream, beast::flat_buffer& buffer, const Request&) -> asio::awaitable<void> {
    Feed feed(ctx->service.bus(), co_await asio::this_coro::executor);
    // Ends when the client leaves (or stop() closes the socket).
    co_await (pump(*ctx, stream, feed) || client_gone(stream, buffer));
  };
  co_return c.json(status::ok, json::object{});
}

}  // namespace relaymock::http::resource
