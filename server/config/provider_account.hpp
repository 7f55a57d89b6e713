// The account as the provider's API v3 manages it (users/smtp, domain,
// single_sender_emails, allowed_senders, ip_auth, api_keys): each endpoint's
// answer read from a Config, and each change applied to one. Pure: the door
// (http/provider_account.cpp) checks the key and records the event, and
// relay/account_editor keeps the changes over the file.
#pragma once
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace relaymock::config {

// "users/smtp/add" (the path after /v3/): one of the account endpoints?
bool account_endpoint(std::string_view endpoint);
// A view reads; every other account endpoint changes the account.
bool account_view(std::string_view endpoint);
// The endpoints, for messages ("users/smtp/add, users/smtp/view, ...").
std::string account_endpoints_text();

// Every endpoint of the provider's API relaymock serves, as a key's
// permissions name them ("/email/send, /users/smtp/add, ..."), or with
// another prefix ("/v3/email/send, ...").
std::string provider_endpoints_text(std::string_view prefix = "/");
// "/email/send", "email/send" or "/v3/email/send" as "/email/send"; nullopt
// for a path that is none of them.
std::optional<std::string> normal_endpoint(std::string_view path);
// May this key call this endpoint ("/users/smtp/add")?
bool key_may_call(const ApiKey& key, std::string_view endpoint);
// The id api_keys/edit and /remove name a key by (the key itself is shown
// only once, by api_keys/add), and the key as views show it.
std::string api_key_id(const std::string& key);
std::string masked_api_key(const std::string& key);

// A field at fault, as the provider's field_validation_errors names it.
struct FieldError {
  std::string field;
  std::string message;
};

// One change as kept: its fields after validation, with what was generated
// (a password, a key) written in, so that replaying it on the same file
// gives the same account.
struct AccountChange {
  std::string endpoint;
  boost::json::object fields;
  std::string at;  // RFC 3339, when it was made
  std::string by;  // the API key's name
};

// Applies `c` to `cfg`, or returns why not and leaves `cfg` as it was.
// Fills generated values (email_password, api_key) into c.fields.
std::optional<FieldError> apply_change(Config& cfg, AccountChange& c);

// The endpoint's `data`: for a view, the entries (narrowed by a field that
// names one, e.g. username); for a change just applied, the entry it made or
// changed, or what is left after a remove.
boost::json::object account_answer(const Config& cfg, std::string_view endpoint, const boost::json::object& fields);

// "1 hour", "2 weeks", "1 month" (counted as 30 days): the provider's
// custom_ratelimit_period, both ways.
std::optional<Millis> provider_period(std::string_view text);
std::string provider_period_text(Millis d);

}  // namespace relaymock::config
