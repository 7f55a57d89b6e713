// Reading a message, through GMime 3: header fields (unfolded, RFC 2047
// words decoded from any charset iconv knows), the text and HTML bodies as
// UTF-8, and the attachments' names (RFC 2231), types and sizes. Lenient:
// a malformed message still yields what can be read. This is the only
// place that parses mail: the From rule, the store and the API all read
// the same answer from here.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/address.hpp"

namespace relaymock::mime {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The header section (up to the first empty line), unfolded, values decoded.
HeaderList parse_headers(std::string_view content);
// The same with the values as written (unfolded, not decoded): for address
// fields, whose encoded names must not be decoded before they are parsed.
HeaderList raw_headers(std::string_view content);

// Lower case for search: UTF-8 through GLib's Unicode tables; bytes that
// are not valid UTF-8 are lowered as ASCII.
std::string utf8_lower(std::string_view s);
// First value of a header, case-insensitive name; empty when absent.
std::string header_value(const HeaderList& h, std::string_view name);
// Every value of a header that may repeat (To, Cc), in order.
std::vector<std::string> header_values(const HeaderList& h, std::string_view name);

// RFC 2047 encoded words (=?charset?B|Q?...?=) to UTF-8, in any charset the
// system's iconv converts (UTF-8, ISO-8859-*, windows-125*, KOI8-R,
// ISO-2022-JP, Shift_JIS, GB2312, ...).
std::string decode_words(std::string_view value);

// Addresses of an address-list header ("A <a@x>, b@y", groups included), as a@x, b@y.
std::vector<std::string> address_list(std::string_view value);

// The From: header's sender, as the From rule checks it and the store shows
// it: the first mailbox of the first From field (inside a group too). A
// value that is not one clean mailbox, e.g. "<a@x> <b@y>", yields what the
// parser makes of it, and both readers see the same.
struct From {
  std::optional<Mailbox> mailbox;
  std::string text;  // the address as shown ("a@x"), or the raw value when unparsable
};
From from_header(std::string_view content);

// What the store and the API v3 read of a message, in one parse of its
// header section: the From (as from_header), the addresses of every To, Cc
// and Bcc field (read from the raw values, so an encoded display name can
// never split an address), and the Subject.
struct Summary {
  From from;
  std::vector<std::string> to, cc, bcc;
  std::string subject;
  std::vector<std::string> x_tags;  // each X-Tags field's value, decoded
};
Summary summarize(std::string_view content);

// Exposed for the fuzz target that proves them equal wherever the first
// answers: a fast reader for the plain address shapes nearly all mail
// uses (nullopt for anything else), and GMime's reader for everything.
std::optional<std::vector<std::string>> simple_addresses(std::string_view raw);
std::vector<std::string> gmime_addresses(std::string_view raw);

struct Attachment {
  std::string name;
  std::string type;
  std::uint64_t size = 0;  // decoded bytes
  // Where it sits in the tree, numbered as Mailpit (enmime) numbers parts:
  // a top-level multipart's children are "1", "2", ..., theirs "2.1", ...;
  // a message that is not multipart has the one part "1".
  std::string part_id;
  std::string content_id;   // without < >
  std::string disposition;  // "attachment", "inline" or ""
  // Shown inside the HTML (a cid: image) rather than listed to download:
  // a Content-ID, or an inline disposition, on a part that is not a body.
  bool is_inline = false;
};

struct MessageParts {
  HeaderList headers;
  std::string text;  // the first text/plain part that is not an attachment, as UTF-8
  std::string html;
  bool has_text = false, has_html = false;
  std::vector<Attachment> attachments;
};

// Walks the MIME tree. A message whose structure is nested past what any
// mail program writes is read as one flat part (a parser's recursion must
// not be the client's to choose).
MessageParts parse_message(std::string_view content);

// One part's decoded bytes (base64 and quoted-printable undone; text is
// not converted), by its part_id, or by its Content-ID when `by_cid`.
struct PartContent {
  std::string type;
  std::string name;
  std::string bytes;
};
std::optional<PartContent> part_content(std::string_view content, std::string_view id, bool by_cid = false);
// Every part with a Content-ID, in one parse, by its id; at most
// `max_bytes` of decoded content in all (the rest left out).
std::vector<std::pair<std::string, PartContent>> parts_with_content_id(std::string_view content, std::size_t max_bytes);

// An address with its display name, as a UI shows it.
struct NamedAddress {
  std::string name;     // RFC 2047 decoded; empty when none
  std::string address;  // may lack an @ for a broken value
};
std::vector<NamedAddress> named_addresses(std::string_view raw);

// The Date header as seconds since the epoch (RFC 5322 and the obsolete
// forms GMime reads), or nullopt.
std::optional<std::int64_t> parse_date(std::string_view value);

// The visible text of an HTML document: tags dropped (script and style
// with their content), the common entities decoded, whitespace collapsed.
// For snippets and search, not for display.
std::string html_to_text(std::string_view html);

}  // namespace relaymock::mime
