// The search grammar over a small corpus, each feature with the answer it
// must give (Mailpit's semantics for its terms, relaymock's for its own),
// and what the indexer reads out of a message.
#include <gtest/gtest.h>

#include <algorithm>

#include "relay/indexer.hpp"
#include "relay/search.hpp"
#include "relay/tags.hpp"
#include "store/mail_store.hpp"
#include "util/dates.hpp"
#include "util/timezone.hpp"

using namespace relaymock;

namespace {

struct Sent {
  std::string id, content, envelope_from;
  std::vector<std::string> envelope_to;
  std::string received;  // RFC 3339
  std::string user = "app";
  bool sandbox = false, tls = false;
};

const std::vector<Sent> kCorpus = {
    {"plain",
     "From: Alice Example <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: Invoice May\r\n"
     "Message-ID: <abc-123@example.com>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nPlease pay the invoice.\r\n",
     "alice@example.com", {"bob@example.org"}, "2026-12-01T10:00:00Z"},
    {"html",
     "From: shop@example.com\r\nTo: carol@example.net\r\nCc: Dave <dave@example.net>\r\nReply-To: help@example.com\r\n"
     "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from the shop\r\nX-Tags: Promo, weekly\r\nMIME-Version: 1.0\r\n"
     "Content-Type: text/html; charset=utf-8\r\n\r\n<html><head><style>p{color:red}</style></head>"
     "<body><p>Big&nbsp;SALE today</p><script>var hidden='secretword';</script></body></html>\r\n",
     "bounce@example.com", {"carol@example.net", "dave@example.net", "erin@example.net"}, "2026-12-02T12:30:00Z", "api",
     true, true},
    {"attached",
     "From: reports@example.com\r\nTo: finance+q4@example.org\r\nSubject: Quarterly report\r\nMIME-Version: 1.0\r\n"
     "Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: multipart/related; boundary=b2\r\n\r\n"
     "--b2\r\nContent-Type: text/html\r\n\r\n<p>See <img src=\"cid:logo@x\"> attached</p>\r\n"
     "--b2\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
     "--b2--\r\n--b1\r\nContent-Type: application/pdf; name=\"q4-figures.pdf\"\r\n"
     "Content-Disposition: attachment; filename=\"q4-figures.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
     "JVBERi0xLjQK\r\n--b1--\r\n",
     "reports@example.com", {"finance+q4@example.org"}, "2026-12-03T23:30:00Z"},
};

struct Corpus {
  store::MailStore mail{100, 1 << 24, nullptr};
  store::MailStore::Deriver derive = [this](const store::Message& m) {
    return relay::derive(m, *mail.content(m.id));
  };
  Corpus() {
    for (const auto& s : kCorpus) {
      auto m = std::make_shared<store::Message>();
      m->id = s.id;
      m->content = s.content;
      m->envelope_from = s.envelope_from;
      m->envelope_to = s.envelope_to;
      m->received_at = *parse_rfc3339(s.received);
      m->identity_kind = "user";
      m->identity_name = s.user;
      m->sandbox = s.sandbox;
      m->tls = s.tls;
      m->client_ip = "127.0.0.1";
      m->session_id = "s-" + s.id;
      auto head = s.content.substr(0, s.content.find("\r\n\r\n") + 4);
      m->subject = s.id == "html" ? "Grüße from the shop" : s.id == "plain" ? "Invoice May" : "Quarterly report";
      std::vector<std::string> x_tags;
      if (s.id == "html") x_tags = {"Promo, weekly"};
      mail.add(m, {}, {}, relay::capture_tags(x_tags, s.envelope_to));
    }
  }
  std::vector<std::string> find(const std::string& q, const std::string& tz = "") {
    relay::Search s(q, tz);
    auto ids = mail.select_ids(s.predicate(), s.needs_derived() ? &derive : nullptr);
    std::sort(ids.begin(), ids.end());
    return ids;
  }
};

using Ids = std::vector<std::string>;

}  // namespace

TEST(Search, Terms) {
  EXPECT_EQ(relay::search_terms(R"(subject:"a b" -"c d" e  f)"), (Ids{"subject:a b", "-c d", "e", "f"}));
  EXPECT_EQ(relay::search_terms(""), Ids{});
}

TEST(Search, EachFeatureGivesItsAnswer) {
  Corpus c;
  const Ids all{"attached", "html", "plain"};
  EXPECT_EQ(c.find(""), all);
  // Free text: headers, body (HTML stripped; script and style are not text), file names.
  EXPECT_EQ(c.find("invoice"), Ids{"plain"});
  EXPECT_EQ(c.find("sale big"), Ids{"html"});  // two terms, each anywhere
  EXPECT_EQ(c.find("\"big sale\""), Ids{"html"});  // a phrase, as written
  EXPECT_EQ(c.find("\"sale big\""), Ids{});
  EXPECT_EQ(c.find("secretword"), Ids{});
  EXPECT_EQ(c.find("q4-figures.pdf"), Ids{"attached"});
  EXPECT_EQ(c.find("-invoice"), (Ids{"attached", "html"}));
  EXPECT_EQ(c.find("!invoice"), (Ids{"attached", "html"}));
  EXPECT_EQ(c.find("grüße"), Ids{"html"});
  EXPECT_EQ(c.find("GRÜSSE"), Ids{});
  // Address fields: names and addresses, without case.
  EXPECT_EQ(c.find("to:bob"), Ids{"plain"});
  EXPECT_EQ(c.find("to:BOB@EXAMPLE.ORG"), Ids{"plain"});
  EXPECT_EQ(c.find("from:\"Alice Example\""), Ids{"plain"});
  EXPECT_EQ(c.find("cc:dave"), Ids{"html"});
  EXPECT_EQ(c.find("bcc:erin@example.net"), Ids{"html"});  // envelope-only recipient
  EXPECT_EQ(c.find("reply-to:help@"), Ids{"html"});
  EXPECT_EQ(c.find("addressed:dave"), Ids{"html"});
  EXPECT_EQ(c.find("-from:example.com"), Ids{});
  EXPECT_EQ(c.find("to:"), all);  // nothing after the prefix: no condition
  // Subject and Message-ID.
  EXPECT_EQ(c.find("subject:report"), Ids{"attached"});
  EXPECT_EQ(c.find("subject:\"from the\""), Ids{"html"});
  EXPECT_EQ(c.find("message-id:abc-123"), Ids{"plain"});
  // Tags: X-Tags and plus-addressing.
  EXPECT_EQ(c.find("tag:promo"), Ids{"html"});
  EXPECT_EQ(c.find("tag:q4"), Ids{"attached"});
  EXPECT_EQ(c.find("is:tagged"), (Ids{"attached", "html"}));
  EXPECT_EQ(c.find("-is:tagged"), Ids{"plain"});
  // Read state.
  EXPECT_EQ(c.find("is:unread"), all);
  c.mail.set_read({"plain"}, true);
  EXPECT_EQ(c.find("is:read"), Ids{"plain"});
  EXPECT_EQ(c.find("-is:read"), (Ids{"attached", "html"}));
  // Attachments and inline images.
  EXPECT_EQ(c.find("has:attachment"), Ids{"attached"});
  EXPECT_EQ(c.find("has:inline"), Ids{"attached"});
  EXPECT_EQ(c.find("-has:attachments"), (Ids{"html", "plain"}));
  // Dates: the day's start in the zone given.
  EXPECT_EQ(c.find("after:2026-12-02"), (Ids{"attached", "html"}));
  EXPECT_EQ(c.find("before:2026-12-02"), Ids{"plain"});
  EXPECT_EQ(c.find("after:\"2026-12-02 12:30\""), (Ids{"attached", "html"}));
  EXPECT_EQ(c.find("after:2026-12-04", "Europe/Berlin"), Ids{"attached"});  // 23:30Z is Dec 4 in Berlin
  EXPECT_EQ(c.find("after:2026-12-04"), Ids{});
  EXPECT_EQ(c.find("-after:2026-12-02"), Ids{"plain"});
  EXPECT_EQ(c.find("after:notadate"), all);  // ignored, as Mailpit
  // Sizes.
  auto plain_size = kCorpus[0].content.size();
  EXPECT_EQ(c.find("smaller:" + std::to_string(plain_size + 1)), Ids{"plain"});
  EXPECT_EQ(c.find("larger:1k"), Ids{});
  EXPECT_EQ(c.find("smaller:1.5kb"), all);
  EXPECT_EQ(c.find("larger:5gb"), Ids{});  // not a size Mailpit reads: free text
  // relaymock's own.
  EXPECT_EQ(c.find("user:api"), Ids{"html"});
  EXPECT_EQ(c.find("is:sandbox"), Ids{"html"});
  EXPECT_EQ(c.find("is:tls"), Ids{"html"});
  EXPECT_EQ(c.find("envelope-from:bounce@"), Ids{"html"});
  EXPECT_EQ(c.find("rcpt:erin"), Ids{"html"});
  EXPECT_EQ(c.find("session:s-plain"), Ids{"plain"});
  // Combined (AND), and terms without a letter or digit ignored.
  EXPECT_EQ(c.find("from:example.com has:attachment"), Ids{"attached"});
  EXPECT_EQ(c.find("--- !! \"\""), all);
}

TEST(Indexer, ReadsNamesCountsSnippetAndSearchText) {
  Corpus c;
  auto d = c.derive(*c.mail.find("attached"));
  EXPECT_EQ(d->attachments, 1u);
  EXPECT_EQ(d->inlines, 1u);
  EXPECT_TRUE(d->has_html);
  EXPECT_EQ(d->snippet, "See attached");
  auto h = c.derive(*c.mail.find("html"));
  EXPECT_EQ(h->from.address, "shop@example.com");
  ASSERT_EQ(h->cc.size(), 1u);
  EXPECT_EQ(h->cc[0].name, "Dave");
  ASSERT_EQ(h->bcc.size(), 1u);
  EXPECT_EQ(h->bcc[0].address, "erin@example.net");
  EXPECT_EQ(h->snippet, "Big SALE today");
  auto p = c.derive(*c.mail.find("plain"));
  EXPECT_EQ(p->message_id, "abc-123@example.com");
  ASSERT_TRUE(p->date);
  EXPECT_EQ(rfc3339(*p->date), "2026-12-01T10:00:00.000Z");
  EXPECT_EQ(p->from.name, "Alice Example");
  // A long body: the snippet is cut at 200 bytes with "...", the search
  // text bounded.
  store::Message big;
  big.id = "big";
  auto d2 = relay::derive(big, "Subject: x\r\n\r\n" + std::string(100'000, 'a') + " tail");
  EXPECT_EQ(d2->snippet, std::string(200, 'a') + "...");
  EXPECT_LE(d2->search_text.size(), store::Derived::kMaxSearchText);
}

TEST(Tags, CleanedAsMailpitDoes) {
  EXPECT_EQ(relay::clean_tag("  a<b>  c "), "a b c");
  EXPECT_FALSE(relay::clean_tag("<<>>"));
  EXPECT_EQ(relay::unique_tags({"b", "A", "a", "b.c"}), (Ids{"A", "b", "b.c"}));
  EXPECT_EQ(relay::capture_tags({"one, two,,", "Two"}, {"x+three@y.z", "+@y.z", "plain@y.z"}),
            (Ids{"one", "three", "two"}));
}

TEST(MailStore, StateSurvivesAndMoves) {
  store::MailStore s(10, 1 << 20, nullptr);
  for (const char* id : {"a", "b", "c"}) {
    auto m = std::make_shared<store::Message>();
    m->id = id;
    m->content = "Subject: x\r\n\r\nbody";
    s.add(m, {}, {}, {"t1"});
  }
  EXPECT_EQ(s.unread(), 3u);
  EXPECT_EQ(s.set_read({"a", "b", "zz"}, true), (Ids{"a", "b"}));
  EXPECT_EQ(s.set_read({"a"}, true), Ids{});  // already read: no change
  EXPECT_EQ(s.unread(), 1u);
  EXPECT_EQ(s.rename_tag("t1", "t2").size(), 3u);
  EXPECT_EQ(s.all_tags(), Ids{"t2"});
  EXPECT_TRUE(s.set_tags("c", {"x", "y"}));
  EXPECT_EQ(s.all_tags(), (Ids{"t2", "x", "y"}));
  EXPECT_EQ(s.rename_tag("t2", "").size(), 2u);  // removed
  EXPECT_EQ(s.all_tags(), (Ids{"x", "y"}));
  EXPECT_TRUE(s.remove("b"));
  EXPECT_FALSE(s.listed("b"));
  EXPECT_TRUE(s.listed("a")->read);
  EXPECT_EQ(*s.newest(), "c");
}

TEST(TimeZone, UserDates) {
  EXPECT_EQ(rfc3339(*parse_user_date("2026-12-01", "")), "2026-12-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339(*parse_user_date("2026/12/01 13:45", "")), "2026-12-01T13:45:00.000Z");
  EXPECT_EQ(rfc3339(*parse_user_date("2026-07-01T10:00:00", "Europe/Berlin")), "2026-07-01T08:00:00.000Z");
  EXPECT_EQ(rfc3339(*parse_user_date("2026-12-01T10:00:00+02:00", "Asia/Tokyo")), "2026-12-01T08:00:00.000Z");
  for (auto bad : {"2026-02-30", "2026-13-01", "26-1-1", "2026-12-01 25:00", "yesterday", "2026-12-01x"})
    EXPECT_FALSE(parse_user_date(bad, "")) << bad;
  EXPECT_TRUE(known_time_zone("Europe/Berlin"));
  EXPECT_FALSE(known_time_zone("../../etc/passwd"));
  EXPECT_FALSE(known_time_zone("Nowhere/City"));
}
