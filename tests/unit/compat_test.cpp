// The compatible doors' readers and writers: JSON as Go writes it, a
// message as MailHog reads it, header edits, spamd's report, the links a
// link check asks for, what counts as an internal address, Go-style bodies,
// password files.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "http/go_json.hpp"
#include "http/header_edit.hpp"
#include "http/html_check.hpp"
#include "http/link_check.hpp"
#include "http/mailhog_message.hpp"
#include "http/mailpit_body.hpp"
#include "http/spamd_report.hpp"
#include "util/password.hpp"

using namespace relaymock;
using namespace relaymock::http;
namespace json = boost::json;

TEST(GoJson, NumbersAsStrconvWritesAFloat64) {
  EXPECT_EQ(go_json(json::value(15.0)), "15");
  EXPECT_EQ(go_json(json::value(5.3)), "5.3");
  EXPECT_EQ(go_json(json::value(-0.2)), "-0.2");
  EXPECT_EQ(go_json(json::value(1e21)), "1e+21");
  EXPECT_EQ(go_json(json::value(1e-7)), "1e-07");
  EXPECT_EQ(go_json(json::value(0.0)), "0");
  EXPECT_EQ(go_json(json::value(std::uint64_t{18446744073709551615u})), "18446744073709551615");
  EXPECT_EQ(go_json(json::value(std::int64_t{-3})), "-3");
}

TEST(GoJson, StringsEscapedAsEncoderDoes) {
  EXPECT_EQ(go_json(json::value("<b>&\"\\\n\t\x01")), R"("\u003cb\u003e\u0026\"\\\n\t\u0001")");
  EXPECT_EQ(go_json(json::value("caf\xC3\xA9 \xE2\x80\xA8")), "\"caf\xC3\xA9 \\u2028\"");
  // Bytes that are not UTF-8 become U+FFFD, one per byte, as Go does.
  EXPECT_EQ(go_json(json::value("a\xF6\x86z\xC0\xAF")), "\"a\xEF\xBF\xBD\xEF\xBF\xBDz\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(go_json(json::value("\xED\xA0\x80")), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // a surrogate
  json::object o{{"b", 1}, {"a", json::array{nullptr, true}}};
  EXPECT_EQ(go_json(o), R"({"b":1,"a":[null,true]})");  // insertion order: the handlers' field order
}

TEST(GoJson, TimesAsRfc3339NanoInUtc) {
  using namespace std::chrono;
  system_clock::time_point t{milliseconds(1764913811120)};
  EXPECT_EQ(go_time(t), "2025-12-05T05:50:11.12Z");
  EXPECT_EQ(go_time(system_clock::time_point{seconds(1764913811)}), "2025-12-05T05:50:11Z");
}

TEST(HeaderEdit, RemovesFoldedFieldsAndKeepsTheBody) {
  std::string msg = "From: a@b\r\nBcc: x@y,\r\n z@w\r\nSubject: s\r\n\r\nBcc: in the body\r\n";
  EXPECT_EQ(remove_headers(msg, {"bcc"}), "From: a@b\r\nSubject: s\r\n\r\nBcc: in the body\r\n");
  EXPECT_EQ(set_header(msg, "subject", "new"), "From: a@b\r\nBcc: x@y,\r\n z@w\r\nsubject: new\r\n\r\nBcc: in the body\r\n");
  EXPECT_EQ(set_header("A: 1\r\n\r\nbody", "Date", "d"), "Date: d\r\nA: 1\r\n\r\nbody");
  // Every field of the name goes; the first gives its place to the new one.
  EXPECT_EQ(set_header("Date: 1\r\nX: y\r\nDate: 2\r\n\r\n", "Date", "3"), "Date: 3\r\nX: y\r\n\r\n");
}

TEST(MailHog, ContentAsContentFromStringReadsIt) {
  auto c = mailhog::content_from_string("To: a@b\r\nTo: c@d\r\nSubject: one\r\n two\r\nbroken line\r\n\r\nbody\r\n");
  EXPECT_EQ(c.headers["To"], std::vector<std::string>{"c@d"});  // the last wins
  EXPECT_EQ(c.headers["Subject"], std::vector<std::string>{"one two"});  // joined as written
  EXPECT_EQ(c.headers.size(), 2u);
  EXPECT_EQ(c.body, "body\r\n");
  EXPECT_EQ(mailhog::content_from_string("no blank line").body, "no blank line");
}

TEST(MailHog, MultipartSplitAtTheBoundaryWithTheClosingPart) {
  auto c = mailhog::content_from_string(
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
      "--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n"
      "--b2--\r\n--b1--\r\n");
  ASSERT_TRUE(c.multipart);
  ASSERT_EQ(c.parts.size(), 3u);
  EXPECT_EQ(c.parts[0].body, "hi");
  EXPECT_TRUE(c.parts[1].multipart);
  EXPECT_EQ(c.parts[1].parts[0].body, "<p>x</p>");
  EXPECT_EQ(c.parts[2].body, "--");
  // Past 32 levels, a part is left whole: the nesting is the sender's to choose.
  std::string deep;
  for (int i = 0; i < 200; ++i) {
    const std::string b = "b" + std::to_string(i) + "x";
    deep += "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n";
  }
  auto d = mailhog::content_from_string(deep);
  int levels = 0;
  for (const auto* p = &d; p->multipart && !p->parts.empty(); p = &p->parts[0]) ++levels;
  EXPECT_EQ(levels, 32);
}

TEST(MailHog, BuildAddsWhatMailHogAddsAndTheJsonParses) {
  store::Message m;
  m.id = "1abc-def";
  m.helo = "client.example";
  m.envelope_from = "s@x.example";
  m.envelope_to = {"r@y.example", "@relay1,@relay2:q@z.example"};
  m.received_at = std::chrono::system_clock::time_point{std::chrono::seconds(1764913811)};
  auto b = mailhog::build(m, "Received: from elsewhere\r\nSubject: s\r\n\r\nbody\r\n", "mh.test");
  EXPECT_EQ(b.data, "Received: from elsewhere\r\nSubject: s\r\n\r\nbody");
  ASSERT_EQ(b.content.headers["Received"].size(), 2u);
  EXPECT_EQ(b.content.headers["Received"][1],
            "from client.example by mh.test (MailHog)\r\n          id " + b.id + "; Fri, 05 Dec 2025 05:50:11 +0000");
  EXPECT_EQ(b.content.headers["Message-ID"], std::vector<std::string>{b.id});
  EXPECT_EQ(b.content.headers["Return-Path"], std::vector<std::string>{"<s@x.example>"});
  auto j = json::parse(go_json(mailhog::message_json(m, b))).as_object();
  EXPECT_EQ(j["To"].as_array()[1].as_object()["Relays"], (json::array{"@relay1", "@relay2"}));
  EXPECT_EQ(j["To"].as_array()[1].as_object()["Mailbox"], "q");
  EXPECT_TRUE(j["MIME"].is_null());
  EXPECT_EQ(j["Raw"].as_object()["Helo"], "client.example");
  EXPECT_EQ(mailhog::serialized(b).substr(0, 14), "Message-ID: " + b.id.substr(0, 2));
}

TEST(SpamAssassin, ReportReadAsMailpitReadsIt) {
  auto r = parse_spamd_report(
      "SPAMD/1.1 0 EX_OK\r\nContent-length: 9\r\nSpam: True ; 15.5 / 5.0\r\n\r\n"
      "Content analysis details:   (15.5 points, 5.0 required)\r\n\r\n pts rule name   description\r\n"
      "---- ---------------------- ------\r\n 3.5 MISSING_DATE           Missing Date: header\r\n"
      "-0.1 DKIM_VALID             first\r\n                            second\r\n");
  EXPECT_TRUE(r.spam);
  EXPECT_DOUBLE_EQ(r.score, 15.5);
  ASSERT_EQ(r.rules.size(), 2u);
  EXPECT_EQ(r.rules[0].points, "3.5");
  EXPECT_EQ(r.rules[0].name, "MISSING_DATE");
  EXPECT_EQ(r.rules[0].description, "Missing Date: header");
  EXPECT_EQ(r.rules[1].description, "first second");
  EXPECT_TRUE(parse_spamd_report("").rules.empty());
}

TEST(LinkCheck, LinksOfTheHtmlThenTheTextEachOnce) {
  auto links = extract_links(
      "<a href='https://a.example/1'>x</a><link rel=stylesheet href=https://c.example/s.css>"
      "<link rel=icon href=https://c.example/i.ico><img src=\"http://i.example/p.png\"><a href=mailto:x@y>m</a>"
      "<a href='https://a.example/1'>again</a>",
      "see https://t.example/a, and <https://t.example/\nwrapped> and https://a.example/1");
  EXPECT_EQ(links, (std::vector<std::string>{"https://a.example/1", "https://c.example/s.css", "http://i.example/p.png",
                                             "https://t.example/a,", "https://t.example/wrapped"}));
}

TEST(LinkCheck, InternalAddresses) {
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                         "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "not an ip"})
    EXPECT_TRUE(internal_address(ip)) << ip;
  for (const char* ip : {"8.8.8.8", "1.1.1.1", "2606:4700::1111"}) EXPECT_FALSE(internal_address(ip)) << ip;
}

TEST(GoBody, ReadsAsEncodingJsonDoes) {
  GoBody empty("  ");
  EXPECT_EQ(empty.error(), "EOF");
  GoBody arr("[1]");
  EXPECT_EQ(arr.error(), "json: cannot unmarshal array into Go value of type struct");
  GoBody b(R"({"ids": ["a", "b"], "READ": true, "Search": 5})");
  ASSERT_TRUE(b.ok());
  std::vector<std::string> ids;
  bool read = false;
  EXPECT_TRUE(b.strings("IDs", ids));
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(b.boolean("Read", read));
  EXPECT_TRUE(read);
  std::string s;
  EXPECT_FALSE(b.string("Search", s));
  EXPECT_EQ(b.error(), "json: cannot unmarshal number into Go struct field .Search of type string");
}

TEST(PasswordFile, BcryptAndPlainEntries) {
  std::string error;
  auto f = PasswordFile::parse("# comment\nhogger:$2b$04$UsIKYXf8cXl32xvGBCMUl.pVllKJLfZT6xbbcPjLta5UTQNPcS95G\n", error);
  ASSERT_TRUE(f) << error;
  EXPECT_TRUE(f->check("hogger", "hog-pass"));
  EXPECT_FALSE(f->check("hogger", "hog-pas"));
  EXPECT_FALSE(f->check("nobody", "hog-pass"));
  f->add_plain("plain", "pw");
  EXPECT_TRUE(f->check("plain", "pw"));
  EXPECT_FALSE(PasswordFile::parse("user:$1$md5$notallowed\n", error));
  EXPECT_NE(error.find("line 1"), std::string::npos) << error;
}

TEST(HtmlCheck, FindsWhatTheHtmlUsesAndScoresIt) {
  // Every slug the check asks for is in the embedded table, but one the
  // 2026 table dropped (image-ppm, css-margin-inline; the check skips them).
  EXPECT_EQ(html_check_missing_slugs(), (std::vector<std::string>{"image-ppm", "css-margin-inline"}));
  auto r = html_check(
      "<html><head><style>/* c */ .x{display:flex;margin:0 2rem} div > p{color:red} a:hover{color:blue}"
      "@media (max-width:600px){.x{display:none}} .y:first-child{x:y}</style></head><body>"
      "<div class='a x'><p>hi</p></div><img src='a.webp'><script>x()</script>"
      "<table bgcolor='#fff'><tr><td style='padding: 4px'>x</td></tr></table></body></html>");
  const auto& o = r.as_object();
  std::map<std::string, std::int64_t> found;
  for (const auto& w : o.at("Warnings").as_array())
    found[std::string(w.at("Slug").as_string())] = w.at("Score").at("Found").to_number<std::int64_t>();
  EXPECT_EQ(found["html-script"], 1);
  EXPECT_EQ(found["css-display-flex"], 1);  // .x's rule merged into the div, as premailer merges it
  EXPECT_EQ(found["css-margin"], 1);
  EXPECT_EQ(found["css-unit-rem"], 1);
  EXPECT_EQ(found["css-at-media"], 1);
  EXPECT_EQ(found["css-pseudo-class-hover"], 1);
  EXPECT_EQ(found["css-pseudo-class-first-child"], 1);
  EXPECT_EQ(found["css-background-color"], 1);  // [bgcolor]
  EXPECT_EQ(found["css-padding"], 1);
  EXPECT_EQ(found["image-webp"], 1);
  EXPECT_EQ(found["html-body"], 1);
  EXPECT_EQ(found.count("css-display-none"), 0u);  // inside @media: not merged
  // The worst first; the script is unsupported everywhere.
  EXPECT_EQ(o.at("Warnings").as_array()[0].at("Slug"), "html-script");
  const auto& total = o.at("Total").as_object();
  EXPECT_GT(total.at("Nodes").to_number<double>(), 5);
  EXPECT_NEAR(total.at("Supported").to_number<double>() + total.at("Partial").to_number<double>() +
                  total.at("Unsupported").to_number<double>(),
              100, 0.01);
  EXPECT_TRUE(o.at("Platforms").as_object().contains("ios"));
  // A fragment without <body>, and no HTML at all, still answer.
  EXPECT_TRUE(html_check("<p>just a fragment</p>").as_object().contains("Total"));
  EXPECT_TRUE(html_check("").as_object().contains("Total"));
}
