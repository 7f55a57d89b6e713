// Mailpit's /api/v1/messages and /api/v1/search (server/apiv1/messages.go):
// list, search, read marks and deletion, in Mailpit's shapes.
#include <boost/json.hpp>
#include <charconv>

#include "http/compat_ids.hpp"
#include "http/mailpit.hpp"
#include "http/mailpit_body.hpp"
#include "relay/search.hpp"
#include "store/codec.hpp"
#include "util/strings.hpp"
#include "util/timezone.hpp"

namespace relaymock::http::mailpit {

namespace json = boost::json;

namespace {

// getStartLimit: start and limit as positive whole numbers (else 0 and
// 50); before: a date, messages received before it only.
struct StartLimit {
  std::size_t start = 0, limit = 50;
  std::optional<TimePoint> before;
};
StartLimit start_limit(Call& c) {
  StartLimit sl;
  auto number = [](const std::string& s, std::size_t& out) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size() && v > 0) out = static_cast<std::size_t>(v);
  };
  number(c.query.text("start"), sl.start);
  number(c.query.text("limit"), sl.limit);
  if (c.query.has("before")) sl.before = parse_user_date(c.query.text("before"), c.query.text("tz"));
  return sl;
}

// The page in Mailpit's MessagesSummary shape.
Response page_json(Call& c, const store::MailStore::Page& page, const StartLimit& sl, bool search) {
  json::array items;
  for (const auto& l : page.items) {
    auto d = l.derived ? l.derived : c.ctx.indexer.ensure(l->id);
    if (d) items.push_back(summary_json(l, *d));
  }
  const std::uint64_t total = static_cast<std::uint64_t>(c.ctx.mail.size());
  const std::uint64_t unread = static_cast<std::uint64_t>(c.ctx.mail.unread());
  json::array tags;
  for (const auto& t : c.ctx.mail.all_tags()) tags.emplace_back(t);
  json::object o;
  o["total"] = total;
  o["unread"] = unread;
  o["count"] = static_cast<std::uint64_t>(items.size());
  o["messages_count"] = search ? static_cast<std::uint64_t>(page.total) : total;
  o["messages_unread"] = search ? static_cast<std::uint64_t>(page.unread) : unread;
  o["start"] = sl.start;
  o["tags"] = tags;
  o["messages"] = items;
  return answer_json(c, o);
}

store::MailStore::Predicate before_only(const StartLimit& sl) {
  auto before = sl.before;
  return [before](const store::MessageView& v) { return !before || v.message.received_at < *before; };
}

}  // namespace

Handled list_messages(Call& c) {
  auto sl = start_limit(c);
  auto page = c.ctx.mail.select(before_only(sl), sl.start, sl.limit);
  co_return page_json(c, page, sl, false);
}

Handled search(Call& c) {
  auto q = std::string(trim(c.query.text("query")));
  if (q.empty()) co_return text_error(c, "Error: no search query");
  auto sl = start_limit(c);
  relay::Search s(q, c.query.text("tz"));
  auto before = before_only(sl);
  auto pred = [&s, &before](const store::MessageView& v) { return before(v) && s.matches(v); };
  const auto& deriver = c.ctx.indexer.deriver();
  auto page = c.ctx.mail.select(pred, sl.start, sl.limit, s.needs_derived() ? &deriver : nullptr);
  co_return page_json(c, page, sl, true);
}

Handled delete_search(Call& c) {
  auto q = std::string(trim(c.query.text("query")));
  if (q.empty()) co_return text_error(c, "Error: no search query");
  relay::Search s(q, c.query.text("tz"));
  const auto& deriver = c.ctx.indexer.deriver();
  for (const auto& id : c.ctx.mail.select_ids(s.predicate(), s.needs_derived() ? &deriver : nullptr))
    c.ctx.service.remove_message(id);
  co_return ok_text(c);
}

namespace {
// Mailpit ids to relaymock's; unknown ones are skipped, as Mailpit's
// UPDATE ... WHERE ID = ? skips them.
std::vector<std::string> real_ids(Call& c, const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids)
    if (auto r = c.ctx.mail.resolve_alias(id)) out.push_back(*r);
  return out;
}
}  // namespace

Handled set_read(Call& c) {
  GoBody body(c.req.body());
  if (!body.ok()) co_return text_error(c, body.error());
  bool read = false;
  std::vector<std::string> ids;
  std::string search;
  if (!body.boolean("Read", read) || !body.strings("IDs", ids) || !body.string("Search", search))
    co_return text_error(c, body.error());
  if (!ids.empty() && !search.empty()) co_return text_error(c, "You may specify either IDs or a search query, not both");
  if (!search.empty()) {
    relay::Search s(search, c.query.text("tz"));
    const auto& deriver = c.ctx.indexer.deriver();
    c.ctx.service.mark_read(c.ctx.mail.select_ids(s.predicate(), s.needs_derived() ? &deriver : nullptr), read);
  } else if (ids.empty()) {
    c.ctx.service.mark_all_read(read);
  } else {
    c.ctx.service.mark_read(real_ids(c, ids), read);
  }
  co_return ok_text(c);
}

Handled delete_messages(Call& c) {
  GoBody body(c.req.body());
  std::vector<std::string> ids;
  // Any error (no body, not JSON, the wrong type): everything, as Mailpit does.
  if (!body.ok() || !body.strings("IDs", ids) || ids.empty()) {
    c.ctx.service.clear_messages();
  } else {
    for (const auto& id : real_ids(c, ids)) c.ctx.service.remove_message(id);
  }
  co_return ok_text(c);
}

}  // namespace relaymock::http::mailpit
