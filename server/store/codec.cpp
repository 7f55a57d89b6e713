#include "store/codec.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "util/dates.hpp"

namespace relaymock::store {

namespace json = boost::json;

json::array json_strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

namespace {
std::vector<std::string> strings_of(const json::value* v) {
  std::vector<std::string> out;
  if (v && v->is_array())
    for (const auto& s : v->as_array())
      if (s.is_string()) out.emplace_back(s.as_string());
  return out;
}
std::string str(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
std::int64_t num(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}
bool flag(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  return v && v->is_bool() && v->as_bool();
}
}  // namespace

json::object message_summary(const Message& m) {
  json::object o;
  o["id"] = m.id;
  o["received_at"] = rfc3339(m.received_at);
  o["client_ip"] = m.client_ip;
  o["port"] = m.port;
  o["tls"] = m.tls;
  o["identity"] = json::object{{"kind", m.identity_kind}, {"name", m.identity_name}};
  o["sandbox"] = m.sandbox;
  o["envelope_from"] = m.envelope_from;
  o["envelope_to"] = json_strings(m.envelope_to);
  o["from"] = m.from;
  o["to"] = json_strings(m.to);
  o["cc"] = json_strings(m.cc);
  o["subject"] = m.subject;
  o["size"] = m.size;
  return o;
}

json::object message_record(const Message& m) {
  json::object o = message_summary(m);
  o["received_ms"] = ms_since_epoch(m.received_at);
  o["session_id"] = m.session_id;
  o["helo"] = m.helo;
  o["body"] = m.body_param;
  o["ret"] = m.ret_param;
  o["envid"] = m.envid_param;
  o["smtputf8"] = m.smtputf8;
  o["notify"] = json_strings(m.notify);
  o["orcpt"] = json_strings(m.orcpt);
  return o;
}

std::optional<Message> message_from_record(const json::value& v) {
  if (!v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  Message m;
  m.id = str(o, "id");
  if (m.id.empty()) return std::nullopt;
  m.received_at = from_ms_since_epoch(num(o, "received_ms"));
  m.session_id = str(o, "session_id");
  m.client_ip = str(o, "client_ip");
  m.port = static_cast<std::uint16_t>(num(o, "port"));
  m.tls = flag(o, "tls");
  if (auto* id = o.if_contains("identity"); id && id->is_object()) {
    m.identity_kind = str(id->as_object(), "kind");
    m.identity_name = str(id->as_object(), "name");
  }
  m.sandbox = flag(o, "sandbox");
  m.helo = str(o, "helo");
  m.envelope_from = str(o, "envelope_from");
  m.envelope_to = strings_of(o.if_contains("envelope_to"));
  m.body_param = str(o, "body");
  m.ret_param = str(o, "ret");
  m.envid_param = str(o, "envid");
  m.smtputf8 = flag(o, "smtputf8");
  m.notify = strings_of(o.if_contains("notify"));
  m.orcpt = strings_of(o.if_contains("orcpt"));
  m.from = str(o, "from");
  m.to = strings_of(o.if_contains("to"));
  m.cc = strings_of(o.if_contains("cc"));
  m.subject = str(o, "subject");
  m.size = static_cast<std::uint64_t>(num(o, "size"));
  return m;
}

json::array checks_json(const std::vector<EventCheck>& checks) {
  json::array a;
  for (const auto& c : checks) {
    json::object o{{"name", c.name}, {"result", c.result}, {"compared", c.compared}};
    o["fix"] = c.fix.empty() ? json::value(nullptr) : json::value(json::string(c.fix));
    a.push_back(std::move(o));
  }
  return a;
}

json::object event_json(const Event& e) {
  json::object o;
  o["seq"] = e.seq;
  o["time"] = rfc3339(e.time);
  o["session_id"] = e.session_id;
  o["client_ip"] = e.client_ip;
  o["port"] = e.port;
  o["stage"] = e.stage;
  o["rule"] = e.rule;
  if (e.identity_kind.empty() || e.identity_kind == "none")
    o["identity"] = nullptr;
  else
    o["identity"] = json::object{{"kind", e.identity_kind}, {"name", e.identity_name}};
  o["reply"] = e.reply;
  o["detail"] = e.detail;
  if (!e.message_id.empty()) o["message_id"] = e.message_id;
  o["sender"] = e.sender.empty() && e.recipients.empty() ? json::value(nullptr) : json::value(json::string(e.sender));
  o["recipients"] = json_strings(e.recipients);
  o["checks"] = checks_json(e.checks);
  return o;
}

std::optional<Event> event_from_json(const json::value& v) {
  if (!v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  Event e;
  e.seq = static_cast<std::uint64_t>(num(o, "seq"));
  auto t = parse_rfc3339(str(o, "time"));
  if (!t || e.seq == 0) return std::nullopt;
  e.time = *t;
  e.session_id = str(o, "session_id");
  e.client_ip = str(o, "client_ip");
  e.port = static_cast<std::uint16_t>(num(o, "port"));
  e.stage = str(o, "stage");
  e.rule = str(o, "rule");
  if (auto* id = o.if_contains("identity"); id && id->is_object()) {
    e.identity_kind = str(id->as_object(), "kind");
    e.identity_name = str(id->as_object(), "name");
  } else {
    e.identity_kind = "none";
  }
  e.reply = str(o, "reply");
  e.detail = str(o, "detail");
  e.message_id = str(o, "message_id");
  e.sender = str(o, "sender");
  e.recipients = strings_of(o.if_contains("recipients"));
  if (auto* cs = o.if_contains("checks"); cs && cs->is_array())
    for (const auto& c : cs->as_array())
      if (c.is_object())
        e.checks.push_back({str(c.as_object(), "name"), str(c.as_object(), "result"), str(c.as_object(), "compared"),
                            str(c.as_object(), "fix")});
  return e;
}

}  // namespace relaymock::store
