// The scenario book: matching, firing rules and repeatable randomness.
#include <gtest/gtest.h>

#include "policy/scenarios.hpp"
#include "util/glob.hpp"

using namespace relaymock;


namespace {

config::Scenario scenario(std::string name, Stage stage) {
  config::Scenario s;
  s.name = std::move(name);
  s.stage = stage;
  s.reply = Reply{451, "", "scripted"};
  return s;
}

policy::StageFacts facts(Stage stage, std::string_view sender = "a@example.com") {
  policy::StageFacts f;
  f.stage = stage;
  f.client_ip = "10.1.2.3";
  f.port = 2525;
  f.sender = sender;
  return f;
}

}  // namespace

TEST(Scenarios, Globs) {
  EXPECT_TRUE(glob_match("*@Example.COM", "ann@example.com"));
  EXPECT_TRUE(glob_match("a?n@*", "ann@x"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_FALSE(glob_match("*@example.com", "ann@example.org"));
  EXPECT_FALSE(glob_match("a*b*c", "aXbX"));
  EXPECT_TRUE(glob_match("a*b*c", "aXbXc"));
  // Many stars against a long text finish (no exponential backtracking).
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

TEST(Scenarios, TimesEveryAndOrder) {
  auto every = scenario("every", Stage::Mail);
  every.every = 3;
  auto twice = scenario("twice", Stage::Mail);
  twice.times = 2;
  twice.match.sender = "x@*";
  policy::Scenarios book({twice, every});
  std::string fired;
  for (int i = 0; i < 6; ++i) fired += book.fire(facts(Stage::Mail)) ? "1" : "0";
  EXPECT_EQ(fired, "001001");
  fired.clear();
  for (int i = 0; i < 4; ++i) {
    auto f = book.fire(facts(Stage::Mail, "x@y"));
    fired += f ? f->name.substr(0, 1) : "-";
  }
  // A scenario counts a match only when it is reached: while "twice" fires,
  // "every" is not asked; then its 7th and 8th matches do not fire.
  EXPECT_EQ(fired, "tt--");
  auto list = book.list();
  EXPECT_TRUE(list[0].retired());
  EXPECT_EQ(list[1].matched, 8u);
  EXPECT_FALSE(book.fire(facts(Stage::Rcpt)));  // another stage
}

TEST(Scenarios, MatchFields) {
  auto s = scenario("m", Stage::EndOfData);
  s.match.ip = parse_cidr("10.1.0.0/16");
  s.match.port = 2525;
  s.match.recipient = "*@hold.example";
  std::string error;
  s.match.headers = {{"Subject", *Pattern::compile("^URGENT", error)}};
  policy::Scenarios book({s});
  auto f = facts(Stage::EndOfData);
  std::string r1 = "a@b.example", r2 = "z@hold.example";
  f.recipients = {r1, r2};
  f.content = "Subject: URGENT now\r\n\r\nbody\r\n";
  EXPECT_TRUE(book.fire(f));
  f.content = "Subject: later\r\n\r\nbody\r\n";
  EXPECT_FALSE(book.fire(f));
  f.content = "Subject: URGENT now\r\n\r\nbody\r\n";
  f.client_ip = "10.2.0.1";
  EXPECT_FALSE(book.fire(f));
  f.client_ip = "10.1.9.9";
  f.recipients = {r1};
  EXPECT_FALSE(book.fire(f));
}

TEST(Scenarios, ProbabilityRepeatsWithTheSameSeed) {
  auto s = scenario("p", Stage::Rcpt);
  s.probability = 0.3;
  s.seed = 7;
  auto run = [&] {
    policy::Scenarios book({s});
    std::string out;
    for (int i = 0; i < 200; ++i) out += book.fire(facts(Stage::Rcpt)) ? "1" : "0";
    return out;
  };
  auto a = run(), b = run();
  EXPECT_EQ(a, b);
  auto ones = std::count(a.begin(), a.end(), '1');
  EXPECT_GT(ones, 30);
  EXPECT_LT(ones, 90);
  s.seed = 8;
  EXPECT_NE(run(), a);
}

TEST(Scenarios, AddRemoveReplace) {
  policy::Scenarios book;
  EXPECT_TRUE(book.empty());
  EXPECT_TRUE(book.add(scenario("a", Stage::Mail)));
  EXPECT_FALSE(book.add(scenario("a", Stage::Rcpt)));
  EXPECT_TRUE(book.remove("a"));
  EXPECT_FALSE(book.remove("a"));
  book.replace({scenario("b", Stage::Mail)});
  ASSERT_EQ(book.list().size(), 1u);
  EXPECT_EQ(book.list()[0].scenario.name, "b");
}

// RE2 runs in linear time and never recurses: a header of any length, or a
// pattern that backtracking engines explode on, cannot take the process down
// (std::regex overflowed the stack on a 30,000-character folded Subject).
TEST(Scenarios, HeaderPatternsOnHugeHeadersAndHostilePatterns) {
  std::string error;
  auto s = scenario("urgent", Stage::EndOfData);
  s.match.headers = {{"Subject", *Pattern::compile("^URGENT.*later$", error)}};
  auto b = scenario("nested", Stage::EndOfData);
  b.match.headers = {{"X-Tag", *Pattern::compile("^(a+)+$", error)}};
  policy::Scenarios book({s, b});
  // 1.5 MB of words: past Pattern::kMaxText, so "later$" is never reached.
  for (std::size_t words : {3000u, 30000u, 150000u, 300000u}) {
    std::string subject = "Subject: URGENT";
    for (std::size_t i = 0; i < words; ++i) subject += (i % 10 == 9) ? "\r\n word" : " word";
    std::string content = subject + " later\r\nX-Tag: " + std::string(100000, 'a') + "!\r\n\r\nbody\r\n";
    auto f = facts(Stage::EndOfData);
    f.content = content;
    auto fired = book.fire(f);
    if (words * 5 > Pattern::kMaxText) {
      EXPECT_FALSE(fired) << words;
      continue;
    }
    ASSERT_TRUE(fired) << words;
    EXPECT_EQ(fired->name, "urgent");
  }
  auto f = facts(Stage::EndOfData);
  std::string tagged = "Subject: x\r\nX-Tag: " + std::string(100000, 'a') + "\r\n\r\n";
  f.content = tagged;
  auto fired = book.fire(f);
  ASSERT_TRUE(fired);
  EXPECT_EQ(fired->name, "nested");
}

TEST(Scenarios, PatternsAreRe2) {
  std::string error;
  EXPECT_TRUE(Pattern::compile("^[A-Z]{3}-\\d+", error));
  EXPECT_FALSE(Pattern::compile("(a)\\1", error));  // backreferences: not in RE2
  EXPECT_NE(error.find("escape"), std::string::npos) << error;
  EXPECT_FALSE(Pattern::compile("(unclosed", error));
  EXPECT_EQ(error, "missing ): (unclosed");
}

TEST(Scenarios, RepliesNameWhatTheyRefuse) {
  auto s = scenario("jim", Stage::Rcpt);
  s.reply = Reply{550, "", "Invalid recipient {recipient} from {sender} at {ip}; {other} stays"};
  policy::Scenarios book({s});
  auto f = facts(Stage::Rcpt);
  f.recipients = {"r@example.org"};
  auto fired = book.fire(f);
  ASSERT_TRUE(fired && fired->reply);
  EXPECT_EQ(fired->reply->text, "Invalid recipient r@example.org from a@example.com at 10.1.2.3; {other} stays");
}

TEST(Scenarios, UnderPrdrRecipientScenariosAnswerPerRecipientAndTheOthersForTheMessage) {
  auto full = scenario("full", Stage::EndOfData);
  full.match.recipient = "b@*";
  full.reply = Reply{552, "", "mailbox full"};
  auto all = scenario("all", Stage::EndOfData);
  all.every = 1;
  policy::Scenarios book({full, all});
  auto each = [&](std::string_view rcpt) {
    auto f = facts(Stage::EndOfData);
    f.recipients = {rcpt};
    f.prdr = policy::StageFacts::Prdr::EachRecipient;
    auto fired = book.fire(f);
    return fired ? fired->name : std::string("-");
  };
  EXPECT_EQ(each("a@x"), "-");  // "all" matches no single recipient
  EXPECT_EQ(each("b@x"), "full");
  auto whole = facts(Stage::EndOfData);
  whole.recipients = {"a@x", "b@x"};
  whole.prdr = policy::StageFacts::Prdr::WholeMessage;
  auto fired = book.fire(whole);
  ASSERT_TRUE(fired);
  EXPECT_EQ(fired->name, "all");  // "full" was asked already, per recipient
  // Without PRDR, a recipient scenario refuses the whole message, as before.
  whole.prdr = policy::StageFacts::Prdr::Off;
  EXPECT_EQ(book.fire(whole)->name, "full");
}
