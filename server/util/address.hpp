// Mailbox syntax for MAIL FROM / RCPT TO (RFC 5321 4.1.2, RFC 6531 for UTF-8).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace relaymock {

struct Mailbox {
  std::string local;   // as sent (quoted local parts keep their quotes)
  std::string domain;  // as sent; empty only for the null sender
  bool null() const { return local.empty() && domain.empty(); }
  std::string str() const { return null() ? std::string() : local + "@" + domain; }
};

// Parses the address inside a path such as "<a@b.c>" or a bare "a@b.c".
// On failure returns the reason in Exim's words ("domain missing or malformed"...).
// `unqualified` is set (and nullopt returned) when the address has no domain.
struct AddressResult {
  std::optional<Mailbox> mailbox;
  std::string error;        // Exim's reason, when !mailbox
  bool unqualified = false;
};
AddressResult parse_mailbox(std::string_view text);

// True for a syntactically valid domain (dot-separated labels of letters,
// digits, hyphens and UTF-8 octets) or an address literal "[...]".
bool valid_domain(std::string_view d);

// Splits "user@example.com" (no angle brackets) as written in config files.
std::optional<Mailbox> parse_plain_address(std::string_view text);

}  // namespace relaymock
