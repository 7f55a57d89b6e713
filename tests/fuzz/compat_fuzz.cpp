// What the Mailpit and MailHog doors read from bytes a client or another
// server chose: a message as MailHog reads it (header map, nested MIME), a
// JSON body read as Go reads it and written back as Go writes it (which
// must parse), spamd's report, the links of an HTML page and of text, and
// the header edits a release makes, and Mailpit's HTML check.
#include <boost/json.hpp>
#include <cstdint>
#include <string_view>

#include "http/go_json.hpp"
#include "http/header_edit.hpp"
#include "http/html_check.hpp"
#include "http/link_check.hpp"
#include "http/mailhog_message.hpp"
#include "http/mailpit_body.hpp"
#include "http/spamd_report.hpp"

using namespace relaymock;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t which = data[0] % 6;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (which) {
    case 0: {
      store::Message m;
      m.id = "1abcde-fuzz";
      m.helo = "fuzz";
      m.envelope_from = "a:b,c:d@e";
      m.envelope_to = {"x@y", "r1,r2:z@w"};
      auto built = http::mailhog::build(m, in, "mailhog.example");
      auto text = http::go_json(http::mailhog::message_json(m, built));
      // What MailHog's clients read must be JSON (nested parts nest deep:
      // Boost's default limit of 32 levels is not the clients').
      boost::json::parse_options deep;
      deep.max_depth = 1000;
      boost::system::error_code ec;
      (void)boost::json::parse(text, ec, {}, deep);
      if (ec) __builtin_trap();
      (void)http::mailhog::serialized(built);
      break;
    }
    case 1: {
      http::GoBody body(in);
      if (body.ok()) {
        boost::system::error_code ec;
        (void)boost::json::parse(http::go_json(body.root()), ec);
        if (ec) __builtin_trap();
        std::string s;
        std::vector<std::string> v;
        (void)body.string("To", s);
        (void)body.strings("IDs", v);
      }
      break;
    }
    case 2: (void)http::parse_spamd_report(std::string(in)); break;
    case 3: (void)http::extract_links(in, in); break;
    case 4: {
      auto edited = http::set_header(http::remove_headers(in, {"Bcc", "Return-Path"}), "Message-ID", "<x@mailpit>");
      // Only header lines change: the body after the first blank line stays.
      auto blank = in.find("\r\n\r\n");
      if (blank != std::string_view::npos && in.substr(0, blank).find('\n') == std::string_view::npos &&
          !edited.ends_with(in.substr(blank)))
        __builtin_trap();
      break;
    }
    case 5: {
      // Mailpit's HTML check on any page: its JSON must be written.
      boost::system::error_code ec;
      (void)boost::json::parse(http::go_json(http::html_check(in)), ec);
      if (ec) __builtin_trap();
      break;
    }
  }
  return 0;
}
