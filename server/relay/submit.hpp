// One whole message submitted at once by an HTTP door that has no SMTP
// dialogue of its own (Mailpit's /api/v1/send): the same transaction as
// SMTP's (scenarios at mail, each rcpt and end_of_data, with their delays;
// sender DNS through the one cache; the rules recipient by recipient; the
// content rule; capture), all or nothing: the first refusal ends it and
// nothing is kept, as a client that stops at its first error would see it.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "relay/service.hpp"

namespace relaymock::relay {

struct Submission {
  Origin origin;
  policy::Identity identity;
  Mailbox sender;
  std::vector<std::string> recipients;
  std::string content;
};

struct Submitted {
  bool accepted = false;
  std::string message_id;
  std::optional<Reply> refusal;  // the reply an SMTP client would have got
  std::string rule;
  bool disconnect = false;       // a scenario asked to hang up
};

boost::asio::awaitable<Submitted> submit(Service& svc, Submission s);

}  // namespace relaymock::relay
