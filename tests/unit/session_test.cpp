// The protocol state machine, byte by byte, with no sockets.
#include <gtest/gtest.h>

#include <cstring>

#include "session_harness.hpp"
#include "util/base64.hpp"
#include "smtp/sasl.hpp"

using relaymock::test::Harness;
using relaymock::Stage;
namespace smtp = relaymock::smtp;

namespace {

const char* kEhlo =
    "250-mx.test Hello client.example [192.0.2.1]\r\n"
    "250-SIZE 1000\r\n"
    "250-8BITMIME\r\n"
    "250-DSN\r\n"
    "250-PIPELINING\r\n"
    "250-PIPECONNECT\r\n"
    "250-AUTH CRAM-MD5 PLAIN LOGIN\r\n"
    "250-CHUNKING\r\n"
    "250-STARTTLS\r\n"
    "250-PRDR\r\n"
    "250-SMTPUTF8\r\n"
    "250 HELP\r\n";

TEST(Session, GreetingNamesRelaymock) {
  Harness h;
  h.session.greet("Fri, 13 Dec 2024 20:59:01 +0000");
  EXPECT_EQ(h.send(""), "220 mx.test ESMTP relaymock 1.0 Fri, 13 Dec 2024 20:59:01 +0000\r\n");
}

TEST(Session, EhloListsExtensionsInExiMOrder) {
  Harness h;
  EXPECT_EQ(h.send("EHLO client.example\r\n"), kEhlo);
}

TEST(Session, HeloKeepsArgumentCase) {
  Harness h;
  EXPECT_EQ(h.send("HELO Client.Example\r\n"), "250 mx.test Hello Client.Example [192.0.2.1]\r\n");
}

TEST(Session, InvalidEhloArgument) {
  Harness h;
  EXPECT_EQ(h.send("EHLO\r\n"), "501 Syntactically invalid EHLO argument(s)\r\n");
  EXPECT_EQ(h.send("EHLO bad_name\r\n"), "501 Syntactically invalid EHLO argument(s)\r\n");
  EXPECT_EQ(h.send("HELO a/b\r\n"), "501 Syntactically invalid HELO argument(s)\r\n");
  EXPECT_EQ(h.send("EHLO [192.0.2.1]\r\n").substr(0, 40), "250-mx.test Hello [192.0.2.1] [192.0.2.1");
}

TEST(Session, FullTransaction) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send("MAIL FROM:<a@example.com> SIZE=100 BODY=8BITMIME\r\n"), "250 sender ok.\r\n");
  EXPECT_EQ(h.send("RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.com\r\n"),
            "250 Accepted <b@example.com>\r\n");
  EXPECT_EQ(h.send("DATA\r\n"), "354 Enter message, ending with \".\" on a line by itself\r\n");
  EXPECT_EQ(h.send("Subject: hi\r\n\r\n..dot\r\n.\r\n"), "250 OK id=1wvlsG-7tiG0Lhs7a5-fDer\r\n");
  ASSERT_EQ(h.handler.delivered.size(), 1u);
  EXPECT_EQ(h.handler.delivered[0], "Subject: hi\r\n\r\n.dot\r\n");
  EXPECT_EQ(h.handler.envelopes[0].params.body, "8BITMIME");
  EXPECT_EQ(h.handler.envelopes[0].rcpts[0].params.notify, "SUCCESS,FAILURE");
  EXPECT_EQ(h.handler.envelopes[0].rcpts[0].params.orcpt, "rfc822;b@example.com");
  // The session is ready for the next transaction.
  EXPECT_EQ(h.send("MAIL FROM:<a@example.com>\r\n"), "250 sender ok.\r\n");
}

TEST(Session, OrderErrors) {
  Harness h;
  EXPECT_EQ(h.send("MAIL FROM:<a@example.com>\r\n"), "503 HELO or EHLO required\r\n");
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send("RCPT TO:<b@example.com>\r\n"), "503 sender not yet given\r\n");
  Harness h2;
  h2.send("EHLO c.example\r\n");
  EXPECT_EQ(h2.send("DATA\r\n"), "503 valid RCPT command must precede DATA\r\n");
  EXPECT_EQ(h2.send("MAIL FROM:<a@example.com>\r\n"), "250 sender ok.\r\n");
  EXPECT_EQ(h2.send("MAIL FROM:<a@example.com>\r\n"), "503 sender already given\r\n");
}

TEST(Session, FourthProtocolErrorCloses) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send("RCPT TO:<b@example.com>\r\n"), "503 sender not yet given\r\n");
  EXPECT_EQ(h.send("RCPT TO:<b@example.com>\r\n"), "503 sender not yet given\r\n");
  EXPECT_EQ(h.send("RCPT TO:<b@example.com>\r\n"), "503 sender not yet given\r\n");
  EXPECT_EQ(h.send("RCPT TO:<b@example.com>\r\n"),
            "503-sender not yet given\r\n503 Too many syntax or protocol errors\r\n");
  EXPECT_TRUE(h.session.closing());
}

TEST(Session, UnknownCommands) {
  Harness h;
  EXPECT_EQ(h.send("FOO\r\n"), "500 unrecognized command\r\n");
  EXPECT_EQ(h.send("MAIL\r\n"), "500 unrecognized command\r\n");
  EXPECT_EQ(h.send("HELOX\r\n"), "500 unrecognized command\r\n");
  EXPECT_EQ(h.send("BAR\r\n"), "500 Too many unrecognized commands\r\n");
  EXPECT_TRUE(h.session.closing());
  EXPECT_EQ(h.send("NOOP\r\n"), "");
}

TEST(Session, SimpleCommands) {
  Harness h;
  EXPECT_EQ(h.send("NOOP\r\n"), "250 OK\r\n");
  EXPECT_EQ(h.send("NOOP anything\r\n"), "250 OK\r\n");
  EXPECT_EQ(h.send("RSET\r\n"), "250 Reset OK\r\n");
  EXPECT_EQ(h.send("VRFY someone\r\n"), "252 Administrative prohibition\r\n");
  EXPECT_EQ(h.send("EXPN list\r\n"), "550 Administrative prohibition\r\n");
  EXPECT_EQ(h.send("HELP\r\n"),
            "214-Commands supported:\r\n214 AUTH STARTTLS HELO EHLO MAIL RCPT DATA BDAT NOOP QUIT RSET HELP\r\n");
  EXPECT_EQ(h.send("RSET now\r\n"), "501 unexpected argument data\r\n");
  EXPECT_EQ(h.send("QUIT now\r\n"), "501 unexpected argument data\r\n");
  EXPECT_EQ(h.send("quit\r\n"), "221 mx.test closing connection\r\n");
  EXPECT_TRUE(h.session.closing());
}

TEST(Session, AddressErrorsInExiMWords) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send("MAIL FROM:\r\n"), "501 MAIL must have an address operand\r\n");
  EXPECT_EQ(h.send("MAIL FROM:<a@b.c\r\n"), "501 <a@b.c: '>' missing at end of address\r\n");
  EXPECT_EQ(h.send("MAIL FROM:<a>\r\n"), "501 <a>: sender address must contain a domain\r\n");
  Harness h2;
  h2.send("EHLO c.example\r\n");
  EXPECT_EQ(h2.send("MAIL FROM:<a@b.c> FOO=1\r\n"),
            "501 <a@b.c> FOO=1: malformed address: FOO=1 may not follow <a@b.c> \r\n");
  EXPECT_EQ(h2.send("MAIL FROM:<a@b.c> SIZE=x\r\n"),
            "501 <a@b.c> SIZE=x: malformed address: SIZE=x may not follow <a@b.c> \r\n");
  EXPECT_EQ(h2.send("MAIL FROM:<a@-b.c>\r\n"), "501 <a@-b.c>: domain missing or malformed\r\n");
  Harness h3;
  h3.send("EHLO c.example\r\n");
  EXPECT_EQ(h3.send("MAIL FROM:<>\r\n"), "250 sender ok.\r\n");
  EXPECT_EQ(h3.send("RCPT TO:\r\n"), "501 RCPT must have an address operand\r\n");
  EXPECT_EQ(h3.send("RCPT TO:<b>\r\n"), "501 <b>: recipient address must contain a domain\r\n");
  EXPECT_EQ(h3.send("RCPT TO:<b@c.d> NOTIFY=SOMETIMES\r\n"),
            "501 <b@c.d> NOTIFY=SOMETIMES: malformed address: NOTIFY=SOMETIMES may not follow <b@c.d> \r\n");
}

TEST(Session, DeclaredSizeOverLimitRefusedAtMail) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send("MAIL FROM:<a@b.c> SIZE=1001\r\n"), "552 Message size exceeds maximum permitted\r\n");
  EXPECT_EQ(h.send("MAIL FROM:<a@b.c> SIZE=1000\r\n"), "250 sender ok.\r\n");
}

TEST(Session, OversizedDataIsReadToItsEndThenRefused) {
  Harness h;
  h.send("EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n");
  std::string body(1500, 'x');
  EXPECT_EQ(h.send(body + "\r\n.\r\n"), "552 Message size exceeds maximum permitted\r\n");
  EXPECT_TRUE(h.handler.delivered.empty());
  EXPECT_EQ(h.handler.abandoned, 1);
  // Still usable.
  EXPECT_EQ(h.send("MAIL FROM:<a@b.c>\r\n"), "250 sender ok.\r\n");
}

TEST(Session, TooManyRecipients) {
  Harness h;
  h.send("EHLO c.example\r\nMAIL FROM:<a@b.c>\r\n");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(h.send("RCPT TO:<r" + std::to_string(i) + "@b.c>\r\n"), "250 Accepted <r" + std::to_string(i) + "@b.c>\r\n");
  EXPECT_EQ(h.send("RCPT TO:<r9@b.c>\r\n"), "452 too many recipients\r\n");
}

TEST(Session, PipelinedBatchAnsweredInOrder) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send_packet("MAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nRCPT TO:<y@b.c>\r\nDATA\r\n"),
            "250 sender ok.\r\n250 Accepted <x@b.c>\r\n250 Accepted <y@b.c>\r\n354 Enter message, ending with \".\" on a line by itself\r\n");
}

TEST(Session, AllRecipientsRejectedThenPipelinedData) {
  Harness h;
  h.handler.refused_rcpts = {"x@b.c", "y@b.c"};
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send_packet("MAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nRCPT TO:<y@b.c>\r\nDATA\r\n"),
            "250 sender ok.\r\n"
            "550 Relay access denied - please authenticate\r\n"
            "550 Relay access denied - please authenticate\r\n"
            "503-All RCPT commands were rejected with this error:\r\n"
            "503-Relay access denied - please authenticate\r\n"
            "503 Valid RCPT command must precede DATA\r\n");
}

TEST(Session, MultiLineRejectionEchoedInFull) {
  Harness h;
  h.handler.refused_rcpts = {"x@b.c"};
  h.handler.refusal = "550-Verification failed for <a@b.c>\n550-Unroutable domain\n550 Unable to verify sender address";
  h.send("EHLO c.example\r\nMAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(h.send("RCPT TO:<x@b.c>\r\nDATA\r\n"),
            "550-Verification failed for <a@b.c>\r\n550-Unroutable domain\r\n550 Unable to verify sender address\r\n"
            "503-All RCPT commands were rejected with this error:\r\n"
            "503-Verification failed for <a@b.c>\r\n503-Unroutable domain\r\n503-Unable to verify sender address\r\n"
            "503 Valid RCPT command must precede DATA\r\n");
}

TEST(Session, SomeRecipientsPassSomeFail) {
  Harness h;
  h.handler.refused_rcpts = {"x@b.c"};
  h.send("EHLO c.example\r\nMAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(h.send("RCPT TO:<x@b.c>\r\n"), "550 Relay access denied - please authenticate\r\n");
  EXPECT_EQ(h.send("RCPT TO:<y@b.c>\r\n"), "250 Accepted <y@b.c>\r\n");
  h.send("DATA\r\nhello\r\n.\r\n");
  ASSERT_EQ(h.handler.envelopes.size(), 1u);
  ASSERT_EQ(h.handler.envelopes[0].rcpts.size(), 1u);
  EXPECT_EQ(h.handler.envelopes[0].rcpts[0].mailbox.str(), "y@b.c");
}

// A RCPT waiting for a lookup holds back itself and everything pipelined after
// it; resume() answers in order, as if there had been no wait.
TEST(Session, PausedRcptKeepsPipelinedOrder) {
  Harness h;
  h.handler.pause_rcpts = true;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send_packet("MAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nRCPT TO:<y@b.c>\r\nDATA\r\n"), "250 sender ok.\r\n");
  EXPECT_TRUE(h.session.paused());
  EXPECT_EQ(h.send_packet("NOOP\r\n"), "");  // fed while paused: kept, not answered
  h.session.resume();
  EXPECT_TRUE(h.session.paused());  // the second pause, at y@b.c
  EXPECT_EQ(h.take(), "250 Accepted <x@b.c>\r\n");
  h.handler.pause_rcpts = false;
  h.session.resume();
  EXPECT_FALSE(h.session.paused());
  // DATA was followed by more input (the NOOP): a pipelining violation.
  EXPECT_EQ(h.take(), "250 Accepted <y@b.c>\r\n554 SMTP synchronization error\r\n");
  EXPECT_TRUE(h.session.closing());

  Harness g;
  g.handler.pause_rcpts = true;
  g.send("EHLO c.example\r\n");
  EXPECT_EQ(g.send_packet("MAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nDATA\r\n"), "250 sender ok.\r\n");
  g.handler.pause_rcpts = false;
  g.session.resume();
  EXPECT_EQ(g.take(), "250 Accepted <x@b.c>\r\n354 Enter message, ending with \".\" on a line by itself\r\n");
  EXPECT_EQ(g.send_packet("hi\r\n.\r\n"), "250 OK id=1wvlsG-7tiG0Lhs7a5-fDer\r\n");
  ASSERT_EQ(g.handler.delivered.size(), 1u);
  EXPECT_EQ(g.handler.delivered[0], "hi\r\n");
}

// Which batches a client may send without waiting (RFC 2920, as Exim
// enforces it); anything else ends the session with Exim's 554.
TEST(Session, PipeliningBatchesAllowedAndNot) {
  struct Row {
    const char* name;
    const char* before;  // sent politely first
    const char* packet;  // then in one read
    const char* last_reply;
  } rows[] = {
      {"MAIL RCPT DATA after EHLO", "EHLO c.example\r\n",
       "MAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nRSET\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nDATA\r\n",
       "354 Enter message, ending with \".\" on a line by itself"},
      {"content right after DATA", "EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\n",
       "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n", "554 SMTP synchronization error"},
      {"a command after the final dot", "EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nDATA\r\n",
       "body\r\n.\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nQUIT\r\n", "221 mx.test closing connection"},
      {"BDAT with its chunk and more", "EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\n",
       "BDAT 5 LAST\r\nhelloRSET\r\nNOOP\r\n", "250 OK"},
      {"EHLO then MAIL", "", "EHLO c.example\r\nMAIL FROM:<a@b.c>\r\n", "554 SMTP synchronization error"},
      {"VRFY in a group", "EHLO c.example\r\n", "VRFY x\r\nNOOP\r\n", "554 SMTP synchronization error"},
      {"MAIL RCPT after HELO", "HELO c.example\r\n", "MAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\n",
       "554 SMTP synchronization error"},
      {"one command after HELO", "HELO c.example\r\n", "MAIL FROM:<a@b.c>\r\n", "250 sender ok."},
  };
  for (const auto& row : rows) {
    Harness h;
    h.send(row.before);
    auto out = h.send_packet(row.packet);
    ASSERT_GE(out.size(), 2u) << row.name;
    out.resize(out.size() - 2);
    auto last = out.substr(out.rfind("\r\n") == std::string::npos ? 0 : out.rfind("\r\n") + 2);
    EXPECT_EQ(last, row.last_reply) << row.name << "\n" << out;
    EXPECT_EQ(h.session.closing(), std::string(row.last_reply).rfind("554", 0) == 0 ||
                                       std::string(row.last_reply).rfind("221", 0) == 0)
        << row.name;
  }
}

// Large content is offered to the handler chunk by chunk; deliver() gets the
// rest; the two together are the message, for DATA and BDAT alike.
TEST(Session, LargeContentIsSpooledInChunks) {
  Harness h;
  h.settings.limits.max_message_size = 10 * smtp::Session::kSpoolChunk;
  h.handler.spooling = true;
  std::string body;
  for (int i = 0; body.size() < 3 * smtp::Session::kSpoolChunk; ++i) body += "line " + std::to_string(i) + "\r\n";
  h.send("EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nDATA\r\n");
  auto wire = smtp::dot_stuff(body);
  for (std::size_t i = 0; i < wire.size(); i += 70000) h.send(std::string_view(wire).substr(i, 70000));
  ASSERT_EQ(h.handler.delivered.size(), 1u);
  EXPECT_GE(h.handler.spooled.size(), 2 * smtp::Session::kSpoolChunk);
  EXPECT_LT(h.handler.delivered[0].size(), smtp::Session::kSpoolChunk);
  EXPECT_EQ(h.handler.spooled + h.handler.delivered[0], body);

  h.handler.spooled.clear();
  std::string chunk(2 * smtp::Session::kSpoolChunk + 5, 'b');
  h.send("MAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nBDAT " + std::to_string(chunk.size()) + " LAST\r\n");
  h.send(chunk);
  ASSERT_EQ(h.handler.delivered.size(), 2u);
  EXPECT_EQ(h.handler.spooled + h.handler.delivered[1], chunk);
}

// The same conversation split at every byte boundary gives the same replies.
TEST(Session, SplitAtEveryByteGivesSameReplies) {
  const std::string script =
      "EHLO c.example\r\nAUTH PLAIN AGFwcABzZWNyZXQ=\r\nMAIL FROM:<a@b.c> SIZE=20\r\n"
      "RCPT TO:<x@b.c>\r\nDATA\r\nSubject: x\r\n\r\n..a\r\n.b\r\n.\r\n"
      "MAIL FROM:<a@b.c>\r\nRCPT TO:<y@b.c>\r\nBDAT 5\r\nhelloBDAT 3 LAST\r\n\r\n.RSET\r\nNOOP\r\nQUIT\r\n";
  Harness whole;
  const std::string expected = whole.send(script);
  ASSERT_NE(expected.find("250 OK id="), std::string::npos);
  ASSERT_NE(expected.find("221 mx.test closing"), std::string::npos);
  for (std::size_t cut = 1; cut < script.size(); ++cut) {
    Harness h;
    std::string got = h.send(script.substr(0, cut));
    got += h.send(script.substr(cut));
    ASSERT_EQ(got, expected) << "split at " << cut;
    ASSERT_EQ(h.handler.delivered, whole.handler.delivered) << "split at " << cut;
  }
  // And one byte at a time.
  Harness h;
  std::string got;
  for (char c : script) got += h.send(std::string(1, c));
  EXPECT_EQ(got, expected);
}

TEST(Session, OnlyCrLfDotCrLfEndsData) {
  // Each of these inside a body must not end it (SMTP smuggling).
  using namespace std::string_literals;
  const std::string smuggles[] = {"\n.\n"s, "\n.\r\n"s, "\r.\n"s, "\r.\r"s, "\r.\r\n"s, "\n.\r"s, "\r\n.\n"s,
                                  "\r\n.\r"s, "\r\n\x00.\r\n"s, "\r\n.\r\r\n"s, "\r\r\n.\r\r\n"s};
  for (const auto& seq : smuggles) {
    Harness h;
    h.send("EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nDATA\r\n");
    std::string out = h.send_packet("body" + seq + "MAIL FROM:<evil@b.c>\r\nRCPT TO:<y@b.c>\r\nDATA\r\nevil\r\n.\r\n");
    EXPECT_EQ(out, "250 OK id=1wvlsG-7tiG0Lhs7a5-fDer\r\n") << "sequence of " << seq.size() << " bytes";
    ASSERT_EQ(h.handler.delivered.size(), 1u);
    EXPECT_NE(h.handler.delivered[0].find("MAIL FROM:<evil@b.c>"), std::string::npos);
  }
}

TEST(Session, BareLineEndingsInCommandsCloseTheSession) {
  Harness h;
  EXPECT_EQ(h.send_packet("NOOP\nMAIL FROM:<a@b.c>\r\n"), "554 Bare CR or LF in SMTP command - closing connection\r\n");
  EXPECT_TRUE(h.session.closing());
  Harness h2;
  EXPECT_EQ(h2.send("NOOP\rRSET\r\n"), "554 Bare CR or LF in SMTP command - closing connection\r\n");
}

TEST(Session, CommandLineLimits) {
  Harness h;
  std::string ok_line = "NOOP " + std::string(505, 'a') + "\r\n";  // 512 octets with CRLF
  ASSERT_EQ(ok_line.size(), 512u);
  EXPECT_EQ(h.send(ok_line), "250 OK\r\n");
  EXPECT_EQ(h.send("NOOP " + std::string(506, 'a') + "\r\n"), "500 Command line too long\r\n");
  // Unbounded garbage without a newline ends the session instead of growing a buffer.
  Harness h2;
  EXPECT_EQ(h2.send(std::string(20000, 'x')), "500 Command line too long - closing connection\r\n");
  EXPECT_TRUE(h2.session.closing());
  EXPECT_EQ(h2.session.buffered(), 0u);
}

TEST(Session, NulInCommand) {
  Harness h;
  EXPECT_EQ(h.send(std::string("NOOP a\0b\r\n", 10)), "501 NUL characters are not allowed in SMTP commands\r\n");
}

TEST(Session, BdatChunks) {
  Harness h;
  h.send("EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\n");
  EXPECT_EQ(h.send("BDAT 6\r\nab\r\n.\r"), "250 6 byte chunk received\r\n");
  EXPECT_EQ(h.send("BDAT 3 LAST\r\n\ncd"), "250- 3 byte chunk, total 9\r\n250 OK id=1wvlsG-7tiG0Lhs7a5-fDer\r\n");
  ASSERT_EQ(h.handler.delivered.size(), 1u);
  EXPECT_EQ(h.handler.delivered[0], "ab\r\n.\r\ncd");  // no unstuffing, no end marker in BDAT
}

TEST(Session, PrdrAnswersEachRecipientThenTheMessage) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send("MAIL FROM:<a@b.c> PRDR\r\n"), "250 sender ok.\r\n");
  h.send("RCPT TO:<x@b.c>\r\nRCPT TO:<y@b.c>\r\nDATA\r\n");
  EXPECT_EQ(h.send("Subject: s\r\n\r\nbody\r\n.\r\n"),
            "353 PRDR content analysis beginning\r\n"
            "250 PRDR R=<x@b.c> acceptance\r\n"
            "250 PRDR R=<y@b.c> acceptance\r\n"
            "250 id=1wvlsG-7tiG0Lhs7a5-PRDR message accepted\r\n");
  ASSERT_EQ(h.handler.envelopes.size(), 1u);
  EXPECT_EQ(h.handler.envelopes[0].rcpts.size(), 2u);
  EXPECT_EQ(h.handler.envelopes[0].planned_id, "1wvlsG-7tiG0Lhs7a5-PRDR");
  EXPECT_EQ(h.handler.prdr_asked, (std::vector<std::string>{"x@b.c", "y@b.c", "*"}));
}

TEST(Session, PrdrRefusesOneRecipientAndDeliversToTheOthers) {
  Harness h;
  h.handler.prdr_refuse = {"y@b.c"};
  h.send("EHLO c.example\r\nMAIL FROM:<a@b.c> PRDR\r\nRCPT TO:<x@b.c>\r\nRCPT TO:<y@b.c>\r\n"
         "RCPT TO:<z@b.c>\r\nDATA\r\n");
  EXPECT_EQ(h.send("body\r\n.\r\n"),
            "353 PRDR content analysis beginning\r\n"
            "250 PRDR R=<x@b.c> acceptance\r\n"
            "550 mailbox full\r\n"
            "250 PRDR R=<z@b.c> acceptance\r\n"
            "250 id=1wvlsG-7tiG0Lhs7a5-PRDR message accepted for some recipients\r\n");
  ASSERT_EQ(h.handler.envelopes.size(), 1u);
  ASSERT_EQ(h.handler.envelopes[0].rcpts.size(), 2u);
  EXPECT_EQ(h.handler.envelopes[0].rcpts[1].mailbox.str(), "z@b.c");
  EXPECT_EQ(h.handler.prdr_refused, (std::vector<std::string>{"y@b.c"}));
  // The session goes on as after any message.
  EXPECT_EQ(h.send("MAIL FROM:<a@b.c>\r\n"), "250 sender ok.\r\n");
}

TEST(Session, PrdrRefusingEveryRecipientRefusesTheMessage) {
  Harness h;
  h.handler.prdr_refuse = {"x@b.c", "y@b.c"};
  h.send("EHLO c.example\r\nMAIL FROM:<a@b.c> PRDR\r\nRCPT TO:<x@b.c>\r\nRCPT TO:<y@b.c>\r\nDATA\r\n");
  EXPECT_EQ(h.send("body\r\n.\r\n"),
            "353 PRDR content analysis beginning\r\n550 mailbox full\r\n550 mailbox full\r\n"
            "550 id=1wvlsG-7tiG0Lhs7a5-PRDR message rejected for all recipients\r\n");
  EXPECT_TRUE(h.handler.envelopes.empty());
  EXPECT_EQ(h.handler.abandoned, 1);
  EXPECT_EQ(h.handler.rules.back(), "prdr_refused");
  // The message-wide question is not asked once nobody is left.
  EXPECT_EQ(h.handler.prdr_asked, (std::vector<std::string>{"x@b.c", "y@b.c"}));
}

TEST(Session, PrdrWithOneRecipientOrWithoutTheParameterIsTheUsualReply) {
  Harness h;
  h.send("EHLO c.example\r\nMAIL FROM:<a@b.c> prdr\r\nRCPT TO:<x@b.c>\r\nDATA\r\n");
  EXPECT_EQ(h.send("body\r\n.\r\n"), "250 OK id=1wvlsG-7tiG0Lhs7a5-fDer\r\n");
  EXPECT_TRUE(h.handler.prdr_asked.empty());
  h.send("MAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nRCPT TO:<y@b.c>\r\nDATA\r\n");
  EXPECT_EQ(h.send("body\r\n.\r\n"), "250 OK id=1wvlsG-7tiG0Lhs7a5-fDer\r\n");
  EXPECT_EQ(h.send("MAIL FROM:<a@b.c> PRDR=1\r\n"),
            "501 <a@b.c> PRDR=1: malformed address: PRDR=1 may not follow <a@b.c> \r\n");
}

TEST(Session, PrdrAfterBdatLast) {
  Harness h;
  h.handler.prdr_refuse = {"x@b.c"};
  h.send("EHLO c.example\r\nMAIL FROM:<a@b.c> PRDR\r\nRCPT TO:<x@b.c>\r\nRCPT TO:<y@b.c>\r\n");
  EXPECT_EQ(h.send("BDAT 2 LAST\r\nab"),
            "353 PRDR content analysis beginning\r\n550 mailbox full\r\n250 PRDR R=<y@b.c> acceptance\r\n"
            "250 id=1wvlsG-7tiG0Lhs7a5-PRDR message accepted for some recipients\r\n");
  ASSERT_EQ(h.handler.delivered.size(), 1u);
  EXPECT_EQ(h.handler.delivered[0], "ab");
}

TEST(Session, BdatErrors) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send("BDAT\r\n"), "501 missing size for BDAT command\r\n");
  EXPECT_EQ(h.send("BDAT 0\r\n"), "504 zero size for BDAT command\r\n");
  // No recipient: refused, and the chunk is read and dropped rather than run as commands.
  EXPECT_EQ(h.send("BDAT 6 LAST\r\nQUIT\r\n"), "503 valid RCPT command must precede BDAT\r\n");
  EXPECT_FALSE(h.session.closing());
  Harness h2;
  h2.send("EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nBDAT 2\r\nab");
  EXPECT_EQ(h2.send("DATA\r\n"), "503 only BDAT permissible after non-LAST BDAT\r\n");
  EXPECT_EQ(h2.send("BDAT 1 LAST\r\n"), "503 only RSET accepted now\r\n");
  EXPECT_EQ(h2.send("RSET\r\n"), "250 Reset OK\r\n");
}

TEST(Session, BdatOverSize) {
  Harness h;
  h.send("EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\n");
  EXPECT_EQ(h.send("BDAT 1500 LAST\r\n" + std::string(1500, 'z')), "552 Message size exceeds maximum permitted\r\n");
  EXPECT_EQ(h.send("NOOP\r\n"), "250 OK\r\n");
}

TEST(Session, AuthPlainWithAndWithoutInitialResponse) {
  Harness h;
  h.send("EHLO c.example\r\n");
  std::string good = relaymock::base64_encode(std::string("\0app\0secret", 11));
  EXPECT_EQ(h.send("AUTH PLAIN " + good + "\r\n"), "235 Authentication succeeded\r\n");
  EXPECT_EQ(h.send("AUTH PLAIN " + good + "\r\n"), "503 already authenticated\r\n");
  Harness h2;
  h2.send("EHLO c.example\r\n");
  EXPECT_EQ(h2.send("AUTH PLAIN\r\n"), "334 \r\n");
  EXPECT_EQ(h2.send(relaymock::base64_encode(std::string("\0app\0wrong", 10)) + "\r\n"),
            "535 Incorrect authentication data\r\n");
}

TEST(Session, AuthLoginAndCramMd5) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(h.send(relaymock::base64_encode("app") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(h.send(relaymock::base64_encode("secret") + "\r\n"), "235 Authentication succeeded\r\n");

  Harness h2;
  h2.send("EHLO c.example\r\n");
  std::string prompt = h2.send("AUTH CRAM-MD5\r\n");
  ASSERT_EQ(prompt.substr(0, 4), "334 ");
  auto challenge = relaymock::base64_decode(prompt.substr(4, prompt.size() - 6));
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->front(), '<');
  std::string answer = relaymock::base64_encode("app " + smtp::cram_md5_digest("secret", *challenge));
  EXPECT_EQ(h2.send(answer + "\r\n"), "235 Authentication succeeded\r\n");
}

TEST(Session, AuthErrors) {
  Harness h;
  EXPECT_EQ(h.send("AUTH PLAIN\r\n"), "503 AUTH command used when not advertised\r\n");
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send("AUTH GSSAPI\r\n"), "504 GSSAPI authentication mechanism not supported\r\n");
  EXPECT_EQ(h.send("AUTH CRAM-MD5 abc\r\n"), "553 Initial data not expected\r\n");
  Harness h2;
  h2.send("EHLO c.example\r\n");
  EXPECT_EQ(h2.send("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(h2.send("*\r\n"), "501 Authentication cancelled\r\n");
  EXPECT_EQ(h2.send("AUTH PLAIN !!!\r\n"), "501 Invalid base64 data\r\n");
  EXPECT_EQ(h2.send("MAIL FROM:<a@b.c>\r\n"), "250 sender ok.\r\n");
  EXPECT_EQ(h2.send("AUTH PLAIN\r\n"), "503 not permitted in mail transaction\r\n");
}

TEST(Session, StartTlsDiscardsPipelinedCommandsAndResets) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send_packet("STARTTLS\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\n"), "220 TLS go ahead\r\n");
  EXPECT_TRUE(h.session.wants_tls());
  EXPECT_EQ(h.send("NOOP\r\n"), "");  // plaintext before the handshake is ignored
  h.session.tls_started();
  EXPECT_EQ(h.send("MAIL FROM:<a@b.c>\r\n"), "503 HELO or EHLO required\r\n");
  std::string ehlo = h.send("EHLO c.example\r\n");
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  EXPECT_EQ(h.send("STARTTLS\r\n"), "554 Already in TLS\r\n");
}

TEST(Session, StartTlsErrors) {
  Harness h;
  EXPECT_EQ(h.send("STARTTLS\r\n"), "503 STARTTLS command used when not advertised\r\n");
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send("STARTTLS foo\r\n"), "501 unexpected argument data\r\n");
  smtp::Settings plain = relaymock::test::test_settings();
  plain.starttls_offered = false;
  relaymock::test::FakeHandler fh;
  smtp::Session s(plain, fh, {"192.0.2.1", 25, false});
  s.feed("EHLO c.example\r\n");
  s.feed("STARTTLS\r\n");
  EXPECT_EQ(s.output().find("250-STARTTLS"), std::string::npos);  // not advertised
  EXPECT_NE(s.output().find("503 STARTTLS command used when not advertised"), std::string::npos);
}

TEST(Session, TimeoutAndShutdownReplies) {
  Harness h;
  h.session.timeout();
  EXPECT_EQ(h.send(""), "421 mx.test: SMTP command timeout - closing connection\r\n");
  Harness h2;
  h2.send("EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nDATA\r\npartial");
  h2.session.timeout();
  EXPECT_EQ(h2.send(""), "421 mx.test SMTP incoming data timeout - closing connection.\r\n");
  Harness h3;
  h3.session.shutdown();
  EXPECT_EQ(h3.send(""), "421 mx.test: Service not available - closing connection\r\n");
  Harness h4;
  h4.send("EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\nDATA\r\n");
  h4.session.shutdown();
  EXPECT_EQ(h4.send(""),
            "421 mx.test Service not available - SIGTERM or SIGINT received - closing connection.\r\n");
  EXPECT_EQ(h4.handler.abandoned, 1);
}

TEST(Session, EnhancedStatusCodes) {
  Harness h;
  h.settings.enhanced_codes = true;
  std::string ehlo = h.send("EHLO c.example\r\n");
  EXPECT_NE(ehlo.find("250-ENHANCEDSTATUSCODES\r\n"), std::string::npos);
  EXPECT_EQ(h.send("MAIL FROM:<a@b.c>\r\n"), "250 2.1.0 sender ok.\r\n");
  EXPECT_EQ(h.send("RCPT TO:<x@b.c>\r\n"), "250 2.1.5 Accepted <x@b.c>\r\n");
  EXPECT_EQ(h.send("MAIL FROM:<a@b.c>\r\n"), "503 5.5.1 sender already given\r\n");
}

}  // namespace

// Repeated AUTH failures: answered later and later, then the session ends.
TEST(Session, FailedAuthSlowsDownThenCloses) {
  Harness h;
  h.send("EHLO c.example\r\n");
  std::vector<long> delays;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(h.send("AUTH PLAIN AGFwcAB3cm9uZw==\r\n"), "535 Incorrect authentication data\r\n");
    delays.push_back(static_cast<long>(h.session.take_delay().count()));
  }
  EXPECT_EQ(delays, (std::vector<long>{0, 0, 1000, 2000, 4000}));
  EXPECT_EQ(h.send("AUTH PLAIN AGFwcAB3cm9uZw==\r\n"),
            "421 mx.test: too many failed authentication attempts - closing connection\r\n");
  EXPECT_EQ(h.session.take_delay().count(), 8000);
  EXPECT_TRUE(h.session.closing());
  // A success in between does not reset the count, but does authenticate.
  Harness g;
  g.send("EHLO c.example\r\nAUTH PLAIN AGFwcAB3cm9uZw==\r\n");
  EXPECT_EQ(g.send("AUTH PLAIN AGFwcABzZWNyZXQ=\r\n"), "235 Authentication succeeded\r\n");
}

TEST(Session, HttpOnAnSmtpPortClosesAtOnce) {
  Harness h;
  EXPECT_EQ(h.send_packet("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            "554 HTTP request on an SMTP port - closing connection\r\n");
  EXPECT_TRUE(h.session.closing());
  Harness g;  // a command that merely starts like a method is only unknown
  EXPECT_EQ(g.send("GET something\r\n"), "500 unrecognized command\r\n");
  EXPECT_FALSE(g.session.closing());
}

TEST(Session, ControlCharactersNeverReachAReply) {
  Harness h;
  h.send("EHLO c.example\r\n");
  auto out = h.send("MAIL FROM:<a\x1b[31m@b.c\x07>\r\n");
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_EQ(out.find('\x07'), std::string::npos);
  EXPECT_NE(out.find("\\x1b"), std::string::npos) << out;
  out = h.send("AUTH X\x01Y\r\n");
  EXPECT_EQ(out, "504 X\\x01Y authentication mechanism not supported\r\n");
  out = h.send("EHLO bad\x7f" "name\r\n");
  EXPECT_EQ(out.find('\x7f'), std::string::npos);
}

// Scripts (scenarios) answer instead of the command, before any rule.
TEST(Session, ScriptedReplyReplacesTheAnswerAtEachPoint) {
  using P = Stage;
  const std::string mail = "MAIL FROM:<a@example.com>\r\n", rcpt = "RCPT TO:<b@example.org>\r\n";
  struct Case {
    P point;
    std::string before, command, expected;
  };
  std::vector<Case> cases = {
      {P::Ehlo, "", "EHLO c.test\r\n", "451 scripted\r\n"},
      {P::Auth, "EHLO c.test\r\n", "AUTH PLAIN " + relaymock::base64_encode(std::string("\0app\0secret", 11)) + "\r\n",
       "451 scripted\r\n"},
      {P::Mail, "EHLO c.test\r\n", mail, "451 scripted\r\n"},
      {P::Rcpt, "EHLO c.test\r\n" + mail, rcpt, "451 scripted\r\n"},
      {P::Data, "EHLO c.test\r\n" + mail + rcpt, "DATA\r\n", "451 scripted\r\n"},
      {P::EndOfData, "EHLO c.test\r\n" + mail + rcpt + "DATA\r\n", "Subject: x\r\n\r\nhi\r\n.\r\n",
       "451 scripted\r\n"},
  };
  for (const auto& c : cases) {
    Harness h;
    h.greet();
    h.handler.script_at = c.point;
    h.handler.scripted_outcome.reply = relaymock::Reply{451, "4.3.0", "scripted"};
    h.send(c.before);
    EXPECT_EQ(h.send(c.command), c.expected) << static_cast<int>(c.point);
    EXPECT_TRUE(h.handler.delivered.empty());
    EXPECT_FALSE(h.session.closing());
  }
}

TEST(Session, ScriptedConnectRefusalClosesAndDisconnectIsSilent) {
  Harness h;
  h.handler.script_at = Stage::Connect;
  h.handler.scripted_outcome.reply = relaymock::Reply{421, "", "busy"};
  EXPECT_EQ(h.greet(), "421 busy\r\n");
  EXPECT_TRUE(h.session.closing());

  Harness quiet;
  quiet.greet();
  quiet.handler.script_at = Stage::Mail;
  quiet.handler.scripted_outcome.disconnect = true;
  quiet.send("EHLO c.test\r\n");
  EXPECT_EQ(quiet.send("MAIL FROM:<a@example.com>\r\n"), "");
  EXPECT_TRUE(quiet.session.closing());
}

TEST(Session, ScriptedDelayOnlyHoldsTheNormalAnswer) {
  Harness h;
  h.greet();
  h.handler.script_at = Stage::Mail;
  h.handler.scripted_outcome.delay = std::chrono::milliseconds(1500);
  h.send("EHLO c.test\r\n");
  EXPECT_EQ(h.send("MAIL FROM:<a@example.com>\r\n"), "250 sender ok.\r\n");
  EXPECT_EQ(h.session.take_delay(), std::chrono::milliseconds(1500));
}

TEST(Session, PausedRcptAsksItsScriptOnce) {
  Harness h;
  h.greet();
  h.handler.pause_rcpts = true;
  h.send("EHLO c.test\r\nMAIL FROM:<a@example.com>\r\n");
  h.handler.script_points.clear();
  h.send("RCPT TO:<b@example.org>\r\n");
  ASSERT_TRUE(h.session.paused());
  h.session.resume();
  EXPECT_EQ(h.take(), "250 Accepted <b@example.org>\r\n");
  EXPECT_EQ(std::count(h.handler.script_points.begin(), h.handler.script_points.end(), Stage::Rcpt), 1);
}

TEST(Session, EventsNameTheStageTheyHappenedAt) {
  // A timeout names the stage it interrupted, not "connect".
  for (auto [input, stage] : std::vector<std::pair<std::string, Stage>>{
           {"", Stage::Connect},
           {"EHLO c.test\r\n", Stage::Ehlo},
           {"EHLO c.test\r\nMAIL FROM:<a@example.com>\r\n", Stage::Mail},
           {"EHLO c.test\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n", Stage::Rcpt},
           {"EHLO c.test\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n", Stage::Data},
           {"EHLO c.test\r\nMAIL FROM:<a@example.com>\r\nRSET\r\nNOOP\r\n", Stage::Ehlo}}) {
    Harness h;
    h.greet();
    h.send(input);
    h.session.timeout();
    ASSERT_FALSE(h.handler.rules.empty()) << input;
    EXPECT_EQ(h.handler.rules.back(), "timeout");
    EXPECT_EQ(h.handler.stages.back(), stage) << input << " -> " << relaymock::stage_name(h.handler.stages.back());
  }
  // Session-wide errors belong to no one command: "session".
  Harness h;
  h.greet();
  h.send_packet("EHLO c.test\r\nNOOP\r\n");  // EHLO must end a group: a synchronisation error
  ASSERT_FALSE(h.handler.rules.empty());
  EXPECT_EQ(h.handler.rules.back(), "sync_error");
  EXPECT_EQ(h.handler.stages.back(), Stage::Session);
  EXPECT_STREQ(relaymock::stage_name(Stage::Session), "session");
  EXPECT_EQ(relaymock::stage_from_name("end_of_data"), Stage::EndOfData);
  EXPECT_FALSE(relaymock::stage_from_name("later"));
}

// RFC 3463 has no class 3: with enhanced codes on, the AUTH challenges and
// the DATA go-ahead stay bare (a "334 5.0.0 VXNlcm5hbWU6" breaks AUTH LOGIN).
TEST(Session, EnhancedCodesLeaveIntermediateRepliesBare) {
  Harness h;
  h.settings.enhanced_codes = true;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.send("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(h.send("YXBw\r\n"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(h.send("c2VjcmV0\r\n"), "235 2.7.0 Authentication succeeded\r\n");
  h.send("MAIL FROM:<a@b.c>\r\nRCPT TO:<x@b.c>\r\n");
  EXPECT_EQ(h.send("DATA\r\n"), "354 Enter message, ending with \".\" on a line by itself\r\n");
}

// Every refusal the protocol makes itself reaches the handler with a stage
// and a rule, and every 4xx/5xx is counted, whoever decided it.
TEST(Session, EveryRefusalIsReportedAndCounted) {
  Harness h;
  h.handler.refused_rcpts = {"no@example.org"};
  h.greet();
  h.send("EHLO c.test\r\n");
  EXPECT_EQ(h.send("EXPN staff\r\n"), "550 Administrative prohibition\r\n");
  EXPECT_EQ(h.send("AUTH PLAIN AGFwcAA=\r\n"), "535 Incorrect authentication data\r\n");  // no password, no user check
  h.send("MAIL FROM:<a@example.com>\r\n");
  h.send("RCPT TO:<no@example.org>\r\n");  // refused by the handler: recorded there, not here
  EXPECT_EQ(h.handler.rules, (std::vector<std::string>{"expn_prohibited"}));
  EXPECT_EQ(h.session.errors_sent(), 3u);
  h.send("AUTH PLAIN AHgAeQ==\r\n");  // "\0x\0y": a user, so the handler decides
  EXPECT_EQ(h.session.errors_sent(), 4u);
  Harness g;
  g.greet();
  g.send("EHLO c.test\r\nAUTH PLAIN eAB5AHo=\r\n");  // authzid "x" acting as "y": refused here
  ASSERT_FALSE(g.handler.rules.empty());
  EXPECT_EQ(g.handler.rules.back(), "auth_malformed");
  EXPECT_EQ(g.handler.stages.back(), Stage::Auth);
  // Shutting down is a 421 like any other: reported with the stage it cut.
  g.send("MAIL FROM:<a@example.com>\r\n");
  g.session.shutdown();
  EXPECT_EQ(g.handler.rules.back(), "shutdown");
  EXPECT_EQ(g.handler.stages.back(), Stage::Mail);
}

// The verb table's flags, as a client meets them.
TEST(Session, VerbTableFlags) {
  // Without PIPELINING (after HELO) NOOP must stand alone; QUIT need not.
  Harness h;
  h.greet();
  h.send("HELO c.test\r\n");
  h.send_packet("QUIT\r\nNOOP\r\n");
  EXPECT_TRUE(h.session.closing());
  EXPECT_TRUE(h.handler.rules.empty());
  Harness p;
  p.greet();
  p.send("HELO c.test\r\n");
  EXPECT_EQ(p.send_packet("NOOP\r\nNOOP\r\n"), "554 SMTP synchronization error\r\n");
  // With it, NOOP may be pipelined, VRFY may not.
  Harness e;
  e.greet();
  e.send("EHLO c.test\r\n");
  EXPECT_EQ(e.send_packet("NOOP\r\nNOOP\r\n"), "250 OK\r\n250 OK\r\n");
  EXPECT_EQ(e.send_packet("VRFY x\r\nNOOP\r\n"), "554 SMTP synchronization error\r\n");
  // Between BDAT chunks: BDAT, RSET, QUIT; after a breach only RSET or QUIT.
  Harness b;
  b.greet();
  b.send("EHLO c.test\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n");
  EXPECT_EQ(b.send_packet("BDAT 3\r\nabc"), "250 3 byte chunk received\r\n");
  EXPECT_EQ(b.send("NOOP\r\n"), "503 only BDAT permissible after non-LAST BDAT\r\n");
  EXPECT_EQ(b.send("MAIL FROM:<c@example.com>\r\n"), "503 only RSET accepted now\r\n");
  EXPECT_EQ(b.send("RSET\r\n"), "250 Reset OK\r\n");
  // An AUTH line may be long (an initial response); others stop at 512 octets.
  Harness l;
  l.greet();
  l.send("EHLO c.test\r\n");
  EXPECT_EQ(l.send("NOOP " + std::string(600, 'x') + "\r\n"), "500 Command line too long\r\n");
  EXPECT_EQ(l.send("AUTH PLAIN " + std::string(600, '!') + "\r\n"), "501 Invalid base64 data\r\n");
}
