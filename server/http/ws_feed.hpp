// A WebSocket fed by the bus, shared by Mailpit's /api/events and MailHog's
// /api/v2/websocket: one place instantiates Beast's WebSocket stream and its
// coroutines (the heaviest code to compile in the project).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <functional>
#include <string>
#include <vector>

#include "http/feed.hpp"
#include "http/request.hpp"

namespace relaymock::http {

// The text frames a batch of outcomes makes, in order.
using RenderFrames = std::function<std::vector<std::string>(const Feed::Batch&)>;

// Accepts the upgrade `req` asked for, then sends the frames `render` makes
// of each batch of `kinds` (empty: all), reading and dropping what the client
// sends (pings and the close handshake are answered), until either side ends.
boost::asio::awaitable<void> serve_ws_feed(boost::beast::tcp_stream& stream, const Request& req, relay::Bus& bus,
                                           std::vector<relay::Outcome::Kind> kinds, RenderFrames render);

}  // namespace relaymock::http
