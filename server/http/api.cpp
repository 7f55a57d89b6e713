// Matches a request against the route table and answers what is the same
// for every route: 404, 405 with Allow, the admin token, the query
// parameters a route takes, its path parameters, and 500 for a handler that
// failed. What each route does is in its resource's file.
#include "http/api.hpp"

#include <set>

#include "http/provider_api.hpp"
#include "http/route.hpp"
#include "http/ui_auth.hpp"
#include "smtp/sasl.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"
#include "util/log.hpp"

namespace relaymock::http {

namespace asio = boost::asio;
using beast_http::field;
using beast_http::verb;

namespace {

// The names of a pattern's {name} segments, in order.
std::vector<std::string> param_names(std::string_view pattern) {
  std::vector<std::string> out;
  for (auto open = pattern.find('{'); open != std::string_view::npos; open = pattern.find('{', open + 1)) {
    auto close = pattern.find('}', open);
    std::string name(pattern.substr(open + 1, close - open - 1));
    for (auto& ch : name)
      if (ch == '_') ch = ' ';
    out.push_back(std::move(name));
  }
  return out;
}

// Origin (or, without it, Sec-Fetch-Site) says the request comes from a
// page of this server.
bool same_origin(const Request& req) {
  auto origin = req[field::origin];
  if (!origin.empty()) {
    std::string_view o(origin.data(), origin.size());
    auto host = req[field::host];
    auto scheme = o.find("://");
    return scheme != std::string_view::npos && o.substr(scheme + 3) == std::string_view(host.data(), host.size());
  }
  auto site = req["Sec-Fetch-Site"];
  return site.empty() || site == "same-origin" || site == "none";
}

}  // namespace

// What every answer carries: the UI's Content-Security-Policy (scripts and
// styles from this server only, never framed by another site), no MIME
// sniffing, no referrer. A response that sets its own (the framed HTML of
// a message) keeps it.
Response secured(Response res) {
  if (res.find(kContentSecurityPolicy) == res.end())
    res.set(kContentSecurityPolicy,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'");
  if (res.find(field::x_frame_options) == res.end()) res.set(field::x_frame_options, "DENY");
  if (res.find(kContentTypeOptions) == res.end()) res.set(kContentTypeOptions, "nosniff");
  if (res.find(kReferrerPolicy) == res.end()) res.set(kReferrerPolicy, "no-referrer");
  return res;
}

Api::Api(ApiContext ctx) : Api(std::move(ctx), control_door()) {}
Api::Api(ApiContext ctx, const Door& door) : ctx_(std::move(ctx)), door_(std::make_unique<Door>(door)) {}
Api::~Api() = default;

Door control_door() { return Door{Door::Kind::Control, routes(), nullptr, "relaymock"}; }

namespace {

// What Go's net/http answers for a missing route or a wrong method (Mailpit
// and MailHog are Go servers), plain text.
Response go_text(status st, std::string body, unsigned v) {
  return make_response(st, std::move(body), "text/plain; charset=utf-8", v);
}

std::string_view header_of(const Request& req, beast_http::field f) {
  auto v = req[f];
  return std::string_view(v.data(), v.size());
}

// Basic auth's user and password, if the request carries them.
std::optional<std::pair<std::string, std::string>> basic_credentials(const Request& req) {
  auto auth = header_of(req, field::authorization);
  if (auth.size() < 7 || !istarts_with(auth, "Basic ")) return std::nullopt;
  auto decoded = base64_decode(trim(auth.substr(6)));
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

}  // namespace

std::optional<Response> Api::answer_before_body(const Request& header) const {
  std::string_view target(header.target().data(), header.target().size());
  if (door_->kind == Door::Kind::Control && target.substr(0, 4) == "/v3/" && header.method() == verb::post)
    return provider_answer_before_body(ctx_, header);
  return std::nullopt;
}

asio::awaitable<Response> Api::handle(const Request& req, const Peer& peer, Takeover* takeover) {
  co_return secured(co_await answer(req, peer, takeover));
}

asio::awaitable<Response> Api::answer(const Request& req, const Peer& peer, Takeover* takeover) {
  const unsigned v = req.version();
  std::string_view target(req.target().data(), req.target().size());
  auto qmark = target.find('?');
  std::string_view path = target.substr(0, qmark);
  Query q;
  if (qmark != std::string_view::npos) {
    auto parsed = parse_query(target.substr(qmark + 1), q.problem);
    if (!parsed) co_return error_response(status::bad_request, q.problem, v);
    q.values = std::move(*parsed);
  }

  const bool control = door_->kind == Door::Kind::Control;
  if (door_->basic_auth) {
    auto creds = basic_credentials(req);
    if (!creds || !door_->basic_auth->check(creds->first, creds->second)) {
      auto res = go_text(status::unauthorized, "Unauthorised.\n", v);
      res.set(field::www_authenticate, std::string("Basic realm=\"") + door_->realm + "\"");
      co_return res;
    }
  }

  const Route* route = nullptr;
  std::vector<std::string_view> raw, found_raw;
  std::string allow;
  bool known = false;
  for (const auto& r : door_->routes) {
    if (!match_route(r.pattern, path, raw)) continue;
    known = true;
    if (r.method == verb::unknown || r.method == req.method()) {
      if (!route) {
        route = &r;
        found_raw = raw;
      }
    } else if (!contains_word(allow, beast_http::to_string(r.method))) {
      allow += allow.empty() ? "" : ", ";
      allow += beast_http::to_string(r.method);
    }
  }

  // The admin token guards the whole control API, known paths or not
  // (signing in excepted), by header or by the UI's cookie.
  std::vector<std::string_view> none;
  if (control && match_route("/api/v1/*", path, none) && !match_route("/api/v1/signin", path, none)) {
    auto cfg = ctx_.engine.config();
    const auto& token = cfg->http.admin_token;
    if (!token.empty()) {
      if (!authorized(req, token)) {
        auto res = error_response(status::unauthorized, "missing or wrong admin token (Authorization: Bearer <token>)", v);
        res.set(field::www_authenticate, "Bearer realm=\"relaymock\"");
        co_return res;
      }
      // A cookie goes with requests other sites make: a change it
      // authorizes must come from the UI's own origin.
      if (req.method() != verb::get && req.method() != verb::head && by_cookie_only(req, token) &&
          !same_origin(req))
        co_return error_response(status::forbidden, "a cross-site request cannot use the UI's sign-in", v);
    }
  }
  if (!known)
    co_return control ? error_response(status::not_found, "no such endpoint", v)
                      : go_text(status::not_found, "404 page not found\n", v);
  if (!route) {
    auto res = control ? error_response(status::method_not_allowed, "method not allowed; use " + allow, v)
                       : go_text(status::method_not_allowed, "Method Not Allowed\n", v);
    res.set(field::allow, allow);
    co_return res;
  }
  if (route->query != "*") {
    for (const auto& [k, value] : q.values)
      if (!contains_word(route->query, k)) co_return error_response(status::bad_request, "unknown query parameter '" + k + "'", v);
  }
  std::vector<std::string> params;
  auto names = param_names(route->pattern);
  for (std::size_t i = 0; i < found_raw.size(); ++i) {
    std::string decoded;
    if (!url_decode(found_raw[i], decoded)) co_return error_response(status::bad_request, "malformed " + names[i], v);
    params.push_back(std::move(decoded));
  }

  Call call{ctx_, req, peer, path, q, std::move(params), takeover};
  std::string failure;
  try {
    co_return co_await route->handler(call);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  // A store that failed (a locked file, a full disk) still gets the client an answer.
  logger().error("request failed", {{"method", std::string(beast_http::to_string(req.method()))},
                                    {"path", std::string(path)}, {"error", failure}});
  if (!control) co_return go_text(status::bad_request, failure, v);  // Mailpit's httpError
  co_return error_response(status::internal_server_error, "the request failed: " + failure, v);
}

}  // namespace relaymock::http
