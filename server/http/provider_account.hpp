// The provider's account API v3 (/v3/users/smtp/*, /v3/domain/*,
// /v3/single_sender_emails/*, /v3/allowed_senders/*, /v3/ip_auth/*,
// /v3/api_keys/*): views answered from the account in force, changes applied
// through the AccountEditor (the next RCPT sees them) and recorded as events.
#pragma once
#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "http/api.hpp"

namespace relaymock::http {

// `endpoint` is the path after /v3/; the caller has checked the key and its
// permission. `body` without the caller's api_key.
Response provider_account(ApiContext& ctx, std::string_view endpoint, boost::json::object body,
                          const policy::Identity& key, const Peer& peer, const std::string& request_id,
                          unsigned version);

}  // namespace relaymock::http
