// Mailpit's /api/v1/message/{ID} and its parts (server/apiv1/message.go),
// and /view/{ID}.html|.txt: one message read in Mailpit's shapes, from the
// form Mailpit would have stored.
#include <boost/json.hpp>

#include "http/compat_ids.hpp"
#include "http/mailpit.hpp"
#include "http/offload.hpp"
#include "http/thumbnail.hpp"
#include "util/strings.hpp"

namespace relaymock::http::mailpit {

namespace json = boost::json;
using beast_http::field;

std::optional<Loaded> load(Call& c, std::optional<Response>& failed, bool latest_is_plain_404) {
  auto id = resolve(c, c.params[0], failed, latest_is_plain_404);
  if (!id) return std::nullopt;
  auto l = c.ctx.mail.listed(*id);
  auto raw = l ? c.ctx.mail.content(*id) : std::nullopt;
  auto d = l ? c.ctx.indexer.ensure(*id) : nullptr;
  if (!l || !raw || !d) {
    failed = not_found(c);
    return std::nullopt;
  }
  auto stored = stored_form(*l->message, *raw, *d);
  return Loaded{std::move(*l), std::move(d), std::move(stored)};
}

namespace {

// net/textproto's canonical header key: "message-id" -> "Message-Id".
std::string canonical_key(std::string_view k) {
  for (char ch : k)
    if (ch == ' ' || ch == '\t' || static_cast<unsigned char>(ch) >= 0x80) return std::string(k);
  std::string out(k);
  bool upper = true;
  for (auto& ch : out) {
    if (upper && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    else if (!upper && ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    upper = ch == '-';
  }
  return out;
}

// The header section as Go's mail.ReadMessage reads it: canonical keys,
// values as written, continuation lines joined by a space.
std::map<std::string, std::vector<std::string>> go_headers(std::string_view stored) {
  std::map<std::string, std::vector<std::string>> out;
  std::string key, value;
  auto flush = [&] {
    if (!key.empty()) out[canonical_key(key)].push_back(std::string(trim(value)));
    key.clear();
    value.clear();
  };
  std::size_t pos = 0;
  while (pos < stored.size()) {
    auto nl = stored.find('\n', pos);
    auto line = stored.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? stored.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      if (!key.empty()) value += " " + std::string(trim(line));
      continue;
    }
    flush();
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    key = std::string(trim(line.substr(0, colon)));
    value = std::string(trim(line.substr(colon + 1)));
  }
  flush();
  return out;
}

}  // namespace

Handled get_message(Call& c) {
  std::optional<Response> failed;
  auto m = load(c, failed);
  if (!m) co_return std::move(*failed);
  auto body = message_json(m->listed, *m->derived, m->stored);
  // Reading a message marks it read, as Mailpit's GetMessage does.
  c.ctx.service.mark_read({m->listed->id}, true);
  co_return answer_json(c, body);
}

Handled get_headers(Call& c) {
  std::optional<Response> failed;
  auto m = load(c, failed);
  if (!m) co_return std::move(*failed);
  json::object o;
  for (const auto& [k, vs] : go_headers(m->stored)) {
    json::array a;
    for (const auto& v : vs) a.emplace_back(v);
    o[k] = a;
  }
  co_return answer_json(c, o);
}

Handled get_raw(Call& c) {
  std::optional<Response> failed;
  auto m = load(c, failed);
  if (!m) co_return std::move(*failed);
  auto res = make_response(status::ok, std::move(m->stored), "text/plain; charset=utf-8", c.version());
  if (c.query.text("dl") == "1")
    res.set(field::content_disposition, "attachment; filename=\"" + mailpit_id(m->listed->id) + ".eml\"");
  co_return res;
}

namespace {
// A non-body part by its id (Mailpit serves inline, other and attachment parts).
std::optional<mime::Attachment> part_of(std::string_view stored, const std::string& part_id) {
  for (auto& a : mime::parse_message(stored).attachments)
    if (a.part_id == part_id) return a;
  return std::nullopt;
}
}  // namespace

Handled get_part(Call& c) {
  std::optional<Response> failed;
  auto m = load(c, failed);
  if (!m) co_return std::move(*failed);
  auto a = part_of(m->stored, c.params[1]);
  auto bytes = a ? mime::part_content(m->stored, a->part_id) : std::nullopt;
  if (!a || !bytes) co_return not_found(c);
  std::string name = a->name.empty() ? a->content_id : a->name;
  std::string type = a->type, disposition = "inline";
  // Types a browser would run are sent as downloads (Mailpit's list).
  for (const char* active : {"text/html", "text/xml", "application/xhtml+xml", "image/svg+xml", "application/xml", "text/xsl"})
    if (type == active) {
      type = "application/octet-stream";
      disposition = "attachment";
    }
  auto res = make_response(status::ok, std::move(bytes->bytes), type, c.version());
  res.set(field::content_disposition, disposition + "; filename=\"" + path_escape(name) + "\"");
  co_return res;
}

Handled get_thumb(Call& c) {
  std::optional<Response> failed;
  auto id = resolve(c, c.params[0], failed);
  if (!id) co_return std::move(*failed);
  auto l = c.ctx.mail.listed(*id);
  auto raw = l ? c.ctx.mail.content(*id) : std::nullopt;
  auto d = l ? c.ctx.indexer.ensure(*id) : nullptr;
  auto stored = raw && d ? stored_form(*l->message, *raw, *d) : std::string();
  auto a = raw ? part_of(stored, c.params[1]) : std::nullopt;
  auto bytes = a ? mime::part_content(stored, a->part_id) : std::nullopt;
  if (!a || !bytes) co_return text_error(c, "attachment not found");
  std::string name = a->name.empty() ? a->content_id : a->name;
  // Decoding runs off the HTTP thread: an image is the sender's to choose.
  auto job = [type = a->type, data = std::move(bytes->bytes)] {
    return thumbnail_jpeg(type, data, 180, 120);
  };
  auto jpeg = co_await offload(c.ctx.workers, std::move(job));
  auto res = make_response(status::ok, std::move(jpeg), "image/jpeg", c.version());
  res.set(field::content_disposition, "filename=\"" + name + "\"");
  co_return res;
}

namespace {
// The /view pages answer a missing message in words of their own.
Response view_missing(Call& c, const std::string& text) {
  return make_response(status::not_found, text, "text/plain; charset=utf-8", c.version());
}
}  // namespace

Handled view_html(Call& c) {
  std::optional<Response> failed;
  auto m = load(c, failed);
  if (!m) co_return view_missing(c, "Message not found");
  auto parts = mime::parse_message(m->stored);
  if (!parts.has_html) co_return view_missing(c, "This message does not contain a HTML part");
  std::string html = parts.html;
  // Inline images point at the API, as Mailpit rewrites them.
  auto mpid = mailpit_id(m->listed->id);
  for (const auto& a : mailpit_parts(parts).inlines) {
    if (a.content_id.empty()) continue;
    const std::string from = "cid:" + a.content_id, to = "/api/v1/message/" + mpid + "/part/" + a.part_id;
    for (std::size_t p = 0; (p = html.find(from, p)) != std::string::npos; p += to.size()) html.replace(p, from.size(), to);
  }
  if (c.query.text("embed") == "1") {
    // Links open outside the frame; the page is sandboxed here as a whole
    // (Mailpit posts the height to its parent with a script: relaymock adds
    // no script to a captured page).
    html = "<base target=\"_blank\">" + html;
  }
  auto res = make_response(status::ok, std::move(html), "text/html; charset=utf-8", c.version());
  // The captured page runs no script and loads nothing from elsewhere.
  res.set(kContentSecurityPolicy,
          "default-src 'none'; img-src 'self' data: cid:; style-src 'unsafe-inline'; font-src data:; "
          "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox allow-popups "
          "allow-popups-to-escape-sandbox");
  res.set(field::x_frame_options, "SAMEORIGIN");
  co_return res;
}

Handled view_text(Call& c) {
  std::optional<Response> failed;
  auto m = load(c, failed);
  if (!m) co_return view_missing(c, "Message not found");
  auto parts = mime::parse_message(m->stored);
  std::string text = parts.has_text ? parts.text : parts.has_html ? mime::html_to_text(parts.html) : std::string();
  co_return make_response(status::ok, std::move(text), "text/plain; charset=utf-8", c.version());
}

}  // namespace relaymock::http::mailpit
