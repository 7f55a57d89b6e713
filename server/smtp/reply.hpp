// SMTP replies: a code, an optional RFC 3463 enhanced code, and text lines.
#pragma once
#include <string>
#include <string_view>

namespace relaymock::smtp {

// Reply lines never exceed this many octets including CRLF (RFC 5321 4.5.3.1.5).
inline constexpr std::size_t kMaxReplyLine = 512;

struct Reply {
  int code = 250;
  std::string enhanced;  // "5.7.1"; empty = derived from the code class
  std::string text;      // lines separated by '\n'

  bool positive() const { return code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
};

// Parses "550 text\nmore" or "550-text\n550 more" (as written in config) into a Reply.
// Returns false if the text does not start with a 2xx-5xx code.
bool parse_reply_text(std::string_view spec, Reply& out);

// The inverse of parse_reply_text: "550-line1\n550 line2" (no CRLF, no
// enhanced code), as written in config files and shown in events.
std::string reply_spec(const Reply& r);

// Control characters (other than the '\n' between lines) as \xNN.
std::string printable(std::string_view text);

// Appends the wire form (control characters escaped): "550-line1\r\n550 line2\r\n". Long lines are wrapped
// so that no line exceeds kMaxReplyLine. With enhanced codes each line carries one.
void append_reply(std::string& out, const Reply& r, bool enhanced_codes);

}  // namespace relaymock::smtp
