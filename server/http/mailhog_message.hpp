// A captured message as MailHog's data.Message (mailhog/data message.go):
// the envelope as Paths, Content with a header map, MIME parts split at the
// boundary, Raw. Pure: no I/O, no server (the fuzz target reads it too).
#pragma once
#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "store/message.hpp"

namespace relaymock::http::mailhog {

// mailhog/data's Content: the header section as a map (ContentFromString's
// reading: "Name: value" lines, the last of a name wins, continuation lines
// appended as they are), the body after the first blank line, the size.
struct Content {
  std::map<std::string, std::vector<std::string>> headers;  // Go's JSON sorts map keys
  std::string body;
  std::size_t size = 0;
  std::vector<Content> parts;  // MIME parts when multipart
  bool multipart = false;
};
Content content_from_string(std::string_view data, int depth = 0);

// A captured message as MailHog's data.Message: `raw` is the message's bytes.
struct Built {
  std::string id;  // MailHog's
  Content content; // with the headers MailHog adds (Message-ID, Received, Return-Path)
  std::string data;  // Raw.Data: the bytes without the line before the final dot's CRLF
};
Built build(const store::Message& m, std::string_view raw, const std::string& hostname);
boost::json::object message_json(const store::Message& m, const Built& b);
// The message as MailHog writes it out (download, release): the header map
// then the body.
std::string serialized(const Built& b);

}  // namespace relaymock::http::mailhog
