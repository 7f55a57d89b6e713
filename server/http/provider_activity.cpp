// The provider's /v3/activity/search and /v3/stats/email_summary,
// email_bounces, email_spam, email_unsubs and email_history, computed from
// what happened after the 250 (the events of stage "delivery", see
// relay/outcome_scheduler) and the messages still kept. Shapes and field
// names from the provider's published OpenAPI; the counting rules where it
// is silent (per recipient, a soft bounce counted once per recipient) are
// relaymock's, written in the README.
#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "http/provider_api.hpp"
#include "http/provider_errors.hpp"
#include "http/provider_fields.hpp"
#include "mime/mime.hpp"
#include "util/dates.hpp"
#include "util/strings.hpp"

namespace relaymock::http {

namespace json = boost::json;
using beast_http::status;

namespace {

constexpr auto kDay = std::chrono::hours(24);

// An event of ours (its rule) as the provider's activity names it.
const char* activity_name(std::string_view rule) {
  static constexpr std::pair<std::string_view, const char*> kNames[] = {
      {"processed", "processed"},  {"delivered", "delivered"}, {"soft_bounce", "soft-bounced"},
      {"hard_bounce", "hard-bounced"}, {"reject", "rejected"}, {"spam", "spam"},
      {"unsubscribe", "unsubscribed"}, {"open", "opened"},      {"click", "clicked"}};
  for (auto [ours, theirs] : kNames)
    if (ours == rule) return theirs;
  return nullptr;
}

constexpr std::string_view kActivityTypes[] = {"processed", "soft-bounced", "hard-bounced", "rejected", "spam",
                                               "delivered", "unsubscribed", "resubscribed", "opened",    "clicked"};

// One part of a delivery event's detail: "host mx.x [192.0.2.10]; context
// RCPT TO:<a@x>; url https://...; attempt 2; by rule r".
std::string detail_part(std::string_view detail, std::string_view key) {
  std::size_t pos = 0;
  while (pos < detail.size()) {
    auto end = detail.find("; ", pos);
    auto part = detail.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (part.size() > key.size() && part.substr(0, key.size()) == key && part[key.size()] == ' ')
      return std::string(part.substr(key.size() + 1));
    if (end == std::string_view::npos) break;
    pos = end + 2;
  }
  return {};
}

// "mx.x [192.0.2.10]" as "192.0.2.10" (the activity's host is an address).
std::string host_address(const std::string& host) {
  auto open = host.rfind('['), close = host.rfind(']');
  if (open == std::string::npos || close == std::string::npos || close < open) return host;
  return host.substr(open + 1, close - open - 1);
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

TimePoint midnight(TimePoint t) { return time_from_civil(civil_from_time(t)); }

std::string percent_text(std::uint64_t part, std::uint64_t whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
  return buf;
}
double percent_number(std::uint64_t part, std::uint64_t whole) {
  return whole ? std::round(10000.0 * static_cast<double>(part) / static_cast<double>(whole)) / 100.0 : 0.0;
}

// One activity row: an event for one recipient (a message's processed event
// is one row per recipient, as every other event is).
struct Row {
  const store::Event* e;
  const char* name;
  std::string rcpt;
};

// The delivery events, per recipient; the rows point into `events`.
std::vector<Row> rows(const std::vector<store::Event>& events) {
  std::vector<Row> out;
  for (const auto& e : events) {
    const char* name = activity_name(e.rule);
    if (!name) continue;
    if (e.rule == "processed")
      for (const auto& r : e.recipients) out.push_back({&e, name, r});
    else
      out.push_back({&e, name, e.recipients.empty() ? std::string() : e.recipients[0]});
  }
  return out;
}

std::vector<store::Event> delivery_events(const ApiContext& ctx, TimePoint from, TimePoint to) {
  store::EventFilter f;
  f.stage = "delivery";
  f.after = from;
  f.before = to;
  return ctx.events.query(f, SIZE_MAX);
}

// The messages the rows name, each looked up once.
class Messages {
 public:
  explicit Messages(const ApiContext& ctx) : ctx_(ctx) {}
  const store::Message* get(const std::string& id) {
    auto it = cache_.find(id);
    if (it == cache_.end()) it = cache_.emplace(id, ctx_.mail.find(id)).first;
    return it->second.get();
  }
  // The message's header section (include_headers, custom_headers).
  const std::string& head(const std::string& id) {
    auto it = heads_.find(id);
    if (it != heads_.end()) return it->second;
    // The first 64 KiB hold any header section a client sends in practice;
    // only the header section is kept (a page names up to 1,000 messages).
    const std::string text = ctx_.mail.content(id, 64 * 1024).value_or("");
    auto end = text.find("\r\n\r\n");
    if (end == std::string::npos) end = text.find("\n\n");
    return heads_.emplace(id, text.substr(0, end)).first->second;
  }

 private:
  const ApiContext& ctx_;
  std::map<std::string, std::shared_ptr<const store::Message>> cache_;
  std::map<std::string, std::string> heads_;
};

json::object activity_json(const Row& r, Messages& messages, bool include_headers,
                           const std::vector<std::string>& custom_headers) {
  const auto& e = *r.e;
  const store::Message* m = messages.get(e.message_id);
  json::array recipients;
  for (const auto& x : m ? m->envelope_to : e.recipients) recipients.emplace_back(x);
  const std::string from = m && !m->from.empty() ? m->from : e.sender;
  const std::string host = detail_part(e.detail, "host");
  const std::string context = detail_part(e.detail, "context");
  json::object metadata;
  if (auto url = detail_part(e.detail, "url"); !url.empty()) metadata["url"] = url;
  json::object custom;
  if (!custom_headers.empty()) {
    const auto fields = mime::parse_headers(messages.head(e.message_id));
    for (const auto& h : custom_headers)
      if (auto v = mime::header_value(fields, h); !v.empty()) custom[h] = v;
  }
  return json::object{{"from", from},
                      {"recipient", r.rcpt},
                      {"subaccount_name", "Master account"},
                      {"email_id", e.message_id},
                      {"date", rfc3339_seconds(e.time)},
                      {"event", r.name},
                      {"recipients", std::move(recipients)},
                      {"subject", m ? m->subject : ""},
                      {"username", e.identity_name},
                      {"reply_to", ""},
                      {"sender", from},
                      {"sender_full", from},
                      {"to", m ? joined(m->to) : ""},
                      {"cc", m ? joined(m->cc) : ""},
                      {"bcc", ""},
                      {"smtp_response", e.reply},
                      {"reason", r.e->rule == "hard_bounce" || r.e->rule == "soft_bounce" || r.e->rule == "reject"
                                     ? context
                                     : ""},
                      {"host", host_address(host)},
                      {"originating_host", e.client_ip},
                      {"error", ""},
                      {"email_client", json::object{}},
                      {"metadata", std::move(metadata)},
                      {"outbound_ip", ""},
                      {"byte_size", m ? m->size : 0},
                      {"headers", include_headers ? messages.head(e.message_id) : std::string()},
                      {"custom_headers", std::move(custom)}};
}

bool contains_any(const std::string& haystack, const std::vector<std::string>& needles) {
  const auto h = ascii_lower(haystack);
  return std::any_of(needles.begin(), needles.end(), [&](const std::string& n) { return h.find(n) != std::string::npos; });
}

// "text1 | text2" as its alternatives, lower-cased.
std::vector<std::string> alternatives(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    auto bar = s.find('|', pos);
    auto part = trim(std::string_view(s).substr(pos, bar == std::string::npos ? std::string::npos : bar - pos));
    if (!part.empty()) out.push_back(ascii_lower(part));
    if (bar == std::string::npos) break;
    pos = bar + 1;
  }
  return out;
}

// The counts every stats endpoint reports, per recipient.
struct Counts {
  std::uint64_t emails = 0, hardbounces = 0, softbounces = 0, rejects = 0, spams = 0, unsubscribes = 0, opens = 0,
                clicks = 0, bytes = 0;
  std::string lastip;
  TimePoint last{};
  std::set<std::pair<std::string, std::string>> soft;  // (email_id, rcpt) that deferred
  void add(const Row& r, const store::Message* m) {
    const std::string_view rule = r.e->rule;
    if (rule == "processed") {
      ++emails;
      if (m) bytes += m->size;
      if (r.e->time >= last) {
        last = r.e->time;
        lastip = r.e->client_ip;
      }
    } else if (rule == "hard_bounce") ++hardbounces;
    else if (rule == "soft_bounce") {
      if (soft.insert({r.e->message_id, r.rcpt}).second) ++softbounces;
    } else if (rule == "reject") ++rejects;
    else if (rule == "spam") ++spams;
    else if (rule == "unsubscribe") ++unsubscribes;
    else if (rule == "open") ++opens;
    else if (rule == "click") ++clicks;
  }
};

}  // namespace

bool activity_endpoint(std::string_view endpoint) {
  return endpoint == "activity/search" || endpoint == "stats/email_summary" || endpoint == "stats/email_bounces" ||
         endpoint == "stats/email_spam" || endpoint == "stats/email_unsubs" || endpoint == "stats/email_history";
}

Response provider_activity(ApiContext& ctx, std::string_view endpoint, json::object body, const std::string& request_id,
                           unsigned version) {
  auto ok = [&](json::object data) {
    return json_response(status::ok, json::object{{"request_id", request_id}, {"data", std::move(data)}}, version);
  };
  auto fail = [&](const Failure& f) { return failure_response(f, request_id, version); };
  Failure bad;
  const TimePoint now = ctx.clock.now();
  auto dates = [&](TimePoint default_from, TimePoint& from, TimePoint& to) -> std::optional<Failure> {
    from = default_from;
    to = now;
    for (const char* name : {"start_date", "end_date"}) {
      auto s = text_field(body, name, bad);
      if (!bad.error.empty()) return bad;
      if (!s) continue;
      auto t = provider_date(*s);
      if (!t)
        return field_error(name, std::string(name) + " must be a date (2026-12-01), a time (2026-12-01 15:04:05) "
                                                     "or an RFC 3339 time, not '" + s->substr(0, 64) + "'");
      (std::string_view(name) == "start_date" ? from : to) = *t;
    }
    if (to < from) {
      if (body.contains("end_date")) return field_error("end_date", "end_date is before start_date");
      to = from;  // a start after now: nothing yet
    }
    return std::nullopt;
  };

  if (endpoint == "activity/search") {
    if (auto f = only_fields(body, {"start_date", "end_date", "search", "search_email_id", "search_subject",
                                    "search_sender", "search_recipient", "search_usernames", "subaccounts", "limit",
                                    "continue_token", "only_latest", "only_latest_by_sent", "event_types",
                                    "include_headers", "custom_headers", "region"}))
      return fail(*f);
    TimePoint from, to;
    if (auto f = dates(midnight(now), from, to)) return fail(*f);
    auto search = text_field(body, "search", bad);
    auto email_id = text_field(body, "search_email_id", bad);
    auto subject = text_field(body, "search_subject", bad);
    auto sender = text_field(body, "search_sender", bad);
    auto recipient = text_field(body, "search_recipient", bad);
    auto token = text_field(body, "continue_token", bad);
    auto usernames = strings_field(body, "search_usernames", bad);
    auto types = strings_field(body, "event_types", bad);
    auto custom_headers = strings_field(body, "custom_headers", bad, 50).value_or(std::vector<std::string>{});
    const bool latest = bool_field(body, "only_latest", false, bad) || bool_field(body, "only_latest_by_sent", false, bad);
    const bool include_headers = bool_field(body, "include_headers", false, bad);
    if (!bad.error.empty()) return fail(bad);
    std::uint64_t limit = 100;
    if (auto* l = body.if_contains("limit"); l && !l->is_null()) {
      if (!(l->is_int64() && l->as_int64() >= 1 && l->as_int64() <= static_cast<std::int64_t>(kMaxLimit)) &&
          !(l->is_uint64() && l->as_uint64() >= 1 && l->as_uint64() <= kMaxLimit))
        return fail(field_error("limit", "limit must be a whole number from 1 to 1000"));
      limit = l->to_number<std::uint64_t>();
    }
    if (types)
      for (const auto& t : *types)
        if (std::find(std::begin(kActivityTypes), std::end(kActivityTypes), t) == std::end(kActivityTypes))
          return fail(field_error("event_types", "'" + t.substr(0, 64) + "' is not an event type (processed, "
                                                 "soft-bounced, hard-bounced, rejected, spam, delivered, "
                                                 "unsubscribed, resubscribed, opened, clicked)"));
    std::size_t offset = 0;
    if (token && !token->empty()) {
      auto [p, ec] = std::from_chars(token->data(), token->data() + token->size(), offset);
      if (ec != std::errc() || p != token->data() + token->size())
        return fail(field_error("continue_token", "continue_token must be one a previous search answered"));
    }
    auto* subs = body.if_contains("subaccounts");
    const bool only_subaccounts = subs && subs->is_array() && !subs->as_array().empty();  // relaymock has none

    const auto events = delivery_events(ctx, from, to);
    Messages messages(ctx);
    const auto any = search ? alternatives(*search) : std::vector<std::string>{};
    std::vector<const Row*> found;
    auto all = rows(events);
    std::set<std::string> seen_ids;
    for (auto it = all.rbegin(); it != all.rend(); ++it) {  // newest first
      const Row& r = *it;
      const auto& e = *r.e;
      if (only_subaccounts) break;
      if (types && std::find(types->begin(), types->end(), r.name) == types->end()) continue;
      if (email_id && e.message_id != *email_id) continue;
      if (usernames && std::find(usernames->begin(), usernames->end(), e.identity_name) == usernames->end()) continue;
      const store::Message* m = messages.get(e.message_id);
      const std::string subj = m ? m->subject : "", from_text = m && !m->from.empty() ? m->from : e.sender;
      if (subject && !contains_any(subj, {ascii_lower(*subject)})) continue;
      if (sender && !contains_any(from_text + " " + e.sender, {ascii_lower(*sender)})) continue;
      if (recipient && !contains_any(r.rcpt, {ascii_lower(*recipient)})) continue;
      if (!any.empty() && !contains_any(e.message_id + "\n" + subj + "\n" + from_text + "\n" + e.sender + "\n" + r.rcpt +
                                            "\n" + e.identity_name,
                                        any))
        continue;
      if (latest && !seen_ids.insert(e.message_id).second) continue;
      found.push_back(&r);
    }
    json::array out;
    for (std::size_t i = offset; i < found.size() && i < offset + limit; ++i)
      out.push_back(activity_json(*found[i], messages, include_headers, custom_headers));
    json::object data{{"events", std::move(out)}, {"total_events", found.size()}};
    data["continue_token"] = offset + limit < found.size() ? json::value(std::to_string(offset + limit)) : nullptr;
    return ok(std::move(data));
  }

  if (endpoint == "stats/email_history") {
    if (auto f = only_fields(body, {"group_by", "start_date", "end_date", "subaccounts"})) return fail(*f);
    TimePoint from, to;
    if (auto f = dates(midnight(now) - 30 * kDay, from, to)) return fail(*f);
    const std::string group_by = text_field(body, "group_by", bad).value_or("email_address");
    if (!bad.error.empty()) return fail(bad);
    if (group_by != "email_address" && group_by != "username" && group_by != "domain" && group_by != "subaccount")
      return fail(field_error("group_by", "group_by must be email_address, username, domain or subaccount"));
    const auto events = delivery_events(ctx, from, to);
    Messages messages(ctx);
    std::map<std::string, Counts> groups;
    Counts total;
    for (const auto& r : rows(events)) {
      const auto& e = *r.e;
      std::string key = group_by == "email_address" ? e.sender
                        : group_by == "username"     ? e.identity_name
                        : group_by == "domain"       ? ascii_lower(e.sender.substr(e.sender.rfind('@') + 1))
                                                     : "Master account";
      const store::Message* m = r.e->rule == "processed" ? messages.get(e.message_id) : nullptr;
      groups[key].add(r, m);
      total.add(r, m);
    }
    const auto cfg = ctx.engine.config();
    json::array history;
    for (const auto& [key, c] : groups) {
      json::object o{{"used", c.emails},
                     {"bytecount", c.bytes},
                     {"avgsize", c.emails ? static_cast<double>(c.bytes) / static_cast<double>(c.emails) : 0.0},
                     {"lastip", c.lastip},
                     {"bounces", c.hardbounces + c.softbounces},
                     {"clicks", c.clicks},
                     {"opens", c.opens},
                     {"rejects", c.rejects},
                     {"spam", c.spams},
                     {"unsubscribes", c.unsubscribes},
                     {"bounce_percent", percent_number(c.hardbounces + c.softbounces, c.emails)},
                     {"open_percent", percent_number(c.opens, c.emails)},
                     {"reject_percent", percent_number(c.rejects, c.emails)},
                     {"spam_percent", percent_number(c.spams, c.emails)},
                     {"unsubscribe_percent", percent_number(c.unsubscribes, c.emails)}};
      o[group_by] = key;
      if (group_by == "domain") {
        const auto& v = cfg->account.verified_domains;
        o["domain_verified"] = std::find(v.begin(), v.end(), key) != v.end();
      }
      if (group_by == "username") {
        std::string description;
        for (const auto& u : cfg->smtp_users)
          if (u.username == key) description = u.description;
        o["description"] = description;
      }
      history.push_back(std::move(o));
    }
    return ok(json::object{{"count", history.size()},
                           {"bounce_percent_total", percent_number(total.hardbounces + total.softbounces, total.emails)},
                           {"open_percent_total", percent_number(total.opens, total.emails)},
                           {"reject_percent_total", percent_number(total.rejects, total.emails)},
                           {"spam_percent_total", percent_number(total.spams, total.emails)},
                           {"unsubscribe_percent_total", percent_number(total.unsubscribes, total.emails)},
                           {"history", std::move(history)}});
  }

  // stats/email_summary, email_bounces, email_spam, email_unsubs: the last 30 days.
  if (auto f = only_fields(body, {"username"})) return fail(*f);
  auto username = text_field(body, "username", bad);
  if (!bad.error.empty()) return fail(bad);
  Counts c;
  const auto events = delivery_events(ctx, now - 30 * kDay, now + std::chrono::milliseconds(1));
  for (const auto& r : rows(events))  // rows point into events
    if (!username || r.e->identity_name == *username) c.add(r, nullptr);
  const auto bounces = c.hardbounces + c.softbounces;
  if (endpoint == "stats/email_bounces")
    return ok(json::object{{"emails", c.emails}, {"rejects", c.rejects}, {"softbounces", c.softbounces},
                           {"hardbounces", c.hardbounces}, {"bounce_percent", percent_text(bounces, c.emails)}});
  if (endpoint == "stats/email_spam")
    return ok(json::object{{"emails", c.emails}, {"rejects", c.rejects}, {"spams", c.spams},
                           {"spam_percent", percent_text(c.spams, c.emails)}});
  if (endpoint == "stats/email_unsubs")
    return ok(json::object{{"emails", c.emails}, {"rejects", c.rejects}, {"unsubscribes", c.unsubscribes},
                           {"unsubscribe_percent", percent_text(c.unsubscribes, c.emails)}});
  json::object data = email_cycle(ctx);
  for (auto& kv : json::object{{"spam_emails", c.spams},
                               {"email_count", c.emails},
                               {"bounce_rejects", c.rejects},
                               {"softbounces", c.softbounces},
                               {"hardbounces", c.hardbounces},
                               {"bounce_percent", percent_text(bounces, c.emails)},
                               {"spam_rejects", c.rejects},
                               {"spam_percent", percent_text(c.spams, c.emails)},
                               {"unsubscribes", c.unsubscribes},
                               {"unsubscribe_percent", percent_text(c.unsubscribes, c.emails)},
                               {"opens", c.opens},
                               {"clicks", c.clicks},
                               {"rejects", c.rejects}})
    data[kv.key()] = kv.value();
  return ok(std::move(data));
}

}  // namespace relaymock::http
