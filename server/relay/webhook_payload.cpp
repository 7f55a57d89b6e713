#include "relay/webhook_payload.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "config/webhooks.hpp"
#include "util/dates.hpp"
#include "util/hex.hpp"
#include "util/strings.hpp"

namespace relaymock::relay {

namespace json = boost::json;
using policy::DeliveryEvent;

namespace {

// "2026-02-07T18:05:02.199324+00:00", as the captured payloads' `sendtime`.
std::string micro_time(TimePoint t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1'000'000;
  auto s = rfc3339_seconds(t);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(us < 0 ? us + 1'000'000 : us));
  return s.substr(0, s.size() - 1) + frac + "+00:00";
}

// "Ann <ann@x>" as "Ann"; "" without a display name.
std::string display_name(std::string_view from) {
  auto lt = from.find('<');
  if (lt == std::string_view::npos) return {};
  auto name = std::string(trim(from.substr(0, lt)));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  return name;
}

void percent(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~')
      out += static_cast<char>(c);
    else if (c == ' ')
      out += '+';
    else {
      out += '%';
      append_hex(out, c, true);
    }
  }
}

}  // namespace

std::string_view webhook_event_of(DeliveryEvent e) {
  switch (e) {
    case DeliveryEvent::Processed: return "processed";
    case DeliveryEvent::Delivered: return "delivered";
    case DeliveryEvent::SoftBounce:
    case DeliveryEvent::HardBounce: return "bounce";
    case DeliveryEvent::Spam: return "spam";
    case DeliveryEvent::Open: return "open";
    case DeliveryEvent::Click: return "click";
    case DeliveryEvent::Unsubscribe: return "unsubscribe";
    case DeliveryEvent::Reject: return "reject";
  }
  return "processed";
}

bool webhook_wants(const config::Webhook& hook, const ScheduledEvent& e) {
  const auto name = webhook_event_of(e.planned.event);
  if (!hook.events.empty() && std::find(hook.events.begin(), hook.events.end(), name) == hook.events.end())
    return false;
  if (hook.usernames.empty()) return true;
  const auto& who = e.message->identity_name;
  return std::find(hook.usernames.begin(), hook.usernames.end(), who) != hook.usernames.end();
}

json::object webhook_fields(const ScheduledEvent& e, const config::Webhook& hook, bool library_names) {
  const auto& p = e.planned;
  const auto& m = *e.message;
  json::object o;
  o["event"] = config::webhook_event_out(webhook_event_of(p.event), library_names);
  o["time"] = rfc3339_seconds(p.due);  // as the captured payloads
  o["sendtime"] = micro_time(m.accepted_at);
  o["email_id"] = m.message_id;
  o["srchost"] = m.client_ip;
  o["sender"] = m.sender;
  o["from"] = m.from.empty() ? m.from_address : m.from;
  o["from_address"] = m.from_address;
  o["from_name"] = display_name(m.from);
  o["subject"] = m.subject;
  o["message-id"] = m.message_id_header;
  if (m.identity_kind == "user" || m.identity_kind == "api_key") o["auth"] = m.identity_name;
  if (p.event == DeliveryEvent::Processed) {
    json::array rcpts;
    for (const auto& r : m.recipients) rcpts.emplace_back(r);
    o["recipients"] = std::move(rcpts);
  } else {
    o["rcpt"] = p.recipient;
  }
  switch (p.event) {
    case DeliveryEvent::Delivered:
      o["host"] = p.host;
      o["message"] = p.reply;
      o["context"] = p.context.empty() ? "Unavailable" : p.context;  // as the captured delivered payload
      break;
    case DeliveryEvent::SoftBounce:
    case DeliveryEvent::HardBounce:
      o["bounce"] = p.event == DeliveryEvent::HardBounce ? "hard" : "soft";
      o["host"] = p.host;
      o["message"] = p.reply;
      o["context"] = p.context;
      break;
    case DeliveryEvent::Reject:
      o["message"] = p.reply;
      o["context"] = p.context;
      break;
    case DeliveryEvent::Click:
      o["url"] = p.url;
      [[fallthrough]];
    case DeliveryEvent::Open:
      o["user-agent"] = "Mozilla/5.0 (relaymock)";
      break;
    default:
      break;
  }
  // The headers the hook names, as the message has them.
  for (const auto& name : hook.headers)
    for (const auto& [k, v] : m.headers)
      if (iequals(k, name)) {
        o[name] = v;
        break;
      }
  return o;
}

std::string form_encode(const json::object& fields) {
  std::string out;
  auto put = [&out](std::string_view k, std::string_view v) {
    if (!out.empty()) out += '&';
    percent(out, k);
    out += '=';
    percent(out, v);
  };
  for (const auto& kv : fields) {
    if (kv.value().is_array()) {
      for (const auto& v : kv.value().as_array())
        put(kv.key(), v.is_string() ? std::string_view(v.as_string()) : std::string_view());
    } else if (kv.value().is_string()) {
      put(kv.key(), kv.value().as_string());
    } else {
      put(kv.key(), json::serialize(kv.value()));
    }
  }
  return out;
}

WebhookBody webhook_body(const ScheduledEvent& e, const config::Webhook& hook, bool library_names) {
  auto fields = webhook_fields(e, hook, library_names);
  if (hook.json) return {"application/json", json::serialize(fields)};
  return {"application/x-www-form-urlencoded", form_encode(fields)};
}

}  // namespace relaymock::relay
