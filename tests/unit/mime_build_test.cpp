// The message writer behind /v3/email/send, checked against the reader the
// HTTP API uses (mime/mime): what one writes, the other must read back.
#include <gtest/gtest.h>

#include "mime/mime.hpp"
#include "mime/mime_build.hpp"
#include "util/base64.hpp"

using namespace relaymock;
using namespace relaymock::mime;

namespace {

BoundarySource counter() {
  auto n = std::make_shared<int>(0);
  return [n] { return "b" + std::to_string(++*n); };
}

std::size_t longest_line(const std::string& s) {
  std::size_t best = 0, start = 0;
  while (start <= s.size()) {
    auto nl = s.find("\r\n", start);
    auto end = nl == std::string::npos ? s.size() : nl;
    best = std::max(best, end - start);
    if (nl == std::string::npos) break;
    start = nl + 2;
  }
  return best;
}

}  // namespace

TEST(MimeBuild, Base64KnownVectorsAndLineLength) {
  EXPECT_EQ(base64_encode_lines(""), "");
  EXPECT_EQ(base64_encode_lines("f"), "Zg==\r\n");
  EXPECT_EQ(base64_encode_lines("fo"), "Zm8=\r\n");
  EXPECT_EQ(base64_encode_lines("foo"), "Zm9v\r\n");
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes += static_cast<char>(i * 7);
  auto enc = base64_encode_lines(bytes);
  EXPECT_EQ(longest_line(enc), 76u);
  EXPECT_EQ(base64_decode_lenient(enc), bytes);
}

OutgoingMessage basic() {
  OutgoingMessage m;
  m.from = "Ops <ops@example.com>";
  m.to = {"b@example.org"};
  m.subject = "hello";
  m.message_id = "id1@relaymock.test";
  m.date = "Fri, 27 Nov 2026 20:00:00 +0000";
  return m;
}

// Every line ends in CRLF: no bare LF or CR anywhere.
bool crlf_only(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
    if (s[i] == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n')) return false;
  }
  return true;
}

TEST(MimeBuild, TextThatIsNot7BitIsEncodedAndReadsBack) {
  auto m = basic();
  m.text = "caf\xC3\xA9 = 1 \nline with trailing space \n" + std::string(200, 'x') + "\nend\t";
  auto msg = build_message(m, counter());
  EXPECT_LE(longest_line(msg), 78u) << msg;
  EXPECT_TRUE(crlf_only(msg));
  EXPECT_EQ(msg.find("7bit"), std::string::npos);
  // Line breaks come back as CRLF, everything else byte for byte.
  std::string expected = "caf\xC3\xA9 = 1 \r\nline with trailing space \r\n" + std::string(200, 'x') + "\r\nend\t";
  EXPECT_EQ(parse_message(msg).text, expected);
}

TEST(MimeBuild, LongNonAsciiSubjectsAreEncodedAndFolded) {
  auto m = basic();
  m.subject.clear();
  for (int i = 0; i < 40; ++i) m.subject += "\xE2\x82\xAC";  // 40 euro signs, 120 octets
  m.text = "x";
  auto msg = build_message(m, counter());
  auto head = msg.substr(0, msg.find("\r\n\r\n"));
  // GMime folds; its encoded words may pass RFC 2047's 75 characters, never SMTP's 998.
  EXPECT_LE(longest_line(head), 998u) << head;
  EXPECT_NE(head.find("=?"), std::string::npos);
  EXPECT_EQ(header_value(parse_message(msg).headers, "Subject"), m.subject);
}

TEST(MimeBuild, NoLineOver998OctetsWhateverTheHeaders) {
  auto m = basic();
  m.subject.clear();
  for (int i = 0; i < 1000; ++i) m.subject += "\xE2\x82\xAC";
  m.text = "x";
  m.custom_headers = {{"X-Long", std::string(2000, 'a')}, {"X-Words", std::string(300, 'b') + " " + std::string(1200, 'c')}};
  auto msg = build_message(m, counter());
  EXPECT_LE(longest_line(msg), 998u);
  auto parts = parse_message(msg);
  EXPECT_EQ(header_value(parts.headers, "Subject"), m.subject);
  EXPECT_EQ(header_value(parts.headers, "X-Long"), std::string(2000, 'a'));
}

TEST(MimeBuild, MailboxesAreQuotedOrEncodedAsNeeded) {
  for (std::string from : {"a@example.com", "Ann Lee <a@example.com>", "Lee, Ann <a@example.com>",
                           "\"Ann\" <a@example.com>", "Zo\xC3\xAB <a@example.com>"}) {
    auto m = basic();
    m.from = from;
    m.text = "x";
    auto msg = build_message(m, counter());
    auto s = summarize(msg);
    EXPECT_EQ(s.from.text, "a@example.com") << from << "\n" << msg;
    ASSERT_TRUE(s.from.mailbox) << from;
  }
  auto m = basic();
  m.from = "Lee, Ann <a@example.com>";
  m.text = "x";
  EXPECT_NE(build_message(m, counter()).find("\"Lee, Ann\" <a@example.com>"), std::string::npos);
}

TEST(MimeBuild, TextOnlyIsOnePartIn7bitWhenItCan) {
  auto m = basic();
  m.text = "hi\nthere\n";
  auto msg = build_message(m, counter());
  // 7bit is the default transfer encoding: GMime writes no header for it.
  EXPECT_NE(msg.find("Content-Type: text/plain; charset=utf-8\r\n\r\nhi\r\nthere\r\n"), std::string::npos) << msg;
  EXPECT_TRUE(crlf_only(msg));
  EXPECT_EQ(msg.find("multipart"), std::string::npos);
  EXPECT_NE(msg.find("Message-ID: <id1@relaymock.test>\r\n"), std::string::npos);
  EXPECT_NE(msg.find("MIME-Version: 1.0\r\n"), std::string::npos);
}

TEST(MimeBuild, EverythingReadsBack) {
  OutgoingMessage m;
  m.from = "J\xC3\xBCrgen <j@example.com>";
  for (int i = 0; i < 30; ++i) m.to.push_back("Person " + std::to_string(i) + " <p" + std::to_string(i) + "@example.org>");
  m.cc = {"c@example.org"};
  m.subject = "Rechnung f\xC3\xBCr Mai";
  m.text = "Gr\xC3\xBC\xC3\x9F" "e\n";
  m.html = "<p>Gr\xC3\xBC\xC3\x9F" "e <img src=\"cid:logo.png\"></p>";
  m.custom_headers = {{"X-Campaign", "spring"}, {"Reply-To", "help@example.com"}};
  m.attachments = {{"invoice.pdf", "application/pdf", std::string("%PDF-1.4\0\x01\x02", 11)}};
  m.inlines = {{"logo.png", "image/png", "\x89PNG...."}};
  m.message_id = "id2@relaymock.test";
  m.date = "Fri, 27 Nov 2026 20:00:00 +0000";
  auto msg = build_message(m, counter());

  // The header section: no line over 78 + CRLF, even with 30 recipients.
  auto headers_end = msg.find("\r\n\r\n");
  EXPECT_LE(longest_line(msg.substr(0, headers_end)), 78u);

  auto parts = parse_message(msg);
  EXPECT_EQ(header_value(parts.headers, "Subject"), "Rechnung f\xC3\xBCr Mai");
  EXPECT_EQ(header_value(parts.headers, "From"), "J\xC3\xBCrgen <j@example.com>");
  EXPECT_TRUE(crlf_only(msg));
  EXPECT_EQ(summarize(msg).to.size(), 30u);
  EXPECT_EQ(header_value(parts.headers, "X-Campaign"), "spring");
  EXPECT_TRUE(parts.has_text);
  EXPECT_EQ(parts.text, "Gr\xC3\xBC\xC3\x9F" "e\r\n");
  EXPECT_TRUE(parts.has_html);
  EXPECT_EQ(parts.html, "<p>Gr\xC3\xBC\xC3\x9F" "e <img src=\"cid:logo.png\"></p>");
  ASSERT_EQ(parts.attachments.size(), 2u);
  bool pdf = false, logo = false;
  for (const auto& a : parts.attachments) {
    if (a.name == "invoice.pdf") pdf = a.type == "application/pdf" && a.size == 11;
    if (a.name == "logo.png") logo = a.type == "image/png" && a.size == 8;
  }
  EXPECT_TRUE(pdf);
  EXPECT_TRUE(logo);
  EXPECT_NE(msg.find("Content-Type: multipart/mixed"), std::string::npos);
  EXPECT_NE(msg.find("Content-Type: multipart/related"), std::string::npos);
  EXPECT_NE(msg.find("Content-Type: multipart/alternative"), std::string::npos);
  EXPECT_NE(msg.find("Content-ID: <logo.png>"), std::string::npos);
}

// The API bounds a file name to 255 bytes, a media type to 127/127 and a
// header name to 100: at those bounds every line the writer makes fits 998.
TEST(MimeBuild, EveryFieldAtTheApisBoundsFitsALine) {
  std::vector<std::function<void(OutgoingMessage&)>> cases = {
      [](OutgoingMessage& m) { m.subject = std::string(2000, 's'); },
      [](OutgoingMessage& m) { m.from = std::string(1500, 'n') + " <ops@example.com>"; },
      [](OutgoingMessage& m) { m.to = {std::string(64, 'a') + "@" + std::string(251, 'd') + ".org"}; },
      [](OutgoingMessage& m) { for (int i = 0; i < 100; ++i) m.to.push_back("u" + std::to_string(i) + "@example.org"); },
      [](OutgoingMessage& m) { m.text = std::string(5000, 'x'); },
      [](OutgoingMessage& m) { m.html = std::string(5000, 'x'); },
      [](OutgoingMessage& m) { m.attachments = {{std::string(251, 'f') + ".txt", "text/" + std::string(127, 'p'), "d"}}; },
      [](OutgoingMessage& m) { m.html = "<img>"; m.inlines = {{std::string(251, 'f') + ".png", "image/png", "d"}}; },
      [](OutgoingMessage& m) { m.custom_headers = {{"X-" + std::string(98, 'h'), std::string(990, 'v')}}; },
      [](OutgoingMessage& m) {
        std::string v;
        for (int i = 0; i < 800; ++i) v += "\xC3\xA9";
        m.custom_headers = {{"X-U", v}};
      },
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto m = basic();
    m.text = "x";
    cases[i](m);
    auto msg = build_message(m, counter());
    EXPECT_LE(longest_line(msg), 998u) << "case " << i;
  }
}
