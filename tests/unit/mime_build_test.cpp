// The message writer behind /v3/email/send, checked against the reader the
// HTTP API uses (store/mime): what one writes, the other must read back.
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

TEST(MimeBuild, QuotedPrintableRoundTripsAndKeepsLinesShort) {
  std::string text = "caf\xC3\xA9 = 1 \nline with trailing space \n" + std::string(200, 'x') + "\nend\t";
  auto qp = encode_quoted_printable(text);
  EXPECT_LE(longest_line(qp), 76u);
  EXPECT_NE(qp.find("caf=C3=A9 =3D 1=20\r\n"), std::string::npos) << qp;
  EXPECT_NE(qp.find("end=09"), std::string::npos);
  // Line breaks come back as CRLF, everything else byte for byte.
  std::string expected = "caf\xC3\xA9 = 1 \r\nline with trailing space \r\n" + std::string(200, 'x') + "\r\nend\t";
  auto read = parse_message("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qp);
  EXPECT_EQ(read.text, expected);
}

TEST(MimeBuild, EncodedWordsSplitOnCharacterBoundaries) {
  EXPECT_EQ(encode_words("plain subject"), "plain subject");
  std::string s;
  for (int i = 0; i < 40; ++i) s += "\xE2\x82\xAC";  // 40 euro signs, 120 octets
  auto enc = encode_words(s);
  std::size_t start = 0;
  while (start < enc.size()) {
    auto end = enc.find("\r\n ", start);
    auto word = enc.substr(start, end == std::string::npos ? std::string::npos : end - start);
    EXPECT_LE(word.size(), 75u);
    EXPECT_EQ(word.rfind("=?UTF-8?B?", 0), 0u);
    if (end == std::string::npos) break;
    start = end + 3;
  }
  EXPECT_EQ(decode_words(enc), s);
}

TEST(MimeBuild, Mailboxes) {
  EXPECT_EQ(encode_mailbox("a@example.com"), "a@example.com");
  EXPECT_EQ(encode_mailbox("Ann Lee <a@example.com>"), "Ann Lee <a@example.com>");
  EXPECT_EQ(encode_mailbox("Lee, Ann <a@example.com>"), "\"Lee, Ann\" <a@example.com>");
  EXPECT_EQ(encode_mailbox("\"Ann\" <a@example.com>"), "Ann <a@example.com>");
  EXPECT_EQ(decode_words(encode_mailbox("Zo\xC3\xAB <z@example.com>")), "Zo\xC3\xAB <z@example.com>");
}

TEST(MimeBuild, TextOnlyIsOnePartIn7bitWhenItCan) {
  OutgoingMessage m;
  m.from = "Ops <ops@example.com>";
  m.to = {"b@example.org"};
  m.subject = "hello";
  m.text = "hi\nthere\n";
  m.message_id = "id1@relaymock.test";
  m.date = "Fri, 27 Nov 2026 20:00:00 +0000";
  auto msg = build_message(m, counter());
  EXPECT_NE(msg.find("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nhi\r\nthere\r\n"),
            std::string::npos)
      << msg;
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
  EXPECT_EQ(address_list(header_value(parts.headers, "To")).size(), 30u);
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
