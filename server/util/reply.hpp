// A reply as a value: a code, an optional RFC 3463 enhanced code, and text
// lines. SMTP sends it (smtp/reply.hpp), the config overrides it, the API v3
// and the events show it.
#pragma once
#include <string>
#include <string_view>
#include <initializer_list>
#include <utility>
#include <vector>

namespace relaymock {

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

// `text` with each {name} placeholder in `values` replaced by its value;
// other braces stay as written.
using Placeholders = std::initializer_list<std::pair<std::string_view, std::string_view>>;
std::string fill_placeholders(std::string_view text, Placeholders values);

// The text's lines (split at '\n').
std::vector<std::string_view> reply_lines(std::string_view text);

}  // namespace relaymock
