// The replies an SMTP session sends when a step succeeds, as the provider's mail
// server words them today (2024 transcript), each one overridable in the
// config's `replies:` by its id. {addr} is the address the command named,
// {host} the server's hostname, {id} the message id.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "util/reply.hpp"

namespace relaymock {

struct SuccessReplies {
  Reply mail{250, "2.1.0", "sender ok."};
  Reply rcpt{250, "2.1.5", "Accepted <{addr}>"};
  Reply data{354, "", "Enter message, ending with \".\" on a line by itself"};
  Reply message{250, "2.0.0", "OK id={id}"};
  Reply auth{235, "2.7.0", "Authentication succeeded"};
  Reply starttls{220, "2.0.0", "TLS go ahead"};
  Reply quit{221, "2.0.0", "{host} closing connection"};
  // PRDR (MAIL ... PRDR with two or more recipients), in Exim's words
  // (receive.c): after the data, then one per recipient, then the message.
  Reply prdr_start{353, "", "PRDR content analysis beginning"};
  Reply prdr_rcpt{250, "2.1.5", "PRDR R=<{addr}> acceptance"};
  Reply prdr_message{250, "2.0.0", "id={id} message accepted"};
  Reply prdr_message_some{250, "2.0.0", "id={id} message accepted for some recipients"};

  struct Id {
    const char* name;   // the key in `replies:`
    const char* stage;  // where it is sent
    Reply SuccessReplies::*member;
  };
  static const std::vector<Id>& ids();
  // The reply named `id`; null: not a success reply id.
  const Reply* find(std::string_view id) const;
  // Sets the reply named `id` (false: not a success reply id).
  bool set(std::string_view id, const Reply& r);
  // What an override in `replies:` changes of a success reply: its code and
  // text; the enhanced code stays the one the step implies.
  static void override_with(Reply& slot, const Reply& r);
};

}  // namespace relaymock
