// MailHog's message shape (mailhog/data message.go), built from a captured
// message: read as MailHog reads what its SMTP server stored, quirks kept
// (a header name's last line wins; a multipart body split at "--boundary",
// the closing "--" left as a last part), since clients written against
// MailHog rely on what they saw.
#include <boost/json.hpp>

#include "http/compat_ids.hpp"
#include "http/go_json.hpp"
#include "http/mailhog_message.hpp"
#include "util/dates.hpp"
#include "util/strings.hpp"

namespace relaymock::http::mailhog {

namespace json = boost::json;

namespace {

// A client chooses how deep its multiparts nest; past this, parts are left whole.
constexpr int kMaxDepth = 32;

// mime.ParseMediaType's boundary parameter, or "".
std::string boundary_of(std::string_view type) {
  auto semi = type.find(';');
  while (semi != std::string_view::npos) {
    auto rest = type.substr(semi + 1);
    auto eq = rest.find('=');
    if (eq == std::string_view::npos) return {};
    auto name = trim(rest.substr(0, eq));
    auto value = rest.substr(eq + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    std::string v;
    std::size_t used = 0;
    if (!value.empty() && value.front() == '"') {
      std::size_t i = 1;
      for (; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        v += value[i];
      }
      used = std::min(i + 1, value.size());
    } else {
      used = value.find(';');
      if (used == std::string_view::npos) used = value.size();
      v = std::string(trim(value.substr(0, used)));
    }
    if (iequals(name, "boundary")) return v;
    auto next = value.substr(used).find(';');
    semi = next == std::string_view::npos ? std::string_view::npos
                                          : static_cast<std::size_t>(value.data() + used + next - type.data());
  }
  return {};
}

std::string_view trim_crlf(std::string_view s) {
  while (!s.empty() && (s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

bool is_mime(const Content& c) {
  auto it = c.headers.find("Content-Type");
  return it != c.headers.end() && !it->second.empty() && it->second[0].rfind("multipart/", 0) == 0;
}

void parse_mime(Content& c, int depth) {
  c.multipart = true;
  auto b = boundary_of(c.headers["Content-Type"][0]);
  if (b.empty()) return;
  const std::string sep = "--" + b;
  std::string_view body = c.body;
  std::size_t pos = 0;
  while (true) {
    auto next = body.find(sep, pos);
    auto piece = body.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
    if (!piece.empty()) c.parts.push_back(content_from_string(trim_crlf(piece), depth + 1));
    if (next == std::string_view::npos) break;
    pos = next + sep.size();
  }
}

json::value path_json(std::string_view path) {
  json::value relays = nullptr;
  std::string_view email = path;
  if (auto colon = path.find(':'); colon != std::string_view::npos) {
    json::array r;
    std::string_view list = path.substr(0, colon);
    std::size_t p = 0;
    while (true) {
      auto comma = list.find(',', p);
      r.emplace_back(list.substr(p, comma == std::string_view::npos ? std::string_view::npos : comma - p));
      if (comma == std::string_view::npos) break;
      p = comma + 1;
    }
    relays = std::move(r);
    email = path.substr(colon + 1);
  }
  std::string_view mailbox = email, domain;
  if (auto at = email.find('@'); at != std::string_view::npos) {
    mailbox = email.substr(0, at);
    domain = email.substr(at + 1);
  }
  return json::object{{"Relays", relays}, {"Mailbox", mailbox}, {"Domain", domain}, {"Params", ""}};
}

json::value content_json(const Content& c, bool top);

// MIMEBody: {"Parts": [...]}, Parts null when none were found (no boundary).
json::value parts_json(const Content& c) {
  if (c.parts.empty()) return json::object{{"Parts", nullptr}};
  json::array parts;
  for (const auto& p : c.parts) parts.push_back(content_json(p, false));
  return json::object{{"Parts", std::move(parts)}};
}

json::value content_json(const Content& c, bool top) {
  json::object headers;
  for (const auto& [k, v] : c.headers) {
    json::array a;
    for (const auto& x : v) a.emplace_back(x);
    headers[k] = std::move(a);
  }
  json::value mime = nullptr;
  // The top level's parts are Message.MIME, not Content.MIME (MailHog's own split).
  if (!top && c.multipart) mime = parts_json(c);
  return json::object{{"Headers", std::move(headers)}, {"Body", c.body}, {"Size", c.size}, {"MIME", std::move(mime)}};
}

}  // namespace

Content content_from_string(std::string_view data, int depth) {
  Content c;
  c.size = data.size();
  auto split = data.find("\r\n\r\n");
  if (split == std::string_view::npos) {
    c.body = std::string(data);
    return c;
  }
  std::string_view head = data.substr(0, split);
  c.body = std::string(data.substr(split + 4));
  std::string last;
  std::size_t pos = 0;
  while (pos <= head.size()) {
    auto nl = head.find("\r\n", pos);
    auto line = head.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? head.size() + 1 : nl + 2;
    if (!last.empty() && !line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      c.headers[last].back() += line;
    } else if (auto sep = line.find(": "); sep != std::string_view::npos) {
      last = std::string(line.substr(0, sep));
      c.headers[last] = {std::string(line.substr(sep + 2))};
    }
  }
  if (is_mime(c) && depth < kMaxDepth) parse_mime(c, depth);
  return c;
}

Built build(const store::Message& m, std::string_view raw, const std::string& hostname) {
  Built b;
  b.id = mailhog_id(m.id, hostname);
  // MailHog's DATA ends at "\r\n.\r\n" and keeps what came before that CRLF.
  std::string_view data = raw;
  if (data.size() >= 2 && data.substr(data.size() - 2) == "\r\n") data.remove_suffix(2);
  b.data = std::string(data);
  b.content = content_from_string(data);
  auto& h = b.content.headers;
  std::string message_id, received, return_path;
  for (const auto& [k, v] : h) {
    if (iequals(k, "message-id")) message_id = k;
    else if (iequals(k, "received")) received = k;
    else if (iequals(k, "return-path")) return_path = k;
  }
  if (message_id.empty()) h["Message-ID"] = {b.id};
  const std::string line = "from " + m.helo + " by " + hostname + " (MailHog)\r\n          id " + b.id + "; " +
                           rfc5322_date(m.received_at);
  if (received.empty()) h["Received"] = {line};
  else h[received].push_back(line);
  if (return_path.empty()) h["Return-Path"] = {"<" + m.envelope_from + ">"};
  else h[return_path].push_back("<" + m.envelope_from + ">");
  return b;
}

json::object message_json(const store::Message& m, const Built& b) {
  json::array to, raw_to;
  for (const auto& r : m.envelope_to) {
    to.push_back(path_json(r));
    raw_to.emplace_back(r);
  }
  json::value mime = nullptr;
  if (b.content.multipart) mime = parts_json(b.content);
  json::object o;
  o["ID"] = b.id;
  o["From"] = path_json(m.envelope_from);
  o["To"] = std::move(to);
  o["Content"] = content_json(b.content, true);
  o["Created"] = go_time(m.received_at);
  o["MIME"] = std::move(mime);
  o["Raw"] = json::object{{"From", m.envelope_from}, {"To", std::move(raw_to)}, {"Data", b.data}, {"Helo", m.helo}};
  return o;
}

std::string serialized(const Built& b) {
  std::string out;
  for (const auto& [k, vs] : b.content.headers)
    for (const auto& v : vs) out += k + ": " + v + "\r\n";
  out += "\r\n";
  out += b.content.body;
  return out;
}

}  // namespace relaymock::http::mailhog
