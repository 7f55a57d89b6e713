// The provider's /v3/suppression/add|view|remove (and /delete, as its
// OpenAPI names the removal): the suppression list of relay/suppressions.
// Shapes from the provider's published contract: add answers {added,
// email_address, block_description}; view takes email_address (exact, or a
// part of it with fuzzy), suppression_type(s), start_date, end_date and
// continue_token, and answers {total_results, continue_token, results[]}.
#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "http/provider_api.hpp"
#include "http/provider_errors.hpp"
#include "http/provider_fields.hpp"
#include "util/address.hpp"
#include "util/dates.hpp"
#include "util/strings.hpp"

namespace relaymock::http {

namespace json = boost::json;
using beast_http::status;

namespace {

constexpr std::size_t kPage = 100;
constexpr std::string_view kTypes[] = {"bounce", "spam", "unsubscribe", "manual"};

json::object suppression_json(const relay::Suppression& s) {
  return json::object{{"email_address", s.email_address},
                      {"reason", s.type},
                      {"suppression_type", s.type},
                      {"block_description", s.description},
                      {"timestamp", rfc3339(s.at)},
                      {"complaint", s.type == "spam" ? "spam complaint" : ""}};
}

// An address, or a whole domain.
bool suppressible(std::string_view v) {
  if (v.empty() || v.size() > 254) return false;
  if (v.find('@') == std::string_view::npos) return valid_domain(v);
  return parse_plain_address(v).has_value();
}

}  // namespace

bool suppression_endpoint(std::string_view endpoint) {
  return endpoint == "suppression/add" || endpoint == "suppression/view" || endpoint == "suppression/remove" ||
         endpoint == "suppression/delete";
}

Response provider_suppression(ApiContext& ctx, std::string_view endpoint, json::object body,
                              const policy::Identity& key, const Peer& peer, const std::string& request_id,
                              unsigned version) {
  auto ok = [&](json::object data) {
    return json_response(status::ok, json::object{{"request_id", request_id}, {"data", std::move(data)}}, version);
  };
  auto fail = [&](const Failure& f) { return failure_response(f, request_id, version); };
  if (!ctx.suppressions) return fail({status::not_found, "suppressions are off on this door", kApiException});
  Failure bad;
  const relay::Origin origin{"api-" + request_id, peer.ip, peer.port, false};

  if (endpoint == "suppression/view") {
    if (auto f = only_fields(body, {"email_address", "fuzzy", "suppression_type", "suppression_types", "start_date",
                             "end_date", "continue_token"}))
      return fail(*f);
    auto address = text_field(body, "email_address", bad);
    auto start = text_field(body, "start_date", bad), end = text_field(body, "end_date", bad);
    auto token = text_field(body, "continue_token", bad);
    if (!bad.error.empty()) return fail(bad);
    bool fuzzy = false;
    if (auto* fz = body.if_contains("fuzzy"); fz && !fz->is_null()) {
      if (!fz->is_bool()) return fail(field_error("fuzzy", "fuzzy must be true or false"));
      fuzzy = fz->as_bool();
    }
    std::vector<std::string> types;
    for (const char* name : {"suppression_type", "suppression_types"}) {
      auto* v = body.if_contains(name);
      if (!v || v->is_null()) continue;
      std::vector<const json::value*> items;
      if (v->is_array())
        for (const auto& x : v->as_array()) items.push_back(&x);
      else
        items.push_back(v);
      for (const auto* x : items) {
        if (!x->is_string() ||
            std::find(std::begin(kTypes), std::end(kTypes), std::string_view(x->as_string())) == std::end(kTypes))
          return fail(field_error(name, std::string(name) + " must be bounce, spam, unsubscribe or manual"));
        types.emplace_back(x->as_string());
      }
    }
    std::optional<TimePoint> from, to;
    if (start && !(from = provider_date(*start, false)))
      return fail(field_error("start_date", "start_date must be a date (2026-12-01), a time (2026-12-01 15:04:05) or an RFC 3339 time"));
    if (end && !(to = provider_date(*end, true)))
      return fail(field_error("end_date", "end_date must be a date (2026-12-01), a time (2026-12-01 15:04:05) or an RFC 3339 time"));
    std::size_t offset = 0;
    if (token && !token->empty()) {
      auto [p, ec] = std::from_chars(token->data(), token->data() + token->size(), offset);
      if (ec != std::errc() || p != token->data() + token->size())
        return fail(field_error("continue_token", "continue_token must be one a previous view answered"));
    }
    const std::string want = address ? ascii_lower(*address) : std::string();
    std::vector<relay::Suppression> found;
    for (auto& s : ctx.suppressions->list()) {
      const auto k = ascii_lower(s.email_address);
      if (!want.empty() && !(fuzzy ? k.find(want) != std::string::npos : k == want)) continue;
      if (!types.empty() && std::find(types.begin(), types.end(), s.type) == types.end()) continue;
      if ((from && s.at < *from) || (to && s.at >= *to)) continue;
      found.push_back(std::move(s));
    }
    json::array results;
    for (std::size_t i = offset; i < found.size() && i < offset + kPage; ++i) results.push_back(suppression_json(found[i]));
    json::object data{{"total_results", found.size()}, {"results", std::move(results)}};
    data["continue_token"] = offset + kPage < found.size() ? std::to_string(offset + kPage) : std::string();
    return ok(std::move(data));
  }

  if (endpoint == "suppression/add") {
    if (auto f = only_fields(body, {"email_address", "block_description"})) return fail(*f);
    auto address = text_field(body, "email_address", bad);
    auto description = text_field(body, "block_description", bad);
    if (!bad.error.empty()) return fail(bad);
    if (!address) return fail(field_error("email_address", "email_address is required"));
    if (!suppressible(*address))
      return fail(field_error("email_address", "'" + address->substr(0, 256) + "' is neither an address nor a domain"));
    if (description && description->size() > 200)
      return fail(field_error("block_description", "block_description takes at most 200 characters"));
    auto added = ctx.suppressions->add({*address, "manual", description.value_or(""), ctx.clock.now()});
    if (added == relay::Suppressions::Added::Full)
      return fail(field_error("email_address", "the suppression list holds at most 100000 entries; remove some first"));
    const bool is_new = added == relay::Suppressions::Added::Added;
    if (is_new) ctx.service.record(relay::RecordKind::Account, origin, "account", "account_changed", key, nullptr,
                                   "suppression/add: " + *address);
    return ok(json::object{{"added", is_new}, {"email_address", *address},
                           {"block_description", description.value_or("")}});
  }

  // suppression/remove, suppression/delete
  if (auto f = only_fields(body, {"email_address"})) return fail(*f);
  auto address = text_field(body, "email_address", bad);
  if (!bad.error.empty()) return fail(bad);
  if (!address) return fail(field_error("email_address", "email_address is required"));
  const bool removed = ctx.suppressions->remove(*address);
  if (removed)
    ctx.service.record(relay::RecordKind::Account, origin, "account", "account_changed", key, nullptr,
                       std::string(endpoint) + ": " + *address);
  return ok(json::object{{"removed", removed}, {"email_address", *address}});
}

}  // namespace relaymock::http
