// One event as a webhook's POST body, in the provider's field names
// (../shared/reference/smtp2go-observed.md, "Webhooks"): processed per
// message with `recipients`, the others per recipient with `rcpt`; JSON or
// form-encoded as the hook asks. Pure: the event and the hook in, bytes out.
#pragma once
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "relay/outcome_scheduler.hpp"

namespace relaymock::relay {

// The event's name among a hook's events (the docs' names): processed,
// delivered, bounce, spam, unsubscribe, reject, click, open.
std::string_view webhook_event_of(policy::DeliveryEvent e);

// Does this hook want this event of this message (its events, its usernames)?
bool webhook_wants(const config::Webhook& hook, const ScheduledEvent& e);

// The payload's fields, in order.
boost::json::object webhook_fields(const ScheduledEvent& e, const config::Webhook& hook, bool library_names);

// application/x-www-form-urlencoded: a list as the key repeated.
std::string form_encode(const boost::json::object& fields);

struct WebhookBody {
  std::string content_type;
  std::string bytes;
};
WebhookBody webhook_body(const ScheduledEvent& e, const config::Webhook& hook, bool library_names);

}  // namespace relaymock::relay
