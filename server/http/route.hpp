// The HTTP API as a table: method + path pattern -> handler, with what each
// route takes in its query string. routes.cpp holds the table; one file per
// resource holds its handlers; api.cpp matches a request against the table
// and answers 404, 405 (with Allow), 400 for a query it does not take, and
// 401 for the admin token (everything under /api/v1/), the same way for
// every route.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/api.hpp"
#include "http/request.hpp"
#include "util/password.hpp"

namespace relaymock::http {

// One request on its way through a handler.
struct Call {
  ApiContext& ctx;
  const Request& req;
  const Peer& peer;
  std::string_view path;
  Query& query;
  std::vector<std::string> params;  // the pattern's {name} segments, percent-decoded, in order
  // Where a streaming handler leaves its takeover; null when the caller
  // cannot hand over a connection (in-process tests).
  Takeover* takeover = nullptr;

  unsigned version() const { return req.version(); }
  Response json(status st, boost::json::value v) const { return json_response(st, std::move(v), version()); }
  Response error(status st, const std::string& message) const { return error_response(st, message, version()); }
};

using RouteHandler = boost::asio::awaitable<Response> (*)(Call&);

struct Route {
  beast_http::verb method;  // verb::unknown: any method (the handler answers the rest)
  std::string_view pattern;  // "/api/v1/messages/{message_id}/raw"; a last "*" takes any rest
  std::string_view query;    // the query parameters taken, space-separated; "*": the handler checks
  RouteHandler handler;
};

std::span<const Route> routes();

// One HTTP API as a listener serves it: its route table and how it words
// what is the same for every route (a missing route, a wrong method, a
// refused sign-in). The control API answers JSON; Mailpit and MailHog
// answer as they do.
struct Door {
  enum class Kind { Control, Mailpit, MailHog };
  Kind kind = Kind::Control;
  std::span<const Route> routes;
  // Basic auth (Mailpit's --ui-auth-file / MP_UI_AUTH, MailHog's
  // -auth-file); null: open. The control API uses http.admin_token instead.
  std::shared_ptr<const PasswordFile> basic_auth;
  const char* realm = "Login";
};
Door control_door();

// Whether `path` fits `pattern`; the raw {name} segments go to `params`.
bool match_route(std::string_view pattern, std::string_view path, std::vector<std::string_view>& params);

}  // namespace relaymock::http
