// What is read out of a captured message after capture, off the SMTP event
// loops (relay/indexer parses it with GMime): the fields the UI, the search
// grammar and the compatible APIs show and filter on. Plain data; the store
// keeps it beside the message and recomputes it at start (it is never
// written to the durable store).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/message.hpp"

namespace relaymock::store {

struct NamedAddress {
  std::string name;     // display name, RFC 2047 decoded; may be empty
  std::string address;  // local@domain
  bool operator==(const NamedAddress&) const = default;
};

struct Derived {
  std::string message_id;  // the Message-ID header, without < >
  std::optional<TimePoint> date;  // the Date header, when it parses
  NamedAddress from;
  std::vector<NamedAddress> to, cc, reply_to;
  // The Bcc header's addresses, then the envelope recipients that no To, Cc
  // or Bcc header names (as a submission server would have seen them).
  std::vector<NamedAddress> bcc;
  std::size_t bcc_from_header = 0;  // the first ones of bcc
  bool has_bcc_header = false;
  std::string return_path;          // the header's, else the envelope sender
  bool has_return_path_header = false;
  std::uint32_t attachments = 0;  // parts with a filename or Content-Disposition: attachment
  std::uint32_t inlines = 0;      // inline parts with a Content-ID (cid: images)
  bool has_text = false, has_html = false;
  // The first 200 characters of the text (the HTML's, stripped, when there
  // is HTML), whitespace collapsed, then "..." when cut: Mailpit's snippet.
  std::string snippet;
  // Lower-cased, whitespace collapsed: headers, text and attachment names,
  // at most kMaxSearchText bytes, for free-text search.
  std::string search_text;
  static constexpr std::size_t kMaxSearchText = 8 * 1024;
  // Lower-cased copies the search terms compare with: an address field as
  // "name\naddress\n" per address (a term matches a name or an address).
  struct Lowered {
    std::string from, to, cc, bcc, reply_to, subject, message_id;
  } lower;
};

}  // namespace relaymock::store
