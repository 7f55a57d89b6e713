// Mailpit's route table (server/server.go's apiRoutes), in its paths and
// methods. Go ignores query parameters it does not read, so every route
// takes any ("*").
#include "http/compat_ids.hpp"
#include "http/mailpit.hpp"

namespace relaymock::http::mailpit {

using beast_http::verb;

namespace {

Response redirect(Call& c, const std::string& to) {
  auto res = make_response(status::found, "", "text/html; charset=utf-8", c.version());
  res.set(beast_http::field::location, to);
  return res;
}

// /view/{ID}: Mailpit's web UI shows the message; relaymock's UI (on
// http.listen) does. /view/latest first names the newest message (or the
// newest matching ?query=), as Mailpit's redirect does.
Handled view_page(Call& c) {
  std::optional<Response> failed;
  auto id = resolve(c, c.params[0], failed);
  if (c.params[0] == "latest") co_return redirect(c, id ? "/view/" + mailpit_id(*id) : std::string("/"));
  if (!id) co_return std::move(*failed);
  const auto& http = c.ctx.engine.config()->http;
  if (!http.enabled) co_return not_found(c);
  auto host = std::string(c.req[beast_http::field::host]);
  if (!host.empty() && host.front() == '[') host = host.substr(0, host.find(']') + 1);
  else if (auto colon = host.find(':'); colon != std::string::npos) host = host.substr(0, colon);
  if (host.empty()) host = http.host == "0.0.0.0" || http.host == "::" ? "127.0.0.1" : http.host;
  co_return redirect(c, "http://" + host + ":" + std::to_string(http.port) + "/#/inbox/" + path_escape(*id));
}

// /view/{ID}.html and /view/{ID}.txt: one segment, split here.
Handled view(Call& c) {
  auto& file = c.params[0];
  auto ends = [&file](std::string_view s) { return file.size() > s.size() && file.ends_with(s); };
  if (ends(".html")) {
    file.resize(file.size() - 5);
    co_return co_await view_html(c);
  }
  if (ends(".txt")) {
    file.resize(file.size() - 4);
    co_return co_await view_text(c);
  }
  co_return co_await view_page(c);
}

}  // namespace

std::span<const Route> routes() {
  static const Route table[] = {
      {verb::get, "/api/v1/messages", "*", list_messages},
      {verb::put, "/api/v1/messages", "*", set_read},
      {verb::delete_, "/api/v1/messages", "*", delete_messages},
      {verb::get, "/api/v1/search", "*", search},
      {verb::delete_, "/api/v1/search", "*", delete_search},
      {verb::post, "/api/v1/send", "*", send},
      {verb::get, "/api/v1/tags", "*", get_tags},
      {verb::put, "/api/v1/tags", "*", set_tags},
      {verb::put, "/api/v1/tags/{tag}", "*", rename_tag},
      {verb::delete_, "/api/v1/tags/{tag}", "*", delete_tag},
      {verb::get, "/api/v1/message/{id}/part/{part}", "*", get_part},
      {verb::get, "/api/v1/message/{id}/part/{part}/thumb", "*", get_thumb},
      {verb::get, "/api/v1/message/{id}/headers", "*", get_headers},
      {verb::get, "/api/v1/message/{id}/raw", "*", get_raw},
      {verb::post, "/api/v1/message/{id}/release", "*", release},
      {verb::get, "/api/v1/message/{id}/html-check", "*", html_check},
      {verb::get, "/api/v1/message/{id}/link-check", "*", link_check},
      {verb::get, "/api/v1/message/{id}/sa-check", "*", sa_check},
      {verb::get, "/api/v1/message/{id}", "*", get_message},
      {verb::get, "/api/v1/info", "*", info},
      {verb::get, "/api/v1/webui", "*", webui},
      {verb::get, "/api/v1/chaos", "*", get_chaos},
      {verb::put, "/api/v1/chaos", "*", set_chaos},
      {verb::get, "/api/events", "*", events},
      {verb::get, "/view/{file}", "*", view},
      {verb::get, "/livez", "*", livez},
      {verb::get, "/readyz", "*", readyz},
  };
  return table;
}

}  // namespace relaymock::http::mailpit
