#include "http/config_json.hpp"

#include <boost/json.hpp>

#include "store/codec.hpp"
#include "util/duration.hpp"

namespace relaymock::http {

namespace json = boost::json;

namespace {
using store::json_strings;
json::value rate(const std::optional<config::RateLimit>& r) {
  if (!r) return nullptr;
  return json::object{{"count", r->count}, {"per", format_duration(r->per)}};
}
}  // namespace

json::value fault_json(const config::Fault& f) {
  if (f.kind == config::Fault::Kind::SlowGreeting) return json::object{{"slow_greeting", format_duration(f.delay)}};
  if (f.kind == config::Fault::Kind::Throttle) {
    json::object o{{"throttle", f.bytes_per_second}};
    if (f.up_to > f.bytes_per_second) o["up_to"] = f.up_to;
    if (f.chance < 1.0) o["chance"] = f.chance;
    return o;
  }
  return json::string(config::fault_kind_name(f.kind));
}

json::object listener_json(const config::Listener& l) {
  json::object o{{"address", l.address}, {"port", l.port}, {"tls", config::tls_mode_name(l.tls)},
                 {"fault", fault_json(l.fault)}};
  if (!l.profile.empty()) o["profile"] = l.profile;  // else server.profile
  return o;
}

namespace {

json::object match_json(const config::ScenarioMatch& m) {
  json::object match;
  if (m.ip) match["ip"] = m.ip_text;
  if (m.port) match["port"] = *m.port;
  if (!m.user.empty()) match["user"] = m.user;
  if (!m.api_key.empty()) match["api_key"] = m.api_key;
  if (!m.sender.empty()) match["sender"] = m.sender;
  if (!m.recipient.empty()) match["recipient"] = m.recipient;
  if (!m.headers.empty()) {
    json::object h;
    for (const auto& [name, re] : m.headers) h[name] = re.text();
    match["header"] = h;
  }
  return match;
}

}  // namespace

json::object outcome_rule_json(const config::OutcomeRule& r) {
  json::object o{{"name", r.name}, {"match", match_json(r.match)}, {"outcome", config::outcome_kind_name(r.outcome)}};
  if (r.reply) o["reply"] = reply_spec(*r.reply);
  if (!r.host.empty()) o["host"] = r.host;
  if (r.after) o["after"] = format_duration(*r.after);
  if (r.outcome == config::OutcomeKind::SoftBounce) {
    o["retries"] = r.retries;
    o["retry_every"] = format_duration(r.retry_every);
    o["then"] = config::outcome_kind_name(r.then);
  }
  return o;
}

json::object webhook_json(const config::Webhook& w) {
  return json::object{{"id", w.id},
                      {"url", w.url},
                      {"events", json_strings(w.events)},
                      {"usernames", json_strings(w.usernames)},
                      {"headers", json_strings(w.headers)},
                      {"output_format", w.json ? "json" : "form"},
                      {"auth_header_type", w.auth_header_type},
                      {"auth_header_value", w.auth_header_value.empty() ? "" : "***"}};
}

json::object scenario_json(const config::Scenario& s) {
  json::object o{{"name", s.name}, {"stage", stage_name(s.stage)}, {"match", match_json(s.match)}};
  if (s.times) o["times"] = *s.times;
  if (s.every) o["every"] = *s.every;
  if (s.probability) {
    o["probability"] = *s.probability;
    o["seed"] = s.seed;
  }
  if (s.reply) o["reply"] = reply_spec(*s.reply);
  if (s.delay) o["delay"] = format_duration(*s.delay);
  if (s.disconnect) o["disconnect"] = true;
  return o;
}

json::object config_json(const config::Config& c) {
  json::object o;
  json::array listeners;
  for (const auto& l : c.server.listeners) listeners.push_back(listener_json(l));
  o["server"] = json::object{
      {"hostname", c.server.hostname},
      {"listeners", listeners},
      {"max_message_size", c.server.max_message_size},
      {"max_recipients", c.server.max_recipients},
      {"max_connections", c.server.max_connections},
      {"max_connections_per_ip", c.server.max_connections_per_ip},
      {"threads", c.server.threads},
      {"timeouts", json::object{{"command", format_duration(c.server.timeouts.command)},
                                {"data", format_duration(c.server.timeouts.data)},
                                {"tls_handshake", format_duration(c.server.timeouts.tls_handshake)}}},
      {"enhanced_status_codes", c.server.enhanced_status_codes},
      {"banner", c.server.provider_banner ? "provider" : "relaymock"},
      {"profile", c.server.profile},
      {"region", c.server.region}};
  o["tls"] = json::object{{"certificate", c.tls.certificate},
                          {"private_key", c.tls.private_key.empty() ? "" : "***"},
                          {"directory", c.tls.directory}};
  json::value quota = nullptr;
  if (c.account.monthly_quota) quota = *c.account.monthly_quota;
  o["account"] = json::object{
      {"status", c.account.closed ? "closed" : "active"},
      {"verified_domains", json_strings(c.account.verified_domains)},
      {"unverified_domains", json_strings(c.account.unverified_domains)},
      {"verified_senders", json_strings(c.account.verified_senders)},
      {"allow_blank_sender", c.account.allow_blank_sender},
      {"restrict_senders", json::object{{"mode", config::restrict_mode_name(c.account.restrict_mode)},
                                        {"entries", json_strings(c.account.restrict_entries)}}},
      {"quota", json::object{{"monthly", quota}, {"cycle_day", c.account.cycle_day}}}};
  if (c.account.quota_used_cycle) {
    auto& q = o["account"].as_object()["quota"].as_object();
    q["used"] = c.account.quota_used;
    q["used_in_cycle"] = civil_text(*c.account.quota_used_cycle);
  }
  json::array users;
  for (const auto& u : c.smtp_users)
    users.push_back(json::object{{"username", u.username},
                                 {"password", "***"},
                                 {"description", u.description},
                                 {"status", config::status_name(u.status)},
                                 {"rate_limit", rate(u.rate_limit)}});
  o["smtp_users"] = users;
  json::array ips;
  for (const auto& e : c.ip_auth)
    ips.push_back(json::object{{"ip", e.text},
                               {"description", e.description},
                               {"status", config::status_name(e.status)},
                               {"rate_limit", rate(e.rate_limit)}});
  o["ip_auth"] = ips;
  json::array scenarios;
  for (const auto& s : c.scenarios) scenarios.push_back(scenario_json(s));
  o["scenarios"] = scenarios;
  json::array outcome_rules;
  for (const auto& r : c.outcomes.rules) outcome_rules.push_back(outcome_rule_json(r));
  o["outcomes"] = json::object{{"magic_addresses", c.outcomes.magic_addresses}, {"rules", outcome_rules}};
  json::array hooks;
  for (const auto& w : c.webhooks.hooks) hooks.push_back(webhook_json(w));
  o["webhooks"] = json::object{{"ca_file", c.webhooks.ca_file},
                               {"event_names", c.webhooks.library_names ? "library" : "docs"},
                               {"timeout", format_duration(c.webhooks.timeout)},
                               {"hooks", std::move(hooks)}};
  json::array keys;
  for (const auto& k : c.api_keys)
    keys.push_back(json::object{{"key", "***"}, {"name", k.name}, {"status", config::status_name(k.status)},
                                {"rate_limit", rate(k.rate_limit)}, {"endpoints", json_strings(k.endpoints)}});
  o["api_keys"] = keys;
  json::array ns;
  for (const auto& n : c.sender_verification.nameservers) ns.emplace_back(n.address + ":" + std::to_string(n.port));
  o["sender_verification"] = json::object{
      {"mode", config::verify_mode_name(c.sender_verification.mode)},
      {"unroutable_domains", json_strings(c.sender_verification.unroutable_domains)},
      {"unknown_addresses", json_strings(c.sender_verification.unknown_addresses)},
      {"nameservers", ns},
      {"dns_timeout", format_duration(c.sender_verification.dns_timeout)},
      {"cache_ttl", format_duration(c.sender_verification.cache_ttl)},
      {"max_lookups_in_flight", c.sender_verification.max_lookups_in_flight}};
  json::object replies;
  for (const auto& [id, r] : c.replies) replies[id] = reply_spec(r);
  o["replies"] = replies;
  o["http"] = json::object{{"listen", c.http.listen}, {"admin_token", c.http.admin_token.empty() ? "" : "***"}};
  o["storage"] = json::object{{"path", c.storage.path},
                              {"max_messages", c.storage.max_messages},
                              {"max_bytes", c.storage.max_bytes}};
  static const char* levels[] = {"debug", "info", "warning", "error"};
  o["log"] = json::object{{"level", levels[static_cast<int>(c.log.level)]},
                          {"format", c.log.format == LogFormat::Json ? "json" : "text"}};
  o["source"] = c.source;
  return o;
}

}  // namespace relaymock::http
