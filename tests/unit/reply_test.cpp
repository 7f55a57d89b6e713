#include <gtest/gtest.h>

#include "smtp/reply.hpp"

using namespace relaymock;
using namespace relaymock::smtp;

TEST(Reply, SingleAndMultiLine) {
  std::string out;
  append_reply(out, Reply{250, "", "OK"}, false);
  append_reply(out, Reply{550, "", "a\nb\nc"}, false);
  EXPECT_EQ(out, "250 OK\r\n550-a\r\n550-b\r\n550 c\r\n");
}

TEST(Reply, EnhancedCodesOnEveryLine) {
  std::string out;
  append_reply(out, Reply{550, "5.7.1", "a\nb"}, true);
  append_reply(out, Reply{452, "", "x"}, true);
  EXPECT_EQ(out, "550-5.7.1 a\r\n550 5.7.1 b\r\n452 4.0.0 x\r\n");
}

TEST(Reply, LongLinesWrapWithin512Octets) {
  std::string words;
  for (int i = 0; i < 200; ++i) words += "word" + std::to_string(i) + " ";
  std::string out;
  append_reply(out, Reply{550, "", words}, true);
  std::size_t start = 0, lines = 0;
  while (start < out.size()) {
    auto end = out.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end + 2 - start, kMaxReplyLine);
    start = end + 2;
    ++lines;
  }
  EXPECT_GT(lines, 1u);
  // Without spaces the text is cut hard.
  out.clear();
  append_reply(out, Reply{550, "", std::string(2000, 'x')}, false);
  EXPECT_EQ(out.substr(0, 4), "550-");
}

TEST(Reply, ParseConfigText) {
  Reply r;
  ASSERT_TRUE(parse_reply_text("550-Verification failed\n550-Unroutable domain\n550 Unable", r));
  EXPECT_EQ(r.code, 550);
  EXPECT_EQ(r.text, "Verification failed\nUnroutable domain\nUnable");
  ASSERT_TRUE(parse_reply_text("451 Temporary local problem - please try later", r));
  EXPECT_EQ(r.code, 451);
  EXPECT_EQ(r.text, "Temporary local problem - please try later");
  ASSERT_TRUE(parse_reply_text("550 first\nsecond line", r));
  EXPECT_EQ(r.text, "first\nsecond line");
  EXPECT_FALSE(parse_reply_text("hello", r));
  EXPECT_FALSE(parse_reply_text("650 no", r));
  EXPECT_FALSE(parse_reply_text("55 short", r));
}
