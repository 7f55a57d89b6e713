// Sending a message to another SMTP server, as Mailpit's and MailHog's
// release do: libcurl's SMTP client (STARTTLS, implicit TLS, AUTH), blocking,
// so run it on the worker pool (http/offload.hpp). Bounded: 10 s to connect,
// 60 s in all.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace relaymock::http {

struct SmtpTarget {
  std::string host;
  std::uint16_t port = 25;
  bool starttls = false;        // require STARTTLS
  bool tls = false;             // implicit TLS (smtps)
  bool allow_insecure = false;  // skip certificate checks
  std::string username, password;
  std::string helo = "relaymock";  // the name sent in EHLO
};

// Empty on success, else what went wrong in a sentence ("connection refused
// by 127.0.0.1:2525", "RCPT failed: 550").
std::string smtp_send(const SmtpTarget& to, const std::string& from, const std::vector<std::string>& recipients,
                      std::string message);

}  // namespace relaymock::http
