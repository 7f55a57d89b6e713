// /api/v1/messages/{id}/html: a message's HTML as the UI frames it, safe to
// show. The page runs in a sandbox of its own (no script, no forms, no
// top-level navigation, an opaque origin that cannot read relaymock's
// cookies), its cid: images are written in as data: URLs, and nothing it
// names on the network loads unless ?remote=1 (the user allowed remote
// images): the Content-Security-Policy says so to the browser.
#include <boost/json.hpp>

#include "http/resources.hpp"
#include "mime/mime.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"

namespace relaymock::http::resource {

using beast_http::field;

namespace {

// cid: images written into the page, at most this much in all.
constexpr std::size_t kMaxInlined = 20 * 1024 * 1024;

std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from = 0) {
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle)) return i;
  return std::string_view::npos;
}

// A data: URL may carry an image type only (never text/html or SVG, which
// could hold script if the sandbox ever failed).
bool inlinable_type(const std::string& type) {
  return type == "image/png" || type == "image/jpeg" || type == "image/gif" || type == "image/webp" ||
         type == "image/bmp" || type == "image/x-icon";
}

std::string with_inlined_cids(std::string_view html, std::string_view content) {
  std::string out;
  out.reserve(html.size());
  std::size_t pos = 0;
  std::vector<std::pair<std::string, std::string>> urls;  // cid -> data: URL, read once
  bool read = false;
  std::size_t emitted = 0;
  while (true) {
    auto at = ifind(html, "cid:", pos);
    if (at == std::string_view::npos) break;
    auto end = at + 4;
    while (end < html.size() && html[end] != '"' && html[end] != '\'' && html[end] != ')' && html[end] != ' ' &&
           html[end] != '>' && html[end] != '\t' && html[end] != '\r' && html[end] != '\n')
      ++end;
    out.append(html.substr(pos, at - pos));
    auto cid = html.substr(at + 4, end - at - 4);
    std::string replacement(html.substr(at, end - at));
    if (!cid.empty()) {
      if (!read) {
        for (auto& [id, part] : mime::parts_with_content_id(content, kMaxInlined))
          if (inlinable_type(part.type)) urls.emplace_back(id, "data:" + part.type + ";base64," + base64_encode(part.bytes));
        read = true;
      }
      for (const auto& [id, url] : urls)
        if (id == cid && emitted + url.size() <= 2 * kMaxInlined) {
          replacement = url;
          emitted += url.size();  // the same image a thousand times is not a thousand copies
        }
    }
    out += replacement;
    pos = end;
  }
  out.append(html.substr(pos));
  return out;
}

// Links open in a new tab, outside the sandbox's frame.
std::string with_base(std::string html) {
  const std::string base = "<base target=\"_blank\">";
  for (const char* tag : {"<head", "<html"}) {
    auto at = ifind(html, tag);
    if (at == std::string::npos) continue;
    auto close = html.find('>', at);
    if (close == std::string::npos) break;
    html.insert(close + 1, base);
    return html;
  }
  return base + html;
}

}  // namespace

Handled get_message_html(Call& c) {
  const auto& id = c.params[0];
  auto content = c.ctx.mail.content(id);
  if (!content) co_return c.error(status::not_found, "no message with id '" + id + "'");
  auto parts = mime::parse_message(*content);
  if (!parts.has_html) co_return c.error(status::not_found, "message '" + id + "' has no HTML part");
  const bool remote = c.query.text("remote") == "1";
  auto page = with_base(with_inlined_cids(parts.html, *content));
  auto res = make_response(status::ok, std::move(page), "text/html; charset=utf-8", c.version());
  std::string net = remote ? " http: https:" : "";
  res.set(kContentSecurityPolicy,
          "default-src 'none'; img-src data:" + net + "; style-src 'unsafe-inline'" + net + "; font-src data:" + net +
              "; media-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; "
              "sandbox allow-popups allow-popups-to-escape-sandbox");
  res.set(field::x_frame_options, "SAMEORIGIN");
  res.set(kContentTypeOptions, "nosniff");
  res.set(kReferrerPolicy, "no-referrer");
  res.set("X-DNS-Prefetch-Control", "off");
  co_return res;
}

}  // namespace relaymock::http::resource
