#include "http/api.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <set>

#include "http/config_json.hpp"
#include "http/provider_api.hpp"
#include "config/loader.hpp"
#include "util/log.hpp"
#include "smtp/sasl.hpp"
#include "store/codec.hpp"
#include "mime/mime.hpp"
#include "util/dates.hpp"
#include "util/duration.hpp"

namespace relaymock::http {

namespace json = boost::json;
namespace asio = boost::asio;
using beast_http::field;
using beast_http::status;
using beast_http::verb;

namespace {

constexpr auto kMaxWait = std::chrono::minutes(5);
constexpr std::size_t kMaxLimit = 1000;

// Strings from clients (headers, envelopes, transcripts) may hold any bytes;
// JSON must be UTF-8. Invalid sequences become U+FFFD.
std::string utf8_clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + static_cast<std::size_t>(len) <= s.size();
    for (int k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
    if (ok && len == 2 && c < 0xC2) ok = false;  // overlong
    if (ok && len == 3) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) ok = false;  // overlong, surrogates
    }
    if (ok && len == 4) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xF0 && c1 < 0x90) || c > 0xF4 || (c == 0xF4 && c1 >= 0x90)) ok = false;
    }
    if (ok) {
      out.append(s.substr(i, static_cast<std::size_t>(len)));
      i += static_cast<std::size_t>(len);
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

void clean(json::value& v) {
  if (v.is_string()) {
    auto& s = v.as_string();
    std::string_view sv(s.data(), s.size());
    auto c = utf8_clean(sv);
    if (c != sv) s = c;
  } else if (v.is_array()) {
    for (auto& e : v.as_array()) clean(e);
  } else if (v.is_object()) {
    for (auto& kv : v.as_object()) clean(kv.value());
  }
}

Response make(status st, std::string body, std::string_view type, unsigned version) {
  return make_response(st, std::move(body), type, version);
}

Response error(status st, const std::string& message, unsigned version) {
  return json_response(st, json::object{{"error", message}}, version);
}

// A query string split into decoded pairs; nullopt if malformed.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view q, std::string& problem) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string k, v;
    if (!url_decode(part.substr(0, eq), k) ||
        !url_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), v)) {
      problem = "malformed percent-encoding in the query string";
      return std::nullopt;
    }
    if (out.count(k)) {
      problem = "query parameter '" + k + "' given twice";
      return std::nullopt;
    }
    out[k] = v;
  }
  return out;
}

std::optional<std::uint64_t> parse_uint(const std::string& s, std::uint64_t max) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  auto v = std::stoull(s);
  if (v > max) return std::nullopt;
  return v;
}

// Reads and checks the query parameters an endpoint accepts.
struct Query {
  std::map<std::string, std::string> values;
  std::string problem;

  bool only(std::initializer_list<const char*> allowed) {
    std::set<std::string> ok(allowed.begin(), allowed.end());
    for (const auto& [k, v] : values)
      if (!ok.count(k)) {
        problem = "unknown query parameter '" + k + "'";
        return false;
      }
    return true;
  }
  std::string text(const char* k) const {
    auto it = values.find(k);
    return it == values.end() ? std::string() : it->second;
  }
  bool number(const char* k, std::uint64_t& out, std::uint64_t min, std::uint64_t max) {
    auto it = values.find(k);
    if (it == values.end()) return true;
    auto v = parse_uint(it->second, max);
    if (!v || *v < min) {
      problem = std::string(k) + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                ", not '" + it->second + "'";
      return false;
    }
    out = *v;
    return true;
  }
  bool wait(std::chrono::milliseconds& out) {
    auto it = values.find("wait");
    if (it == values.end()) return true;
    auto d = parse_duration(it->second);
    if (!d || *d > kMaxWait) {
      problem = "wait must be a duration up to 5m such as 500ms, 10s or 1m, not '" + it->second + "'";
      return false;
    }
    out = *d;
    return true;
  }
};

// Parses a JSON object body and rejects fields it does not know.
std::optional<json::object> body_object(const Request& req, std::initializer_list<const char*> allowed,
                                        bool optional, std::string& problem) {
  if (req.body().empty()) {
    if (optional) return json::object{};
    problem = "a JSON object body is required";
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec) {
    problem = "malformed JSON: " + ec.message();
    return std::nullopt;
  }
  if (!v.is_object()) {
    problem = "the body must be a JSON object";
    return std::nullopt;
  }
  std::set<std::string> ok(allowed.begin(), allowed.end());
  for (const auto& kv : v.as_object())
    if (!ok.count(std::string(kv.key()))) {
      problem = "unknown field '" + std::string(kv.key()) + "'";
      return std::nullopt;
    }
  return v.as_object();
}

std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

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
  o["mail_parameters"] = json::object{{"body", m.body_param.empty() ? json::value(nullptr) : json::value(json::string(m.body_param))},
                                      {"smtputf8", m.smtputf8},
                                      {"ret", m.ret_param.empty() ? json::value(nullptr) : json::value(json::string(m.ret_param))},
                                      {"envid", m.envid_param.empty() ? json::value(nullptr) : json::value(json::string(m.envid_param))}};
  json::array rcpts;
  for (std::size_t i = 0; i < m.envelope_to.size(); ++i) {
    auto notify = i < m.notify.size() ? m.notify[i] : std::string();
    auto orcpt = i < m.orcpt.size() ? m.orcpt[i] : std::string();
    rcpts.push_back(json::object{{"address", m.envelope_to[i]},
                                 {"notify", notify.empty() ? json::value(nullptr) : json::value(json::string(notify))},
                                 {"orcpt", orcpt.empty() ? json::value(nullptr) : json::value(json::string(orcpt))}});
  }
  o["recipient_parameters"] = rcpts;
  return o;
}

// Splits "/api/v1/messages/abc/raw" into its segments.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return out;
}

Response not_allowed(const char* allow, unsigned version) {
  auto res = error(status::method_not_allowed, std::string("method not allowed; use ") + allow, version);
  res.set(field::allow, allow);
  return res;
}

}  // namespace

bool url_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(in[i + 2])))
        return false;
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return true;
}

Response make_response(status st, std::string body, std::string_view type, unsigned version) {
  Response res{st, version};
  res.set(field::server, "relaymock");
  res.set(field::content_type, type);
  res.set(field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response json_response(status st, json::value v, unsigned version) {
  clean(v);
  return make_response(st, json::serialize(v) + "\n", "application/json", version);
}

json::object email_cycle(const ApiContext& ctx) {
  auto cfg = ctx.engine.config();
  auto cycle = policy::cycle_containing(ctx.clock.now(), cfg->account.cycle_day);
  auto used = ctx.engine.counters().quota_used(cycle);
  json::object o{{"cycle_start", rfc3339(cycle.start)},
                 {"cycle_end", rfc3339(cycle.end)},
                 {"cycle_used", used}};
  if (cfg->account.monthly_quota) {
    o["cycle_remaining"] = *cfg->account.monthly_quota > used ? *cfg->account.monthly_quota - used : 0;
    o["cycle_max"] = *cfg->account.monthly_quota;
  } else {
    o["cycle_remaining"] = nullptr;
    o["cycle_max"] = nullptr;
  }
  return o;
}

asio::awaitable<Response> Api::handle(const Request& req, const Peer& peer) {
  const unsigned v = req.version();
  std::string_view target(req.target().data(), req.target().size());
  auto qmark = target.find('?');
  std::string_view path = target.substr(0, qmark);
  Query q;
  if (qmark != std::string_view::npos) {
    auto parsed = parse_query(target.substr(qmark + 1), q.problem);
    if (!parsed) co_return error(status::bad_request, q.problem, v);
    q.values = std::move(*parsed);
  }
  auto seg = segments(path);
  const bool get = req.method() == verb::get;

  // Health and metrics: no token, no query.
  if (seg.size() == 1 && (seg[0] == "healthz" || seg[0] == "readyz" || seg[0] == "metrics")) {
    if (!get) co_return not_allowed("GET", v);
    if (!q.only({})) co_return error(status::bad_request, q.problem, v);
    if (seg[0] == "healthz") co_return json_response(status::ok, json::object{{"status", "ok"}}, v);
    if (seg[0] == "readyz") {
      if (ctx_.ready.load()) co_return json_response(status::ok, json::object{{"status", "ready"}}, v);
      co_return json_response(status::service_unavailable, json::object{{"status", "starting"}}, v);
    }
    auto& m = ctx_.metrics;
    std::string out;
    auto metric = [&](const char* name, const char* type, const char* help, auto value) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
             std::to_string(value) + "\n";
    };
    metric("relaymock_connections_total", "counter", "SMTP connections accepted.", m.connections_total.load());
    metric("relaymock_connections_refused_total", "counter", "SMTP connections refused by connection limits.",
           m.connections_refused_total.load());
    metric("relaymock_sessions_open", "gauge", "SMTP sessions open now.", m.sessions_open.load());
    metric("relaymock_tls_sessions_total", "counter", "TLS handshakes completed (implicit and STARTTLS).",
           m.tls_sessions_total.load());
    metric("relaymock_messages_accepted_total", "counter", "Messages accepted (250 OK id=...).",
           m.messages_accepted_total.load());
    metric("relaymock_recipients_accepted_total", "counter", "Recipients of accepted messages.",
           m.recipients_accepted_total.load());
    metric("relaymock_bytes_received_total", "counter", "Bytes read from SMTP clients.", m.bytes_received_total.load());
    out += "# HELP relaymock_replies_total Replies by code and rule id (decisions and protocol replies).\n"
           "# TYPE relaymock_replies_total counter\n";
    for (const auto& [key, n] : m.replies())
      out += "relaymock_replies_total{code=\"" + std::to_string(key.first) + "\",rule=\"" + json_escape(key.second) +
             "\"} " + std::to_string(n) + "\n";
    metric("relaymock_store_messages", "gauge", "Captured messages held.", ctx_.mail.size());
    if (ctx_.durable) {
      auto c = ctx_.durable->corrupt();
      out += "# HELP relaymock_store_corrupt_rows Rows of the durable store that could not be read at start.\n"
             "# TYPE relaymock_store_corrupt_rows gauge\n";
      for (auto [table, n] : {std::pair{"messages", c.messages}, std::pair{"events", c.events}, std::pair{"usage", c.usage}})
        out += std::string("relaymock_store_corrupt_rows{table=\"") + table + "\"} " + std::to_string(n) + "\n";
    }
    metric("relaymock_store_bytes", "gauge", "Bytes of captured messages held.", ctx_.mail.bytes());
    auto cfg = ctx_.engine.config();
    auto now = ctx_.clock.now();
    auto cycle = policy::cycle_containing(now, cfg->account.cycle_day);
    metric("relaymock_quota_used", "gauge", "Recipients counted in the current quota cycle.",
           ctx_.engine.counters().quota_used(cycle));
    if (cfg->account.monthly_quota)
      metric("relaymock_quota_max", "gauge", "The monthly quota.", *cfg->account.monthly_quota);
    co_return make(status::ok, out, "text/plain; version=0.0.4; charset=utf-8", v);
  }

  // The provider's API v3: its own key, its own error shape, no admin token.
  if (!seg.empty() && seg[0] == "v3") co_return co_await provider_api(ctx_, req, peer, path);

  if (seg.size() < 2 || seg[0] != "api" || seg[1] != "v1") co_return error(status::not_found, "no such endpoint", v);

  auto cfg = ctx_.engine.config();
  if (!cfg->http.admin_token.empty()) {
    auto auth = req[field::authorization];
    std::string expected = "Bearer " + cfg->http.admin_token;
    if (!smtp::secure_equals(std::string_view(auth.data(), auth.size()), expected)) {
      auto res = error(status::unauthorized, "missing or wrong admin token (Authorization: Bearer <token>)", v);
      res.set(field::www_authenticate, "Bearer realm=\"relaymock\"");
      co_return res;
    }
  }
  std::string problem;

  // /api/v1/messages
  if (seg.size() == 3 && seg[2] == "messages") {
    if (req.method() == verb::delete_) {
      // No body: everything. {"ids": [...]}: those only (an unknown id is
      // reported, the others still go). Anything else is refused whole.
      if (!q.only({})) co_return error(status::bad_request, q.problem, v);
      auto body = body_object(req, {"ids"}, true, problem);
      if (!body) co_return error(status::bad_request, problem + " (send {\"ids\": [\"<id>\", ...]}, or no body to delete every message)", v);
      if (body->empty()) co_return json_response(status::ok, json::object{{"deleted", ctx_.service.clear_messages()}}, v);
      const auto& ids = (*body)["ids"];
      if (!ids.is_array() || ids.as_array().empty())
        co_return error(status::bad_request, "ids must be a non-empty list of message ids", v);
      for (const auto& x : ids.as_array())
        if (!x.is_string()) co_return error(status::bad_request, "ids must hold message ids (strings)", v);
      std::size_t deleted = 0;
      json::array unknown;
      for (const auto& x : ids.as_array()) {
        std::string id(x.as_string());
        if (ctx_.service.remove_message(id)) ++deleted;
        else unknown.emplace_back(id);
      }
      co_return json_response(status::ok, json::object{{"deleted", deleted}, {"unknown", unknown}}, v);
    }
    if (!get) co_return not_allowed("GET, DELETE", v);
    if (!q.only({"from", "to", "subject", "user", "since", "limit", "offset", "wait", "min"}))
      co_return error(status::bad_request, q.problem, v);
    store::MessageFilter f;
    f.from = q.text("from");
    f.to = q.text("to");
    f.subject = q.text("subject");
    f.user = q.text("user");
    if (q.values.count("since")) {
      f.since = parse_rfc3339(q.text("since"));
      if (!f.since)
        co_return error(status::bad_request, "since must be an RFC 3339 time such as 2026-11-27T18:00:00Z", v);
    }
    std::uint64_t limit = 50, offset = 0, min = 1;
    std::chrono::milliseconds wait{0};
    if (!q.number("limit", limit, 1, kMaxLimit) || !q.number("offset", offset, 0, 10'000'000) ||
        !q.number("min", min, 1, 10'000'000) || !q.wait(wait))
      co_return error(status::bad_request, q.problem, v);
    store::MailStore::Page page;
    // Long-poll: asked again only when the bus says something happened.
    co_await relay::wait_until(ctx_.service.bus(), wait, [&] {
      page = ctx_.mail.query(f, offset, limit);
      return page.total >= min;
    });
    json::array items;
    for (const auto& m : page.items) items.push_back(store::message_summary(*m));
    co_return json_response(status::ok, json::object{{"total", page.total}, {"messages", items}}, v);
  }

  // /api/v1/messages/{id}[/raw]
  if ((seg.size() == 4 || (seg.size() == 5 && seg[4] == "raw")) && seg[2] == "messages") {
    std::string id;
    if (!url_decode(seg[3], id)) co_return error(status::bad_request, "malformed message id", v);
    if (!q.only({})) co_return error(status::bad_request, q.problem, v);
    if (seg.size() == 4 && req.method() == verb::delete_) {
      if (!ctx_.service.remove_message(id)) co_return error(status::not_found, "no message with id '" + id + "'", v);
      co_return json_response(status::ok, json::object{{"deleted", 1}}, v);
    }
    if (!get) co_return not_allowed(seg.size() == 4 ? "GET, DELETE" : "GET", v);
    auto m = ctx_.mail.find(id);
    std::optional<std::string> content;
    std::string unreadable;
    try {
      if (m) content = ctx_.mail.content(id);
    } catch (const std::exception& e) {
      unreadable = e.what();
    }
    if (!unreadable.empty())
      co_return error(status::internal_server_error, "the message could not be read: " + unreadable, v);
    if (!m || !content) co_return error(status::not_found, "no message with id '" + id + "'", v);
    if (seg.size() == 5) co_return make(status::ok, std::move(*content), "message/rfc822", v);
    co_return json_response(status::ok, message_detail(*m, *content), v);
  }

  // /api/v1/events
  if (seg.size() == 3 && seg[2] == "events") {
    if (!get) co_return not_allowed("GET", v);
    if (!q.only({"since", "limit", "rule", "session", "wait", "min"})) co_return error(status::bad_request, q.problem, v);
    store::EventFilter f;
    f.rule = q.text("rule");
    f.session = q.text("session");
    std::uint64_t limit = 100, min = 1;
    std::chrono::milliseconds wait{0};
    if (!q.number("since", f.since, 0, UINT64_MAX / 2) || !q.number("limit", limit, 1, kMaxLimit) ||
        !q.number("min", min, 1, 10'000'000) || !q.wait(wait))
      co_return error(status::bad_request, q.problem, v);
    std::size_t total = 0;
    std::vector<store::Event> events;
    co_await relay::wait_until(ctx_.service.bus(), wait, [&] {
      events = ctx_.events.query(f, limit, &total);
      return total >= min;
    });
    json::array items;
    for (const auto& e : events) items.push_back(store::event_json(e));
    co_return json_response(
        status::ok, json::object{{"total", total}, {"last_seq", ctx_.events.last_seq()}, {"events", items}}, v);
  }

  // /api/v1/sessions/{id}
  if (seg.size() == 4 && seg[2] == "sessions") {
    if (!get) co_return not_allowed("GET", v);
    if (!q.only({})) co_return error(status::bad_request, q.problem, v);
    std::string id;
    if (!url_decode(seg[3], id)) co_return error(status::bad_request, "malformed session id", v);
    std::uint64_t elided = 0;
    auto lines = ctx_.transcripts.get(id, &elided);
    if (!lines) co_return error(status::not_found, "no transcript for session '" + id + "'", v);
    json::array items;
    for (const auto& l : *lines)
      items.push_back(json::object{{"time", rfc3339(l.time)}, {"dir", l.dir == 'C' ? "client" : "server"}, {"text", l.text}});
    co_return json_response(status::ok, json::object{{"session_id", id}, {"lines", items}, {"lines_elided", elided}}, v);
  }

  // /api/v1/listeners and /api/v1/listeners/{port}/fault
  if (seg.size() >= 3 && seg[2] == "listeners") {
    if (seg.size() == 3) {
      if (!get) co_return not_allowed("GET", v);
      if (!q.only({})) co_return error(status::bad_request, q.problem, v);
      json::array items;
      for (const auto& l : ctx_.server.listeners()) items.push_back(listener_json(l));
      co_return json_response(status::ok, json::object{{"listeners", items}}, v);
    }
    if (seg.size() == 5 && seg[4] == "fault") {
      if (req.method() != verb::put) co_return not_allowed("PUT", v);
      if (!q.only({})) co_return error(status::bad_request, q.problem, v);
      unsigned port = 0;
      auto [ptr, ec] = std::from_chars(seg[3].data(), seg[3].data() + seg[3].size(), port);
      if (ec != std::errc() || ptr != seg[3].data() + seg[3].size() || port == 0 || port > 65535)
        co_return error(status::bad_request, "the port must be a number from 1 to 65535", v);
      std::string errors;
      auto body = body_object(req, {"fault"}, false, problem);
      if (!body) co_return error(status::bad_request, problem, v);
      auto fault = config::parse_fault_body(req.body(), false, errors);
      if (!fault) co_return error(status::bad_request, errors, v);
      auto updated = ctx_.server.set_fault(static_cast<std::uint16_t>(port), *fault, errors);
      if (!updated)
        co_return error(errors.rfind("no listener", 0) == 0 ? status::not_found : status::conflict, errors, v);
      co_return json_response(status::ok, listener_json(*updated), v);
    }
    co_return error(status::not_found, "no such endpoint", v);
  }

  // /api/v1/scenarios[/{name}]
  if ((seg.size() == 3 || seg.size() == 4) && seg[2] == "scenarios") {
    if (!q.only({})) co_return error(status::bad_request, q.problem, v);
    if (seg.size() == 4) {
      if (req.method() != verb::delete_) co_return not_allowed("DELETE", v);
      std::string name;
      if (!url_decode(seg[3], name)) co_return error(status::bad_request, "malformed scenario name", v);
      if (!ctx_.scenarios.remove(name)) co_return error(status::not_found, "no scenario named '" + name + "'", v);
      logger().info("scenario removed", {{"name", name}});
      co_return json_response(status::ok, json::object{{"deleted", 1}}, v);
    }
    if (req.method() == verb::post) {
      // JSON, read like every body; or YAML pasted as it would be written
      // in the config (Content-Type: application/yaml).
      std::string errors;
      auto type = req[field::content_type];
      bool yaml = type.starts_with("application/yaml") || type.starts_with("text/yaml") ||
                  type.starts_with("application/x-yaml");
      if (!yaml) {
        boost::system::error_code jec;
        auto parsed = json::parse(req.body(), jec);
        if (jec) co_return error(status::bad_request, "malformed JSON: " + jec.message(), v);
        if (!parsed.is_object()) co_return error(status::bad_request, "the body must be a JSON object (a scenario)", v);
      }
      auto sc = config::parse_scenario_body(req.body(), yaml, errors);
      if (!sc) co_return error(status::bad_request, errors, v);
      auto shown = scenario_json(*sc);
      std::string name = sc->name;
      if (!ctx_.scenarios.add(std::move(*sc)))
        co_return error(status::conflict, "a scenario named '" + name + "' exists; DELETE it first", v);
      logger().info("scenario added", {{"name", name}});
      co_return json_response(status::created, shown, v);
    }
    if (req.method() == verb::delete_) {
      auto n = ctx_.scenarios.list().size();
      ctx_.scenarios.clear();
      co_return json_response(status::ok, json::object{{"deleted", n}}, v);
    }
    if (!get) co_return not_allowed("GET, POST, DELETE", v);
    json::array items;
    for (const auto& st : ctx_.scenarios.list()) {
      auto o = scenario_json(st.scenario);
      o["matched"] = st.matched;
      o["fired"] = st.fired;
      o["retired"] = st.retired();
      items.push_back(o);
    }
    co_return json_response(status::ok, json::object{{"scenarios", items}}, v);
  }

  // /api/v1/usage
  if (seg.size() == 3 && seg[2] == "usage") {
    if (!get) co_return not_allowed("GET", v);
    if (!q.only({})) co_return error(status::bad_request, q.problem, v);
    auto now = ctx_.clock.now();
    json::object o = email_cycle(ctx_);
    json::array limits;
    auto add = [&](const char* kind, const std::string& name, const std::string& key, const config::RateLimit& rl) {
      auto u = ctx_.engine.counters().rate_usage(key, rl, now);
      limits.push_back(json::object{{"kind", kind},
                                    {"name", name},
                                    {"count", rl.count},
                                    {"per", format_duration(rl.per)},
                                    {"used", u.used},
                                    {"in_open_transactions", u.reserved},
                                    {"resets_at", u.used ? json::value(json::string(rfc3339(u.resets_at)))
                                                         : json::value(nullptr)}});
    };
    for (const auto& u : cfg->smtp_users)
      if (u.rate_limit) add("user", u.username, "user:" + u.username, *u.rate_limit);
    for (const auto& e : cfg->ip_auth)
      if (e.rate_limit) add("ip", e.text, "ip:" + e.text, *e.rate_limit);
    for (const auto& k : cfg->api_keys)
      if (k.rate_limit) add("api_key", k.name, "api_key:" + k.name, *k.rate_limit);
    o["rate_limits"] = limits;
    co_return json_response(status::ok, o, v);
  }

  // /api/v1/clock
  if (seg.size() == 3 && seg[2] == "clock") {
    if (!q.only({})) co_return error(status::bad_request, q.problem, v);
    if (req.method() == verb::post) {
      auto body = body_object(req, {"advance", "set", "reset"}, false, problem);
      if (!body) co_return error(status::bad_request, problem, v);
      if (body->size() != 1)
        co_return error(status::bad_request, "give exactly one of advance, set or reset", v);
      auto offset = ctx_.clock.offset();
      if (auto* a = body->if_contains("advance")) {
        auto d = a->is_string() ? parse_duration(std::string(a->as_string())) : std::nullopt;
        if (!d) co_return error(status::bad_request, "advance must be a duration such as 90m, 1h or 30s", v);
        offset += *d;
      } else if (auto* s = body->if_contains("set")) {
        auto t = s->is_string() ? parse_rfc3339(std::string(s->as_string())) : std::nullopt;
        if (!t)
          co_return error(status::bad_request,
                          "set must be an RFC 3339 time (1970-2200) such as 2026-12-01T00:00:00Z", v);
        // Rounded up, so that "now" right after reads no earlier than the time set.
        offset = std::chrono::ceil<std::chrono::milliseconds>(*t - std::chrono::system_clock::now());
      } else {
        auto* r = body->if_contains("reset");
        if (!r->is_bool() || !r->as_bool()) co_return error(status::bad_request, "reset must be true", v);
        offset = std::chrono::milliseconds(0);
      }
      if (ctx_.durable) {
        try {
          ctx_.durable->set_clock_offset_ms(offset.count());
        } catch (const std::exception& e) {
          co_return error(status::internal_server_error, std::string("the clock offset could not be stored: ") + e.what(), v);
        }
      }
      ctx_.clock.set_offset(offset);
      logger().info("clock changed", {{"offset", seconds_text(offset) + "s"}});
      ctx_.service.clock_moved();
    } else if (!get) {
      co_return not_allowed("GET, POST", v);
    }
    auto offset = ctx_.clock.offset();
    co_return json_response(
        status::ok,
        json::object{{"now", rfc3339(ctx_.clock.now())},
                     {"offset_seconds", static_cast<double>(offset.count()) / 1000.0}},
        v);
  }

  // /api/v1/reset
  if (seg.size() == 3 && seg[2] == "reset") {
    if (req.method() != verb::post) co_return not_allowed("POST", v);
    if (!q.only({})) co_return error(status::bad_request, q.problem, v);
    auto body = body_object(req, {"messages", "counters", "events"}, true, problem);
    if (!body) co_return error(status::bad_request, problem, v);
    for (const auto& kv : *body)
      if (!kv.value().is_bool())
        co_return error(status::bad_request, std::string(kv.key()) + " must be true or false", v);
    auto want = [&](const char* k) {
      if (body->empty()) return true;  // no body: everything
      auto* x = body->if_contains(k);
      return x && x->as_bool();
    };
    json::array done;
    try {
      if (want("messages")) {
        ctx_.service.clear_messages();
        done.emplace_back("messages");
      }
      if (want("counters")) {
        ctx_.engine.counters().clear();
        if (ctx_.durable) ctx_.durable->delete_usage();
        done.emplace_back("counters");
      }
      if (want("events")) {
        ctx_.service.clear_events();
        done.emplace_back("events");
      }
    } catch (const std::exception& e) {
      co_return error(status::internal_server_error, std::string("reset failed: ") + e.what(), v);
    }
    co_return json_response(status::ok, json::object{{"reset", done}}, v);
  }

  // /api/v1/config and /api/v1/config/reload
  if (seg.size() == 3 && seg[2] == "config") {
    if (!get) co_return not_allowed("GET", v);
    if (!q.only({})) co_return error(status::bad_request, q.problem, v);
    co_return json_response(status::ok, config_json(*cfg), v);
  }
  if (seg.size() == 4 && seg[2] == "config" && seg[3] == "reload") {
    if (req.method() != verb::post) co_return not_allowed("POST", v);
    if (!q.only({})) co_return error(status::bad_request, q.problem, v);
    auto r = ctx_.reload();
    if (!r.ok) co_return json_response(status::bad_request, json::object{{"error", r.errors}}, v);
    co_return json_response(status::ok, config_json(*r.config), v);
  }

  co_return error(status::not_found, "no such endpoint", v);
}

}  // namespace relaymock::http
