// The rules a webhook's settings follow, one place for the config file's
// `webhooks:` and the API's /webhook/add|edit: the event names (with the
// aliases one client library uses), the URL, the lists' bounds.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace relaymock::config {

// The events a webhook may ask for, as the provider's docs name them.
inline constexpr std::string_view kWebhookEvents[] = {"processed", "delivered", "bounce", "spam",
                                                      "unsubscribe", "reject",  "click",  "open"};
inline constexpr std::size_t kMaxWebhooks = 100;

// "open", or an alias ("opened", "spam_complaint", "rejected", ...), as the
// docs' name; nullopt for none.
std::optional<std::string_view> webhook_event(std::string_view name);

// The name an event goes out under: the docs' ("open"), or with
// library_names the client library's ("opened", "clicked",
// "unsubscribed", "spam_complaint").
std::string_view webhook_event_out(std::string_view docs_name, bool library_names);

// What is wrong with `w` as a field and a message, or nothing; the events are
// put in their docs' names (aliases allowed in), the duplicates dropped.
struct WebhookProblem {
  std::string field;
  std::string message;
};
std::optional<WebhookProblem> check_webhook(Webhook& w);

}  // namespace relaymock::config
