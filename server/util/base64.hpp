// Base64 (RFC 4648): strict for what must be exact (AUTH, the API's blobs),
// lenient for MIME bodies, and in 76-column lines for writing MIME.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace relaymock {

// Strict: padding optional, nothing but the alphabet; nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view in);
// Skips line breaks and stray characters, stops at '=' (RFC 2045 6.8).
std::string base64_decode_lenient(std::string_view in);
std::string base64_encode(std::string_view in);
// Lines of 76 characters, each ended by CRLF (RFC 2045).
std::string base64_encode_lines(std::string_view in);
// The value of one base64 digit, or -1.
int base64_value(char c);

}  // namespace relaymock
