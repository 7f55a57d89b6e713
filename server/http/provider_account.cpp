#include "http/provider_account.hpp"

#include <boost/json.hpp>

#include "config/provider_account.hpp"
#include "http/provider_errors.hpp"
#include "util/dates.hpp"

namespace relaymock::http {

namespace json = boost::json;
using beast_http::status;

namespace {

// The field that names what a change touched, for the event's detail.
std::string named(const json::object& fields) {
  for (const char* k : {"username", "domain", "email_address", "ip_address", "id", "description", "mode"})
    if (auto* v = fields.if_contains(k); v && v->is_string()) return std::string(k) + " " + std::string(v->as_string());
  if (auto* v = fields.if_contains("allowed_senders"); v && v->is_array())
    return std::to_string(v->as_array().size()) + " allowed_senders";
  return {};
}

}  // namespace

Response provider_account(ApiContext& ctx, std::string_view endpoint, json::object body, const policy::Identity& key,
                          const Peer& peer, const std::string& request_id, unsigned version) {
  auto answer = [&](const config::Config& cfg, const json::object& fields) {
    return json_response(status::ok,
                         json::object{{"request_id", request_id},
                                      {"data", config::account_answer(cfg, endpoint, fields)}},
                         version);
  };
  if (config::account_view(endpoint)) return answer(*ctx.engine.config(), body);
  if (!ctx.account)
    return failure_response({status::not_found, "the account API is off on this door", kApiException}, request_id,
                            version);

  config::AccountChange change{std::string(endpoint), std::move(body), rfc3339(ctx.clock.now()), key.name};
  auto r = ctx.account->change(change);
  const relay::Origin origin{"api-" + request_id, peer.ip, peer.port, false};
  const std::string name = named(change.fields);
  const std::string what = std::string(endpoint) + (name.empty() ? "" : ": " + name);
  if (r.error) {
    ctx.service.record(relay::RecordKind::Account, origin, "account", "account_change_refused", key, nullptr,
                       what + ": " + r.error->message);
    return failure_response(field_error(r.error->field, r.error->message), request_id, version);
  }
  ctx.service.record(relay::RecordKind::Account, origin, "account", "account_changed", key, nullptr, what);
  return answer(*r.config, change.fields);
}

}  // namespace relaymock::http
