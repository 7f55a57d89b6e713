// Writing a message for the provider's /v3/email/send, through GMime 3: the
// header fields (RFC 2047 words where a value is not ASCII, folded as RFC
// 5322 says), then the body as text/plain, text/html or
// multipart/alternative, inside multipart/related for inline images and
// multipart/mixed for attachments; each part in the lightest transfer
// encoding that fits (7bit, quoted-printable, base64), CRLF line ends. Pure:
// no clock, no I/O; the caller gives the Message-ID, the Date and a source of
// boundary tokens.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relaymock::mime {

struct FilePart {
  std::string filename;
  std::string mimetype;  // type/subtype
  std::string data;      // decoded bytes
};

struct OutgoingMessage {
  std::string from;  // "Name <addr>" or "addr"
  std::vector<std::string> to, cc;  // the same forms; Bcc never becomes a header
  std::string subject;
  std::optional<std::string> text, html;
  std::vector<std::pair<std::string, std::string>> custom_headers;
  std::vector<FilePart> attachments, inlines;
  std::string message_id;  // without the angle brackets
  std::string date;        // RFC 5322
};

// Each call returns a token no body will contain (the caller makes it random).
using BoundarySource = std::function<std::string()>;

std::string build_message(const OutgoingMessage& m, const BoundarySource& boundary);

}  // namespace relaymock::mime
