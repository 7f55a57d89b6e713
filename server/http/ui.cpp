// The web UI: its files (embedded at build time), the page that says how to
// get it when the binary was built without, and signing in with the admin
// token (a cookie the browser then sends with every request, so that
// EventSource, downloads and the framed HTML need no header).
#include <boost/json.hpp>

#include "http/resources.hpp"
#include "http/ui_assets.hpp"
#include "http/ui_auth.hpp"
#include "smtp/sasl.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;
using beast_http::field;

namespace {

const UiAsset* asset(std::string_view path) {
  for (const auto& a : ui_assets())
    if (a.path == path) return &a;
  return nullptr;
}

bool accepts_gzip(const Request& req) {
  auto ae = req[field::accept_encoding];
  return std::string_view(ae.data(), ae.size()).find("gzip") != std::string_view::npos;
}

Response serve(const Call& c, const UiAsset& a, bool immutable) {
  bool gz = !a.gzip.empty() && accepts_gzip(c.req);
  auto res = make_response(status::ok, std::string(gz ? a.gzip : a.data), a.type, c.version());
  if (gz) res.set(field::content_encoding, "gzip");
  res.set(field::vary, "Accept-Encoding");
  // Hashed file names never change content; index.html always may.
  res.set(field::cache_control, immutable ? "public, max-age=31536000, immutable" : "no-cache");
  return res;
}

constexpr const char* kNoUi =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>relaymock</title></head><body>"
    "<h1>relaymock</h1><p>This relaymock was built without its web UI (<code>-DRELAYMOCK_WEB_UI=OFF</code>). "
    "Build it with the UI: <code>cmake -S . -B build -DRELAYMOCK_WEB_UI=ON</code> (needs Node.js and npm), or "
    "run <code>tests/bootstrap run</code>, which installs them. The HTTP API is at <code>/api/v1/</code> "
    "(see the README).</p></body></html>";

}  // namespace

// GET / and every path the UI routes itself (/messages/..., /decisions):
// the page; /assets/...: its files.
Handled ui_page(Call& c) {
  if (ui_assets().empty()) co_return make_response(status::ok, kNoUi, "text/html; charset=utf-8", c.version());
  std::string_view path = c.path;
  if (path.substr(0, 8) == "/assets/" || path == "/favicon.svg") {
    if (auto* a = asset(path)) co_return serve(c, *a, path.substr(0, 8) == "/assets/");
    co_return c.error(status::not_found, "no such file");
  }
  auto* index = asset("/index.html");
  if (!index) co_return c.error(status::not_found, "the UI build has no index.html");
  co_return serve(c, *index, false);
}

// Whether the UI must sign in, and whether this browser has.
Handled signin_state(Call& c) {
  auto cfg = c.ctx.engine.config();
  bool required = !cfg->http.admin_token.empty();
  co_return c.json(status::ok, json::object{{"required", required},
                                            {"signed_in", !required || authorized(c.req, cfg->http.admin_token)}});
}

Handled signin(Call& c) {
  std::string problem;
  auto body = body_object(c.req, {"token"}, false, problem);
  if (!body) co_return c.error(status::bad_request, problem);
  auto* token = body->if_contains("token");
  if (!token || !token->is_string()) co_return c.error(status::bad_request, "token must be a string");
  auto cfg = c.ctx.engine.config();
  const auto& expected = cfg->http.admin_token;
  if (expected.empty()) co_return c.json(status::ok, json::object{{"required", false}, {"signed_in", true}});
  if (!smtp::secure_equals(std::string_view(token->as_string().data(), token->as_string().size()), expected))
    co_return c.error(status::unauthorized, "wrong admin token");
  auto res = c.json(status::ok, json::object{{"required", true}, {"signed_in", true}});
  res.set(field::set_cookie, session_cookie(expected));
  co_return res;
}

Handled signout(Call& c) {
  auto res = c.json(status::ok, json::object{{"signed_in", false}});
  res.set(field::set_cookie, std::string(kUiCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  co_return res;
}

}  // namespace relaymock::http::resource
