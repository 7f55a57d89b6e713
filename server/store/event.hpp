// One decision or protocol outcome: what the events API serves.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "store/message.hpp"

namespace relaymock::store {

// One account rule as the decision walked it (policy/check.hpp, as text).
struct EventCheck {
  std::string name;
  std::string result;  // pass | fail | skipped | not_reached
  std::string compared;
  std::string fix;
};

struct Event {
  std::uint64_t seq = 0;  // increasing, never reused (also across restarts in durable mode)
  TimePoint time;
  std::string session_id;
  std::string client_ip;
  std::uint16_t port = 0;
  std::string stage;  // connect | auth | mail | rcpt | data
  std::string rule;   // policy rule id, or a protocol one (syntax_error, size_exceeded, timeout, ...)
  std::string identity_kind;  // none | user | ip
  std::string identity_name;
  std::string reply;   // the full reply sent, lines joined by '\n' ("550-a\n550 b")
  std::string detail;  // why
  std::string message_id;  // accepted: the message's id
  // The envelope as far as the transaction had come: the sender, and the
  // recipient asked (rcpt) or those accepted (data).
  std::string sender;
  std::vector<std::string> recipients;
  // A decision's checks in order; empty for protocol and scenario events.
  std::vector<EventCheck> checks;
};

}  // namespace relaymock::store
