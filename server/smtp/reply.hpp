// SMTP replies on the wire (the value type, util/reply.hpp, is shared with
// the config and the API).
#pragma once
#include <string>
#include <string_view>

#include "util/reply.hpp"

namespace relaymock::smtp {

// Reply lines never exceed this many octets including CRLF (RFC 5321 4.5.3.1.5).
inline constexpr std::size_t kMaxReplyLine = 512;

// Control characters (other than the '\n' between lines) as \xNN.
std::string printable(std::string_view text);

// Appends the wire form (control characters escaped): "550-line1\r\n550 line2\r\n". Long lines are wrapped
// so that no line exceeds kMaxReplyLine. With enhanced codes each line carries one.
void append_reply(std::string& out, const Reply& r, bool enhanced_codes);

}  // namespace relaymock::smtp
