// SASL pieces for AUTH (RFC 4954): PLAIN and CRAM-MD5 helpers (base64: util/base64).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace relaymock::smtp {

// PLAIN (RFC 4616): "authzid\0authcid\0passwd".
struct PlainCredentials {
  std::string authzid, user, password;
};
std::optional<PlainCredentials> parse_plain(std::string_view decoded);

// CRAM-MD5 (RFC 2195): lower-case hex HMAC-MD5 of the challenge keyed by the secret.
std::string cram_md5_digest(std::string_view secret, std::string_view challenge);

// Constant-time comparison, so a wrong guess leaks nothing through timing.
bool secure_equals(std::string_view a, std::string_view b);

}  // namespace relaymock::smtp
