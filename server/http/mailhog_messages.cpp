// MailHog's message endpoints: API v1 (/api/v1/messages: all, one, delete,
// download, a MIME part) and API v2 (/api/v2/messages and /api/v2/search
// with start and limit), in MailHog's shapes and status codes.
#include <boost/json.hpp>
#include <charconv>

#include "http/mailhog.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"

namespace relaymock::http::mailhog {

namespace json = boost::json;
using beast_http::field;

namespace {

const std::string& hostname(Call& c) { return c.ctx.engine.config()->compat.mailhog.hostname; }

struct Loaded {
  store::Listed listed;
  Built built;
};

std::optional<Loaded> load_id(Call& c, const std::string& real) {
  auto l = c.ctx.mail.listed(real);
  auto raw = l ? c.ctx.mail.content(real) : std::nullopt;
  if (!l || !raw) return std::nullopt;
  auto b = build(*l->message, *raw, hostname(c));
  return Loaded{std::move(*l), std::move(b)};
}

std::optional<Loaded> load(Call& c) {
  auto real = resolve(c, c.params[0]);
  return real ? load_id(c, *real) : std::nullopt;
}

// getStartLimit: positive whole numbers; limit at most 250.
std::pair<std::size_t, std::size_t> start_limit(Call& c) {
  std::size_t start = 0, limit = 50;
  auto number = [](const std::string& s, std::size_t& out, std::size_t cap) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size() && v > 0) out = std::min<std::size_t>(static_cast<std::size_t>(v), cap);
  };
  number(c.query.text("start"), start, SIZE_MAX);
  number(c.query.text("limit"), limit, 250);
  return {start, limit};
}

json::array items(Call& c, const std::vector<std::string>& ids) {
  json::array a;
  for (const auto& id : ids)
    if (auto m = load_id(c, id)) a.push_back(message_json(*m->listed.message, m->built));
  return a;
}

Response page(Call& c, std::size_t total, std::size_t start, const std::vector<std::string>& ids) {
  auto list = items(c, ids);
  json::object o;
  o["total"] = total;
  o["count"] = list.size();
  o["start"] = start;
  o["items"] = std::move(list);
  return json_answer(c, o);
}

std::vector<std::string> newest_ids(Call& c, std::size_t start, std::size_t limit) {
  std::vector<std::string> ids;
  for (const auto& l : c.ctx.mail.select([](const store::MessageView&) { return true; }, start, limit).items)
    ids.push_back(l->id);
  return ids;
}

bool contains_lower(std::string_view hay, const std::string& lowered_needle) {
  return ascii_lower(hay).find(lowered_needle) != std::string::npos;
}

}  // namespace

Handled v1_messages(Call& c) {
  // MailHog lists at most 1000 here (its "TODO start, limit").
  co_return json_answer(c, items(c, newest_ids(c, 0, 1000)), "text/json");
}

Handled v1_delete_all(Call& c) {
  c.ctx.service.clear_messages();
  co_return empty(c, status::ok);
}

Handled v1_message(Call& c) {
  auto m = load(c);
  // MailHog answers a missing id with JSON null.
  if (!m) co_return make_response(status::ok, "null", "text/json", c.version());
  co_return json_answer(c, message_json(*m->listed.message, m->built), "text/json");
}

Handled v1_delete_one(Call& c) {
  auto real = resolve(c, c.params[0]);
  if (!real || !c.ctx.service.remove_message(*real)) co_return empty(c, status::internal_server_error);
  co_return empty(c, status::ok);
}

Handled v1_download(Call& c) {
  auto m = load(c);
  if (!m) co_return make_response(status::not_found, "404 page not found\n", "text/plain; charset=utf-8", c.version());
  auto res = make_response(status::ok, serialized(m->built), "message/rfc822", c.version());
  res.set(field::content_disposition, "attachment; filename=\"" + m->built.id + ".eml\"");
  co_return res;
}

Handled v1_download_part(Call& c) {
  auto m = load(c);
  long long n = -1;
  const auto& part = c.params[1];
  auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
  const bool number = ec == std::errc() && p == part.data() + part.size() && n >= 0;
  if (!m || !number || static_cast<std::size_t>(n) >= m->built.content.parts.size())
    co_return make_response(status::not_found, "404 page not found\n", "text/plain; charset=utf-8", c.version());
  const auto& pc = m->built.content.parts[static_cast<std::size_t>(n)];
  std::string body = pc.body;
  Response res = make_response(status::ok, "", "", c.version());
  res.erase(field::content_type);
  std::string encoding;
  for (const auto& [k, vs] : pc.headers)
    for (const auto& v : vs) {
      if (v.find_first_of("\r\n") != std::string::npos) continue;  // a header value cannot hold a line end
      if (iequals(k, "content-disposition")) {
        res.set(k, v);
        continue;
      }
      if (iequals(k, "content-transfer-encoding") && encoding.empty()) encoding = v;
      res.insert(k, v);
    }
  res.set(field::content_disposition, "attachment; filename=\"" + m->built.id + "-part-" + part + "\"");
  if (iequals(encoding, "base64")) {
    std::string compact;
    for (char ch : body)
      if (ch != '\r' && ch != '\n') compact += ch;
    if (auto d = base64_decode(compact)) body = std::move(*d);
  }
  res.body() = std::move(body);
  res.prepare_payload();
  co_return res;
}

Handled v2_messages(Call& c) {
  auto [start, limit] = start_limit(c);
  co_return page(c, c.ctx.mail.size(), start, newest_ids(c, start, limit));
}

Handled v2_search(Call& c) {
  auto [start, limit] = start_limit(c);
  const auto kind = c.query.text("kind");
  if (kind != "from" && kind != "to" && kind != "containing") co_return empty(c, status::bad_request, "");
  const auto query = ascii_lower(c.query.text("query"));
  if (query.empty()) co_return empty(c, status::bad_request, "");
  // MailHog's in-memory search: each message as it would have stored it.
  std::vector<std::string> matching;  // newest first
  for (const auto& id : c.ctx.mail.select_ids([](const store::MessageView&) { return true; })) {
    auto m = load_id(c, id);
    if (!m) continue;
    const auto& msg = *m->listed.message;
    const auto& h = m->built.content.headers;
    bool hit = false;
    auto header_has = [&](const char* name) {
      auto it = h.find(name);
      if (it == h.end()) return false;
      for (const auto& v : it->second)
        if (contains_lower(v, query)) return true;
      return false;
    };
    if (kind == "to") {
      for (const auto& r : msg.envelope_to) hit = hit || contains_lower(r, query);
      hit = hit || header_has("To");
    } else if (kind == "from") {
      hit = contains_lower(msg.envelope_from, query) || header_has("From");
    } else {
      hit = contains_lower(m->built.content.body, query);
      for (const auto& [k, vs] : h)
        for (const auto& v : vs) hit = hit || contains_lower(v, query);
    }
    if (hit) matching.push_back(id);
  }
  std::vector<std::string> window;
  for (std::size_t i = start; i < matching.size() && window.size() < limit; ++i) window.push_back(matching[i]);
  co_return page(c, matching.empty() || start > matching.size() ? 0 : matching.size(), start, window);
}

}  // namespace relaymock::http::mailhog
