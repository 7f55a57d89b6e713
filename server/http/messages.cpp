// /api/v1/messages: the captured mail, listed (with a long-poll), read,
// downloaded raw and deleted.
#include <boost/json.hpp>

#include "http/resources.hpp"
#include "mime/mime.hpp"
#include "store/codec.hpp"
#include "util/dates.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;

namespace {

json::value or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(json::string(s)); }

json::object message_detail(const store::Message& m, const std::string& content) {
  auto o = store::message_summary(m);
  auto parts = mime::parse_message(content);
  json::array headers;
  for (const auto& [n, v] : parts.headers) headers.push_back(json::array{json::string(n), json::string(v)});
  o["headers"] = headers;
  o["text"] = parts.has_text ? json::value(json::string(parts.text)) : json::value(nullptr);
  o["html"] = parts.has_html ? json::value(json::string(parts.html)) : json::value(nullptr);
  json::array atts;
  for (const auto& a : parts.attachments) atts.push_back(json::object{{"name", a.name}, {"type", a.type}, {"size", a.size}});
  o["attachments"] = atts;
  o["session_id"] = m.session_id;
  o["helo"] = m.helo;
  o["mail_parameters"] = json::object{{"body", or_null(m.body_param)},
                                      {"smtputf8", m.smtputf8},
                                      {"ret", or_null(m.ret_param)},
                                      {"envid", or_null(m.envid_param)}};
  json::array rcpts;
  for (std::size_t i = 0; i < m.envelope_to.size(); ++i) {
    rcpts.push_back(json::object{{"address", m.envelope_to[i]},
                                 {"notify", or_null(i < m.notify.size() ? m.notify[i] : std::string())},
                                 {"orcpt", or_null(i < m.orcpt.size() ? m.orcpt[i] : std::string())}});
  }
  o["recipient_parameters"] = rcpts;
  return o;
}

// The stored message and its content; a response when there is none.
struct Found {
  std::shared_ptr<const store::Message> message;
  std::string content;
};
std::optional<Found> find(Call& c, std::optional<Response>& failed) {
  const auto& id = c.params[0];
  auto m = c.ctx.mail.find(id);
  std::optional<std::string> content;
  try {
    if (m) content = c.ctx.mail.content(id);
  } catch (const std::exception& e) {
    failed = c.error(status::internal_server_error, std::string("the message could not be read: ") + e.what());
    return std::nullopt;
  }
  if (!m || !content) {
    failed = c.error(status::not_found, "no message with id '" + id + "'");
    return std::nullopt;
  }
  return Found{std::move(m), std::move(*content)};
}

}  // namespace

Handled list_messages(Call& c) {
  auto& q = c.query;
  store::MessageFilter f;
  f.from = q.text("from");
  f.to = q.text("to");
  f.subject = q.text("subject");
  f.user = q.text("user");
  if (q.has("since")) {
    f.since = parse_rfc3339(q.text("since"));
    if (!f.since) co_return c.error(status::bad_request, "since must be an RFC 3339 time such as 2026-11-27T18:00:00Z");
  }
  std::uint64_t limit = 50, offset = 0, min = 1;
  std::chrono::milliseconds wait{0};
  if (!q.number("limit", limit, 1, kMaxLimit) || !q.number("offset", offset, 0, 10'000'000) ||
      !q.number("min", min, 1, 10'000'000) || !q.wait(wait))
    co_return c.error(status::bad_request, q.problem);
  store::MailStore::Page page;
  // Long-poll: woken only by what changes the answer; a new message is
  // checked alone (one filter test, not a scan of the store).
  using Kind = relay::Outcome::Kind;
  std::vector<Kind> recount_on{Kind::MessageDeleted, Kind::MessagesCleared};  // (g++ 12: no braced list in co_await)
  co_await relay::wait_for_matches(
      c.ctx.service.bus(), wait, Kind::MessageCaptured, std::move(recount_on), min,
      [&] {
        page = c.ctx.mail.query(f, offset, limit);
        return page.total;
      },
      [&](const relay::Outcome& o) {
        auto m = c.ctx.mail.find(o.message_id);
        return m && f.matches(*m);
      });
  json::array items;
  for (const auto& m : page.items) items.push_back(store::message_summary(*m));
  co_return c.json(status::ok, json::object{{"total", page.total}, {"messages", items}});
}

// No body: everything. {"ids": [...]}: those only (an unknown id is
// reported, the others still go). Anything else is refused whole.
Handled delete_messages(Call& c) {
  std::string problem;
  auto body = body_object(c.req, {"ids"}, true, problem);
  if (!body)
    co_return c.error(status::bad_request,
                      problem + " (send {\"ids\": [\"<id>\", ...]}, or no body to delete every message)");
  if (body->empty()) co_return c.json(status::ok, json::object{{"deleted", c.ctx.service.clear_messages()}});
  const auto& ids = (*body)["ids"];
  if (!ids.is_array() || ids.as_array().empty())
    co_return c.error(status::bad_request, "ids must be a non-empty list of message ids");
  for (const auto& x : ids.as_array())
    if (!x.is_string()) co_return c.error(status::bad_request, "ids must hold message ids (strings)");
  std::size_t deleted = 0;
  json::array unknown;
  for (const auto& x : ids.as_array()) {
    std::string id(x.as_string());
    if (c.ctx.service.remove_message(id)) ++deleted;
    else unknown.emplace_back(id);
  }
  co_return c.json(status::ok, json::object{{"deleted", deleted}, {"unknown", unknown}});
}

Handled get_message(Call& c) {
  std::optional<Response> failed;
  auto found = find(c, failed);
  if (!found) co_return std::move(*failed);
  co_return c.json(status::ok, message_detail(*found->message, found->content));
}

Handled get_message_raw(Call& c) {
  std::optional<Response> failed;
  auto found = find(c, failed);
  if (!found) co_return std::move(*failed);
  co_return make_response(status::ok, std::move(found->content), "message/rfc822", c.version());
}

Handled delete_message(Call& c) {
  if (!c.ctx.service.remove_message(c.params[0]))
    co_return c.error(status::not_found, "no message with id '" + c.params[0] + "'");
  co_return c.json(status::ok, json::object{{"deleted", 1}});
}

}  // namespace relaymock::http::resource
