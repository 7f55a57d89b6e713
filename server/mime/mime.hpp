// Reading a captured message for the API: header fields (unfolded, RFC 2047
// words decoded), the text and HTML bodies, and the attachments' names, types
// and sizes. Tolerant: a malformed message still yields what can be read.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relaymock::mime {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The header section (up to the first empty line), unfolded, values decoded.
HeaderList parse_headers(std::string_view content);
// First value of a header, case-insensitive name; empty when absent.
std::string header_value(const HeaderList& h, std::string_view name);
// Every value of a header that may repeat (To, Cc), in order.
std::vector<std::string> header_values(const HeaderList& h, std::string_view name);

// RFC 2047 encoded words (=?charset?B|Q?...?=) to UTF-8. UTF-8, US-ASCII and
// ISO-8859-1 are converted; a word in another charset is left as written.
std::string decode_words(std::string_view value);

// Addresses of an address-list header ("A <a@x>, b@y"), as a@x, b@y.
std::vector<std::string> address_list(std::string_view value);

struct Attachment {
  std::string name;
  std::string type;
  std::uint64_t size = 0;  // decoded bytes
};

struct MessageParts {
  HeaderList headers;
  std::string text;  // the first text/plain part that is not an attachment, decoded to UTF-8 where known
  std::string html;
  bool has_text = false, has_html = false;
  std::vector<Attachment> attachments;
};

// Walks the MIME tree (bounded depth).
MessageParts parse_message(std::string_view content);

std::string decode_quoted_printable(std::string_view in);

}  // namespace relaymock::mime
