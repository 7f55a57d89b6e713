// What happens after the 250, planned: for one accepted message, the events
// the provider would report (processed, then per recipient delivered,
// deferrals, bounces, complaints, opens, clicks, unsubscribes, or reject for
// sandboxed mail), each with the time it is due. Pure: the config's
// `outcomes:` rules, the magic local parts and the message's facts in, a
// schedule out; relay/outcome_scheduler plays it on the controllable clock.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "util/clock.hpp"
#include "util/reply.hpp"

namespace relaymock::policy {

enum class DeliveryEvent { Processed, Delivered, SoftBounce, HardBounce, Spam, Open, Click, Unsubscribe, Reject };
// The event's name as relaymock's events give it: processed, delivered,
// soft_bounce, hard_bounce, spam, open, click, unsubscribe, reject.
const char* delivery_event_name(DeliveryEvent e);

struct PlannedEvent {
  TimePoint due;
  DeliveryEvent event = DeliveryEvent::Delivered;
  std::string recipient;  // empty for processed (the whole message)
  std::string host;       // the remote server, "mx.example.org [192.0.2.10]"
  std::string reply;      // its reply, "250 2.0.0 Ok: queued as ..." (one line)
  std::string context;    // where it answered: "RCPT TO:<x>", "DATA: 452 ..."
  std::string url;        // click: the link clicked
  std::uint32_t attempt = 0;  // delivery attempts so far (delivered, bounces)
  std::string why;        // "rule <name>", "magic address bounce@", "default", "sandbox"
};

// The facts of one accepted message the rules read.
struct MessageFacts {
  TimePoint accepted_at;
  std::string_view message_id;
  std::string_view client_ip;
  std::uint16_t port = 0;
  std::string_view user;     // SMTP username, if any
  std::string_view api_key;  // API key name, if any
  std::string_view sender;
  std::vector<std::string> recipients;
  std::string_view head;     // the header section (header rules)
  std::string_view content;  // the message, when at hand (a click's link); may be empty
  std::uint64_t size = 0;
  bool sandbox = false;
  // The suppression list: the type of the entry that suppresses a recipient
  // (bounce, spam, unsubscribe, manual), or nullopt. Unset: none is.
  std::function<std::optional<std::string>(const std::string& recipient)> suppressed;
};

// The magic local part's outcome ("bounce", "softbounce", "complaint",
// "spam", "open", "click", "unsubscribe", "delivered", "success"), the
// +tag ignored and without case; nullopt for any other address.
std::optional<config::OutcomeKind> magic_outcome(std::string_view recipient);

// Every event the message will have, in the order they are due. `first`:
// rules tried before the config's (those added through the control API).
std::vector<PlannedEvent> plan_outcomes(const config::Outcomes& cfg, const MessageFacts& m,
                                        const std::vector<config::OutcomeRule>* first = nullptr);

// The first http(s) link in the message's bytes (a click's), or "".
std::string first_link(std::string_view content);

}  // namespace relaymock::policy
