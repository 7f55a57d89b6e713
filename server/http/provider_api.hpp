// The provider's HTTP API v3 (/v3/email/send, /v3/email/mime,
// /v3/stats/email_cycle) on the same policy engine and store as SMTP: an API
// key is an identity like an SMTP user, its sends pass the same rules, and
// what it sends is captured like SMTP mail.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string_view>

#include "http/api.hpp"

namespace relaymock::http {

// Set on a response that must not be sent: the HTTP server closes the
// connection instead (a scenario's disconnect).
inline constexpr const char* kDropConnection = "X-Relaymock-Drop-Connection";

// A /v3/ request whose header already settles it (a key given in
// X-Smtp2go-Api-Key that is malformed or unknown): its answer, so that the
// body, up to 72 MiB, is never read.
std::optional<Response> provider_answer_before_body(const ApiContext& ctx, const Request& header);

boost::asio::awaitable<Response> provider_api(ApiContext& ctx, const Request& req, const Peer& peer,
                                              std::string_view path);

// /v3/suppression/* (provider_suppression.cpp): `endpoint` after /v3/, the
// key and its permission checked, `body` without the caller's api_key.
bool suppression_endpoint(std::string_view endpoint);
// /v3/activity/search and /v3/stats/email_summary|email_bounces|email_spam|
// email_unsubs|email_history: from what happened after the 250.
bool activity_endpoint(std::string_view endpoint);
Response provider_activity(ApiContext& ctx, std::string_view endpoint, boost::json::object body,
                           const std::string& request_id, unsigned version);
Response provider_suppression(ApiContext& ctx, std::string_view endpoint, boost::json::object body,
                              const policy::Identity& key, const Peer& peer, const std::string& request_id,
                              unsigned version);

}  // namespace relaymock::http
