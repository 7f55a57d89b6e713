#include <gtest/gtest.h>

#include "util/address.hpp"
#include "smtp/command.hpp"
#include "util/cidr.hpp"
#include "util/duration.hpp"

using namespace relaymock;
using namespace relaymock::smtp;

TEST(Address, Valid) {
  for (const char* a : {"<a@b.c>", "a@b.c", "<first.last+tag@sub.example.co.uk>", "<\"q u\"@b.c>", "<a@[192.0.2.1]>",
                        "<@relay.example:a@b.c>", "<üser@exämple.com>"}) {
    auto r = parse_mailbox(a);
    EXPECT_TRUE(r.mailbox) << a << ": " << r.error;
  }
  EXPECT_TRUE(parse_mailbox("<>").mailbox->null());
}

TEST(Address, InvalidWithExiMReasons) {
  EXPECT_EQ(parse_mailbox("<a@b.c").error, "'>' missing at end of address");
  EXPECT_EQ(parse_mailbox("<a..b@c.d>").error, "missing or malformed local part");
  EXPECT_EQ(parse_mailbox("<a@b..c>").error, "domain missing or malformed");
  EXPECT_EQ(parse_mailbox("<a@>").error, "domain missing or malformed");
  EXPECT_TRUE(parse_mailbox("<a>").unqualified);
}

TEST(Command, Verbs) {
  EXPECT_EQ(split_command("mail from:<a@b.c>").verb, Verb::Mail);
  EXPECT_EQ(split_command("MAIL FROM: <a@b.c>").arg, "<a@b.c>");
  EXPECT_EQ(split_command("MAIL <a@b.c>").verb, Verb::Unknown);
  EXPECT_EQ(split_command("rcpt to:<a@b.c>").verb, Verb::Rcpt);
  EXPECT_EQ(split_command("STARTTLS").verb, Verb::StartTls);
  EXPECT_EQ(split_command("DATAX").verb, Verb::Unknown);
}

TEST(Command, MailParameters) {
  MailParams p;
  auto r = parse_mail_arg("<a@b.c> SIZE=123 BODY=8bitmime SMTPUTF8 RET=HDRS ENVID=abc+2B AUTH=<>", p);
  ASSERT_TRUE(r.mailbox) << r.error;
  EXPECT_EQ(*p.size, 123u);
  EXPECT_EQ(p.body, "8BITMIME");
  EXPECT_TRUE(p.smtputf8);
  EXPECT_EQ(p.ret, "HDRS");
  EXPECT_EQ(p.envid, "abc+2B");
  EXPECT_EQ(*p.auth, "<>");
  MailParams q;
  EXPECT_FALSE(parse_mail_arg("<a@b.c> ENVID=bad+zz", q).mailbox);
  EXPECT_FALSE(parse_mail_arg("<a@b.c> BODY=9BIT", q).mailbox);
}

TEST(Command, Bdat) {
  EXPECT_TRUE(parse_bdat_arg("10").ok);
  EXPECT_TRUE(parse_bdat_arg("10 last").last);
  EXPECT_FALSE(parse_bdat_arg("").ok);
  EXPECT_FALSE(parse_bdat_arg("x").ok);
  EXPECT_FALSE(parse_bdat_arg("10 FIRST").ok);
  EXPECT_FALSE(parse_bdat_arg("99999999999999999999999").ok);
}

TEST(Cidr, MatchAndPrefix) {
  auto net = parse_cidr("10.1.0.0/16");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(*parse_ip("10.1.2.3")));
  EXPECT_FALSE(net->contains(*parse_ip("10.2.0.1")));
  EXPECT_TRUE(net->contains(*parse_ip("::ffff:10.1.9.9")));
  auto v6 = parse_cidr("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(*parse_ip("2001:db8:1::5")));
  EXPECT_FALSE(v6->contains(*parse_ip("10.1.2.3")));
  EXPECT_EQ(parse_cidr("::1")->written_prefix(), 128);
  EXPECT_EQ(parse_cidr("127.0.0.1")->written_prefix(), 32);
  std::string why;
  EXPECT_FALSE(parse_cidr("10.1.2.3/16", &why));
  EXPECT_FALSE(parse_cidr("10.0.0.0/33", &why));
  EXPECT_FALSE(parse_cidr("300.1.1.1", &why));
}

TEST(Duration, Forms) {
  EXPECT_EQ(parse_duration("30s")->count(), 30000);
  EXPECT_EQ(parse_duration("5m")->count(), 300000);
  EXPECT_EQ(parse_duration("1h30m")->count(), 5400000);
  EXPECT_EQ(parse_duration("45")->count(), 45000);
  EXPECT_EQ(parse_duration("250ms")->count(), 250);
  EXPECT_FALSE(parse_duration("5x"));
  EXPECT_FALSE(parse_duration("-5s"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("1h30"));
  EXPECT_FALSE(parse_duration("99999999999999999999d"));
  EXPECT_EQ(format_duration(Millis(3600000)), "1h");
  EXPECT_EQ(format_duration(Millis(90000)), "90s");
}
