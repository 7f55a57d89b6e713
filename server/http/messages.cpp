// /api/v1/messages: the captured mail, listed and searched (with a
// long-poll), read, marked, tagged, downloaded (raw, a part, the HTML as the
// UI frames it) and deleted.
#include <boost/json.hpp>

#include "http/message_json.hpp"
#include "http/resources.hpp"
#include "mime/mime.hpp"
#include "relay/search.hpp"
#include "relay/tags.hpp"
#include "store/codec.hpp"
#include "util/dates.hpp"
#include "util/timezone.hpp"

namespace relaymock::http::resource {

namespace json = boost::json;
using beast_http::field;

namespace {

// The stored message and its content; a response when there is none.
struct Found {
  store::Listed listed;
  std::string content;
};
std::optional<Found> find(Call& c, std::optional<Response>& failed) {
  const auto& id = c.params[0];
  auto l = c.ctx.mail.listed(id);
  std::optional<std::string> content;
  try {
    if (l) content = c.ctx.mail.content(id);
  } catch (const std::exception& e) {
    failed = c.error(status::internal_server_error, std::string("the message could not be read: ") + e.what());
    return std::nullopt;
  }
  if (!l || !content) {
    failed = c.error(status::not_found, "no message with id '" + id + "'");
    return std::nullopt;
  }
  return Found{std::move(*l), std::move(*content)};
}

// What ?q= (the search grammar) and the older filters ask for, as one test.
struct Wanted {
  store::MessageFilter filter;
  std::optional<relay::Search> search;
  bool matches(const store::MessageView& v) const {
    return filter.matches(v.message) && (!search || search->matches(v));
  }
};

std::optional<Wanted> wanted(Call& c, std::string& problem) {
  auto& q = c.query;
  Wanted w;
  w.filter.from = q.text("from");
  w.filter.to = q.text("to");
  w.filter.subject = q.text("subject");
  w.filter.user = q.text("user");
  if (q.has("since")) {
    w.filter.since = parse_rfc3339(q.text("since"));
    if (!w.filter.since) {
      problem = "since must be an RFC 3339 time such as 2026-11-27T18:00:00Z";
      return std::nullopt;
    }
  }
  auto tz = q.text("tz");
  if (!tz.empty() && !known_time_zone(tz)) {
    problem = "tz must name a time zone such as Europe/Berlin (IANA)";
    return std::nullopt;
  }
  if (q.has("q")) {
    if (q.text("q").size() > 4096) {
      problem = "q is over 4096 bytes";
      return std::nullopt;
    }
    w.search.emplace(q.text("q"), tz);
  }
  return w;
}

std::vector<std::string> string_list(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& x : v.as_array()) out.emplace_back(x.as_string());
  return out;
}

bool all_strings(const json::value& v, std::size_t max = 100'000) {
  if (!v.is_array() || v.as_array().size() > max) return false;
  for (const auto& x : v.as_array())
    if (!x.is_string()) return false;
  return true;
}

}  // namespace

Handled list_messages(Call& c) {
  auto& q = c.query;
  std::string problem;
  auto w = wanted(c, problem);
  if (!w) co_return c.error(status::bad_request, problem);
  std::uint64_t limit = 50, offset = 0, min = 1;
  std::chrono::milliseconds wait{0};
  if (!q.number("limit", limit, 1, kMaxLimit) || !q.number("offset", offset, 0, 10'000'000) ||
      !q.number("min", min, 1, 10'000'000) || !q.wait(wait))
    co_return c.error(status::bad_request, q.problem);
  const bool derived = w->search && w->search->needs_derived();
  const auto& deriver = c.ctx.indexer.deriver();
  auto pred = [&w](const store::MessageView& v) { return w->matches(v); };
  store::MailStore::Page page;
  // Long-poll: woken only by what changes the answer; a new message is
  // checked alone (one filter test, not a scan of the store).
  using Kind = relay::Outcome::Kind;
  std::vector<Kind> recount_on{Kind::MessageDeleted, Kind::MessagesCleared, Kind::MessageUpdated,
                               Kind::MessagesUpdated};  // (g++ 12: no braced list in co_await)
  co_await relay::wait_for_matches(
      c.ctx.service.bus(), wait, Kind::MessageCaptured, std::move(recount_on), min,
      [&] {
        page = c.ctx.mail.select(pred, offset, limit, derived ? &deriver : nullptr);
        return page.total;
      },
      [&](const relay::Outcome& o) {
        auto l = c.ctx.mail.listed(o.message_id);
        if (!l) return false;
        auto d = derived ? c.ctx.indexer.ensure(o.message_id) : nullptr;
        return w->matches(store::MessageView{*l->message, l->read, *l->tags, d.get()});
      });
  json::array items;
  for (const auto& l : page.items) {
    auto d = l.derived ? l.derived : c.ctx.indexer.ensure(l->id);
    items.push_back(summary_json(l, d.get()));
  }
  co_return c.json(status::ok, json::object{{"total", page.total}, {"unread", page.unread}, {"messages", items}});
}

// No body: everything. {"ids": [...]}: those only (an unknown id is
// reported, the others still go). {"q": "..."}: what the search finds.
Handled delete_messages(Call& c) {
  std::string problem;
  auto body = body_object(c.req, {"ids", "q", "tz"}, true, problem);
  if (!body)
    co_return c.error(status::bad_request,
                      problem + " (send {\"ids\": [\"<id>\", ...]} or {\"q\": \"<search>\"}, or no body to delete every message)");
  if (body->empty()) co_return c.json(status::ok, json::object{{"deleted", c.ctx.service.clear_messages()}});
  std::vector<std::string> ids;
  if (auto* qv = body->if_contains("q")) {
    if (!qv->is_string()) co_return c.error(status::bad_request, "q must be a search (a string)");
    std::string tz;
    if (auto* t = body->if_contains("tz"); t && t->is_string()) tz = std::string(t->as_string());
    relay::Search s(std::string(qv->as_string()), tz);
    const auto& deriver = c.ctx.indexer.deriver();
    ids = c.ctx.mail.select_ids(s.predicate(), s.needs_derived() ? &deriver : nullptr);
  } else {
    const auto& v = (*body)["ids"];
    if (!v.is_array() || v.as_array().empty())
      co_return c.error(status::bad_request, "ids must be a non-empty list of message ids");
    if (!all_strings(v)) co_return c.error(status::bad_request, "ids must hold message ids (strings)");
    ids = string_list(v);
  }
  std::size_t deleted = 0;
  json::array unknown;
  for (const auto& id : ids) {
    if (c.ctx.service.remove_message(id)) ++deleted;
    else unknown.emplace_back(id);
  }
  co_return c.json(status::ok, json::object{{"deleted", deleted}, {"unknown", unknown}});
}

// {"read": true|false} with "ids", or "q" (a search), or neither (all).
Handled mark_messages(Call& c) {
  std::string problem;
  auto body = body_object(c.req, {"ids", "q", "tz", "read"}, false, problem);
  if (!body) co_return c.error(status::bad_request, problem);
  auto* read = body->if_contains("read");
  if (!read || !read->is_bool()) co_return c.error(status::bad_request, "read must be true or false");
  std::vector<std::string> changed;
  if (auto* ids = body->if_contains("ids")) {
    if (!all_strings(*ids)) co_return c.error(status::bad_request, "ids must be a list of message ids");
    changed = c.ctx.service.mark_read(string_list(*ids), read->as_bool());
  } else if (auto* qv = body->if_contains("q")) {
    if (!qv->is_string()) co_return c.error(status::bad_request, "q must be a search (a string)");
    std::string tz;
    if (auto* t = body->if_contains("tz"); t && t->is_string()) tz = std::string(t->as_string());
    relay::Search s(std::string(qv->as_string()), tz);
    const auto& deriver = c.ctx.indexer.deriver();
    changed = c.ctx.service.mark_read(c.ctx.mail.select_ids(s.predicate(), s.needs_derived() ? &deriver : nullptr),
                                      read->as_bool());
  } else {
    changed = c.ctx.service.mark_all_read(read->as_bool());
  }
  co_return c.json(status::ok, json::object{{"changed", changed.size()}, {"unread", c.ctx.mail.unread()}});
}

Handled get_message(Call& c) {
  std::optional<Response> failed;
  auto found = find(c, failed);
  if (!found) co_return std::move(*failed);
  auto d = c.ctx.indexer.ensure(c.params[0]);
  co_return c.json(status::ok, detail_json(found->listed, d.get(), mime::parse_message(found->content)));
}

Handled get_message_raw(Call& c) {
  std::optional<Response> failed;
  auto found = find(c, failed);
  if (!found) co_return std::move(*failed);
  auto res = make_response(status::ok, std::move(found->content), "message/rfc822", c.version());
  if (c.query.text("download") == "1")
    res.set(field::content_disposition, "attachment; filename=\"" + c.params[0] + ".eml\"");
  res.set(kContentTypeOptions, "nosniff");
  co_return res;
}

Handled delete_message(Call& c) {
  if (!c.ctx.service.remove_message(c.params[0]))
    co_return c.error(status::not_found, "no message with id '" + c.params[0] + "'");
  co_return c.json(status::ok, json::object{{"deleted", 1}});
}

Handled set_message_tags(Call& c) {
  std::string problem;
  auto body = body_object(c.req, {"tags"}, false, problem);
  if (!body) co_return c.error(status::bad_request, problem);
  auto* tags = body->if_contains("tags");
  if (!tags || !all_strings(*tags, 100)) co_return c.error(status::bad_request, "tags must be a list of up to 100 strings");
  if (!c.ctx.service.set_tags(c.params[0], string_list(*tags)))
    co_return c.error(status::not_found, "no message with id '" + c.params[0] + "'");
  auto l = c.ctx.mail.listed(c.params[0]);
  co_return c.json(status::ok, json::object{{"id", c.params[0]}, {"tags", store::json_strings(l ? *l->tags : store::Tags{})}});
}

Handled list_tags(Call& c) { co_return c.json(status::ok, json::object{{"tags", store::json_strings(c.ctx.mail.all_tags())}}); }

// A part's bytes, always as a download (never rendered in this origin).
Handled get_message_part(Call& c) {
  std::optional<Response> failed;
  auto found = find(c, failed);
  if (!found) co_return std::move(*failed);
  auto part = mime::part_content(found->content, c.params[1]);
  if (!part) co_return c.error(status::not_found, "message '" + c.params[0] + "' has no part '" + c.params[1] + "'");
  auto type = part->type.empty() ? std::string("application/octet-stream") : part->type;
  auto res = make_response(status::ok, std::move(part->bytes), type, c.version());
  std::string name = part->name.empty() ? c.params[0] + "-" + c.params[1] : part->name;
  res.set(field::content_disposition, content_disposition("attachment", name));
  res.set(kContentTypeOptions, "nosniff");
  res.set(kContentSecurityPolicy, "default-src 'none'; sandbox");
  co_return res;
}

}  // namespace relaymock::http::resource
