// The store layer: MIME reading, JSON codecs, the bounded message index, and
// the durable SQLite store (in a temporary directory).
#include <condition_variable>
#include <memory>
#include <mutex>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "util/base64.hpp"
#include "util/dates.hpp"
#include "store/codec.hpp"
#include "store/durable.hpp"
#include "store/event_log.hpp"
#include "store/mail_store.hpp"
#include "mime/mime.hpp"

using namespace relaymock;
using namespace relaymock::store;
using namespace relaymock::mime;
namespace fs = std::filesystem;

TEST(Mime, EncodedWords) {
  EXPECT_EQ(decode_words("=?UTF-8?B?w6l0w6k=?="), "été");
  EXPECT_EQ(decode_words("=?iso-8859-1?q?caf=E9_cr=E8me?="), "café crème");
  // Whitespace between adjacent encoded words goes; around plain text it stays.
  EXPECT_EQ(decode_words("=?utf-8?q?a?= =?utf-8?q?b?= c =?utf-8?q?d?="), "ab c d");
  // Any charset iconv knows (KOI8-R 0xC0 0xC2: "юб"); malformed words: left as written.
  EXPECT_EQ(decode_words("=?koi8-r?b?wMI=?="), "\xD1\x8E\xD0\xB1");
  EXPECT_EQ(decode_words("=?utf-8?x?abc?= and =?broken"), "=?utf-8?x?abc?= and =?broken");
  EXPECT_EQ(decode_words("plain"), "plain");
}

TEST(Mime, Utf8LowerAgreesWithGLibOnEveryAsciiByte) {
  std::string all;
  for (int c = 1; c < 0x80; ++c) all += static_cast<char>(c);
  std::string glib(all);  // what g_utf8_strdown gives for ASCII: A-Z lowered, nothing else
  for (auto& c : glib)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  EXPECT_EQ(utf8_lower(all), glib);
  EXPECT_EQ(utf8_lower("ÉTÉ Straße ÅSA"), "été straße åsa");  // beyond ASCII: GLib's rules
  EXPECT_EQ(utf8_lower("Bad \xC3 UTF-8"), "bad \xC3 utf-8");     // not UTF-8: bytes, ASCII lowered
}

TEST(Mime, AddressLists) {
  EXPECT_EQ(address_list("\"Doe, John\" <j@x.example>, b@y.example (Bob), <c@z.example>"),
            (std::vector<std::string>{"j@x.example", "b@y.example", "c@z.example"}));
  EXPECT_EQ(address_list("undisclosed-recipients:;"), std::vector<std::string>{});
  EXPECT_EQ(address_list("team: a@x.example, b@x.example;"),
            (std::vector<std::string>{"a@x.example", "b@x.example"}));
  EXPECT_EQ(address_list(""), std::vector<std::string>{});
}

TEST(Mime, HeadersUnfoldAndKeepOrder) {
  auto h = parse_headers("Subject: one\r\n two\r\nX-A: 1\r\nX-A: 2\r\nnot a header\r\n\r\nbody: no\r\n");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0], (std::pair<std::string, std::string>{"Subject", "one two"}));
  EXPECT_EQ(header_value(h, "x-a"), "1");
}

TEST(Mime, BodiesAndAttachments) {
  std::string m =
      "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\npreamble\r\n"
      "--outer\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
      "a=3Db =\r\nc\r\n"
      "--outer\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename*=utf-8''%C3%A9.png\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
      "--outer--\r\nepilogue\r\n";
  auto p = parse_message(m);
  EXPECT_TRUE(p.has_text);
  EXPECT_EQ(p.text, "a=b c");
  EXPECT_FALSE(p.has_html);
  ASSERT_EQ(p.attachments.size(), 1u);
  EXPECT_EQ(p.attachments[0].name, "é.png");
  EXPECT_EQ(p.attachments[0].type, "image/png");
  EXPECT_EQ(p.attachments[0].size, 8u);
}

TEST(Mime, CharsetsBeyondLatin1AndUtf8) {
  // Bodies and RFC 2047 words in the charsets mail from Japan, China and
  // Russia arrives in, read as UTF-8.
  struct Case {
    const char* charset;
    const char* word;
    std::string body, utf8;
  };
  const std::vector<Case> cases = {
      {"iso-2022-jp", "=?iso-2022-jp?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "\x1B\x24\x42\x24\x33\x24\x73\x24\x4B\x24\x41\x24\x4F\x1B\x28\x42", "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF"},
      {"shift_jis", "=?shift_jis?B?k/qWe4zq?=", "\x93\xFA\x96\x7B\x8C\xEA", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},
      {"koi8-r", "=?koi8-r?B?8NLJ18XU?=", "\xF0\xD2\xC9\xD7\xC5\xD4", "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"},
      {"windows-1251", "=?windows-1251?B?x+Tw4OLx8uLz6fLl?=", "\xC7\xE4\xF0\xE0\xE2\xF1\xF2\xE2\xF3\xE9\xF2\xE5", "\xD0\x97\xD0\xB4\xD1\x80\xD0\xB0\xD0\xB2\xD1\x81\xD1\x82\xD0\xB2\xD1\x83\xD0\xB9\xD1\x82\xD0\xB5"},
      {"gb2312", "=?gb2312?B?xOO6ww==?=", "\xC4\xE3\xBA\xC3", "\xE4\xBD\xA0\xE5\xA5\xBD"},
  };
  for (const auto& c : cases) {
    std::string m = std::string("Subject: ") + c.word + "\r\nContent-Type: text/plain; charset=" + c.charset +
                    "\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + c.body + "\r\n";
    auto p = parse_message(m);
    EXPECT_EQ(header_value(p.headers, "Subject"), c.utf8) << c.charset;
    EXPECT_EQ(p.text, c.utf8 + "\r\n") << c.charset;
    EXPECT_EQ(summarize(m).subject, c.utf8) << c.charset;
  }
}

TEST(Mime, Rfc2231ParametersAndBrokenMail) {
  // A file name split over continuations in another charset (RFC 2231).
  auto p = parse_message(
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
      "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
      " filename*0*=iso-8859-1''r%E9sum;\r\n filename*1*=%E9.pdf\r\n\r\nJVBERg==\r\n--b--\r\n");
  ASSERT_EQ(p.attachments.size(), 1u);
  EXPECT_EQ(p.attachments[0].name, "r\xC3\xA9sum\xC3\xA9.pdf");
  // Undeclared 8-bit header text (windows-1252) and a header without a colon still read.
  auto h = parse_headers("Subject: caf\xE9\r\nbroken line\r\nX-Ok: yes\r\n\r\n");
  EXPECT_EQ(header_value(h, "Subject"), "caf\xC3\xA9");
  EXPECT_EQ(header_value(h, "X-Ok"), "yes");
}

TEST(Mime, SummaryReadsRawAddressesAndGroups) {
  auto s = summarize(
      "From: =?UTF-8?B?RG9lLCBKb2hu?= <j@x.example>\r\nTo: =?UTF-8?Q?Smith=2C_Ann?= <a@y.example>, b@y.example\r\n"
      "Cc: team: c@z.example, d@z.example;\r\nBcc: e@z.example\r\nSubject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(s.from.text, "j@x.example");
  EXPECT_EQ(s.to, (std::vector<std::string>{"a@y.example", "b@y.example"}));
  EXPECT_EQ(s.cc, (std::vector<std::string>{"c@z.example", "d@z.example"}));
  EXPECT_EQ(s.bcc, std::vector<std::string>{"e@z.example"});
  EXPECT_EQ(s.subject, "hi");
}

TEST(Mime, TheFastAddressReaderAgreesWithGMime) {
  for (std::string v : {"a@b.c", " <a@b.c> ", "Ann Smith <ann.smith+tag@mail.example.org>", "a@b.c, <d@e.f>,G H <g@h.i>",
                        "x_y-z@sub.example", "A1 <a@b.c>"}) {
    auto simple = simple_addresses(v);
    ASSERT_TRUE(simple) << v;
    EXPECT_EQ(*simple, gmime_addresses(v)) << v;
  }
  // Anything outside the plain shapes is GMime's alone.
  for (std::string v : {"\"Doe, J\" <j@x.y>", "a@b.c (comment)", "team: a@b.c;", "=?UTF-8?B?w6k=?= <a@b.c>", "a..b@c.d",
                        "<a@b.c> <d@e.f>", "a@b@c", "", "a@", "Ann.Smith <a@b.c>", "a@b.c,",
                        // fuzz find: GMime reads punycode domains its own way
                        "AA@xn--QUIT", "a@XN--bcher-kva.example"})
    EXPECT_FALSE(simple_addresses(v)) << v;
}

TEST(Mime, DeepNestingIsReadFlat) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
  auto p = parse_message("Subject: deep\r\n" + deep);
  EXPECT_EQ(header_value(p.headers, "Subject"), "deep");
  ASSERT_EQ(p.attachments.size(), 1u);
}

TEST(Mime, HostileStructuresStayBounded) {
  // Nested far deeper than anyone sends, an unterminated part, no boundary.
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
  deep += "\r\ntext\r\n";
  auto p = parse_message(deep);  // must return, whatever it finds
  EXPECT_LE(p.attachments.size(), 10u);
  auto q = parse_message("Content-Type: multipart/mixed\r\n\r\n--x\r\nhello");
  EXPECT_TRUE(q.has_text || !q.attachments.empty());
  EXPECT_EQ(parse_message("").text, "");
  EXPECT_EQ(base64_decode_lenient("aGVsbG8=\r\n!!!"), "hello");
}

TEST(Codec, Rfc3339RoundTrip) {
  auto t = parse_rfc3339("2026-02-28T23:59:59.250Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(rfc3339(*t), "2026-02-28T23:59:59.250Z");
  EXPECT_EQ(rfc3339(*parse_rfc3339("2026-03-01T01:30:00+02:00")), "2026-02-28T23:30:00.000Z");
  for (auto bad : {"2026-13-01T00:00:00Z", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01T00:00:00Zjunk",
                   "9999-01-01T00:00:00Z", "2026-01-01T00:00:00."})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

namespace {
std::shared_ptr<Message> message(const std::string& id, std::size_t size, const std::string& subject = "s") {
  auto m = std::make_shared<Message>();
  m->id = id;
  m->envelope_from = "a@example.com";
  m->envelope_to = {"b@example.org"};
  m->identity_kind = "user";
  m->identity_name = "app";
  m->content = "Subject: " + subject + "\r\nTo: \"B\" <b@example.org>\r\n\r\n" + std::string(size, 'x');
  // What the transaction service reads from the header section.
  m->to = {"b@example.org"};
  m->subject = subject;
  return m;
}
}  // namespace

TEST(MailStore, EvictsOldestPastEitherBound) {
  MailStore s(3, 1 << 20, nullptr);
  for (int i = 0; i < 5; ++i) s.add(message("m" + std::to_string(i), 10));
  auto page = s.query({}, 0, 10);
  ASSERT_EQ(page.total, 3u);
  EXPECT_EQ(page.items[0]->id, "m4");
  EXPECT_EQ(page.items[2]->id, "m2");
  MailStore small(100, 200, nullptr);
  small.add(message("a", 100));
  small.add(message("b", 100));  // the two together pass 200 bytes
  EXPECT_EQ(small.size(), 1u);
  EXPECT_EQ(small.find("b")->to, std::vector<std::string>{"b@example.org"});
}

TEST(MailStore, Filters) {
  MailStore s(100, 1 << 20, nullptr);
  s.add(message("a", 1, "Invoice May"));
  s.add(message("b", 1, "Welcome"));
  MessageFilter f;
  f.subject = "invoice";
  EXPECT_EQ(s.query(f, 0, 10).total, 1u);
  f = {};
  f.to = "b@EXAMPLE.org";  // a whole address, the domain without case
  EXPECT_EQ(s.query(f, 0, 10).total, 2u);
  f.to = "b@example";  // not a substring match
  EXPECT_EQ(s.query(f, 0, 10).total, 0u);
  f.to = "B@*";  // a glob, without case
  EXPECT_EQ(s.query(f, 0, 10).total, 2u);
  f.user = "someone-else";
  EXPECT_EQ(s.query(f, 0, 10).total, 0u);
  EXPECT_TRUE(s.remove("a"));
  EXPECT_FALSE(s.remove("a"));
  EXPECT_EQ(*s.content("b"), message("b", 1, "Welcome")->content);
}

// One "run" of the server's stores over a directory. Each run is one heap
// object with fixed member offsets: ThreadSanitizer cannot see a std::mutex
// die, so stack objects of different types landing on each other's
// addresses across runs looked like a lock-order cycle.
struct ServerRun {
  explicit ServerRun(const std::string& dir) : d(dir), s(2, 1 << 20, &d), log(10, &d) {}
  ~ServerRun() { d.stop_writer(); }  // before the stores its callbacks touch
  Durable d;
  MailStore s;
  EventLog log;
};

TEST(Durable, MessagesEventsUsageAndClockComeBack) {
  auto dir = fs::temp_directory_path() / ("relaymock-unit-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    auto run = std::make_unique<ServerRun>(dir.string());
    auto& [d, s, log] = *run;
    EXPECT_THROW(Durable second(dir.string()), StoreError);  // the lock is held
    s.add(message("m1", 5), {{"user:app", 1000, 1}});
    s.add(message("m2", 5), {{"user:app", 2000, 2}});
    s.add(message("m3", 5));  // evicts m1 in the same transaction
    Event e;
    e.time = *parse_rfc3339("2026-11-27T10:00:00Z");
    e.rule = "relay_denied";
    log.append(e);
    log.append(e);
    d.set_clock_offset_ms(-5000);
  }
  {
    auto run = std::make_unique<ServerRun>(dir.string());
    auto& [d, s, log] = *run;
    EXPECT_EQ(s.size(), 2u);
    EXPECT_FALSE(s.find("m1"));
    EXPECT_EQ(s.find("m2")->subject, "s");
    EXPECT_TRUE(s.find("m2")->content.empty());  // bytes live in SQLite
    EXPECT_EQ(s.content("m3")->size(), message("m3", 5)->content.size());
    auto usage = d.load_usage();
    ASSERT_EQ(usage.size(), 2u);
    EXPECT_EQ(usage[1].n, 2u);
    EXPECT_EQ(log.last_seq(), 2u);
    log.clear();
    EXPECT_EQ(log.append(Event{}), 3u);  // never reused
    EXPECT_EQ(*d.clock_offset_ms(), -5000);
  }
  {
    auto run = std::make_unique<ServerRun>(dir.string());
    EXPECT_EQ(run->log.last_seq(), 3u);
  }
  fs::remove_all(dir);
}

// A committed message's bytes stay in memory until the indexer has read
// them (no read back from the file for it), within a bound; every read
// gives the same bytes whichever way it goes.
TEST(Durable, FreshBytesWaitForTheIndexerWithinABound) {
  auto dir = fs::temp_directory_path() / ("relaymock-fresh-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    auto run = std::make_unique<ServerRun>(dir.string());
    auto& s = run->s;
    const auto m1 = message("f1", 100)->content;
    s.add(message("f1", 100));
    EXPECT_EQ(s.fresh_bytes(), m1.size());
    EXPECT_EQ(*s.content("f1"), m1);            // from memory
    EXPECT_EQ(*s.content("f1", 7), m1.substr(0, 7));
    s.set_derived("f1", std::make_shared<Derived>());
    EXPECT_EQ(s.fresh_bytes(), 0u);
    EXPECT_EQ(*s.content("f1"), m1);            // from the file
    s.add(message("f2", 100));
    EXPECT_TRUE(s.remove("f2"));                // a deleted message gives its bytes back
    EXPECT_EQ(s.fresh_bytes(), 0u);
    EXPECT_FALSE(s.content("f2"));
    s.add(message("f3", 17 * 1024 * 1024));    // past the bound: read from the file
    EXPECT_EQ(s.fresh_bytes(), 0u);
    EXPECT_EQ(s.content("f3")->size(), message("f3", 17 * 1024 * 1024)->content.size());
    s.add(message("f4", 100));                  // held again (f3 leaves: past the byte bound)
    EXPECT_GT(s.fresh_bytes(), 0u);
    // A search that derives it before the indexer does gives the bytes back too.
    MailStore::Deriver derive = [](const Message&) { return std::make_shared<const Derived>(); };
    EXPECT_EQ(s.select([](const MessageView&) { return true; }, 0, 10, &derive).total, 1u);
    EXPECT_EQ(s.fresh_bytes(), 0u);
    s.add(message("f5", 100));
    EXPECT_GT(s.fresh_bytes(), 0u);
    s.clear();
    EXPECT_EQ(s.fresh_bytes(), 0u);
  }
  fs::remove_all(dir);
}

// The writer: many queued messages share transactions (group commit), a
// job that fails undoes only itself, and each callback comes after the
// commit that holds its message.
TEST(Durable, TheWriterGroupsCommitsAndIsolatesFailures) {
  auto dir = fs::temp_directory_path() / ("relaymock-writer-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    auto run = std::make_unique<ServerRun>(dir.string());
    auto& d = run->d;
    constexpr int kMessages = 2000;
    std::mutex m;
    std::condition_variable cv;
    int done = 0, failed = 0;
    std::vector<std::string> order;
    for (int i = 0; i < kMessages; ++i) {
      auto msg = message("w" + std::to_string(i), 100);
      // The same id twice is refused: that job alone fails.
      if (i == 1000) msg->id = "w999";
      auto content = std::make_shared<const std::string>(msg->content);
      d.put_message_async(msg, content, nullptr, {{"user:app", 1000 + i, 1}}, {}, {},
                          [&, i](const Durable::Failure& e) {
                            std::lock_guard lock(m);
                            ++done;
                            if (e) ++failed;
                            else order.push_back(std::to_string(i));
                            cv.notify_all();
                          });
    }
    {
      std::unique_lock lock(m);
      ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return done == kMessages; }));
    }
    EXPECT_EQ(failed, 1);
    ASSERT_EQ(order.size(), static_cast<std::size_t>(kMessages - 1));
    EXPECT_EQ(order.front(), "0");
    EXPECT_EQ(order.back(), std::to_string(kMessages - 1));  // callbacks in queue order
    EXPECT_LT(d.batches_written(), d.jobs_written());        // grouped
    EXPECT_EQ(d.load_messages().size(), static_cast<std::size_t>(kMessages - 1));
    EXPECT_EQ(d.load_usage().size(), static_cast<std::size_t>(kMessages - 1));  // its usage row went with it
    EXPECT_TRUE(d.content("w999").has_value());
  }
  fs::remove_all(dir);
}
