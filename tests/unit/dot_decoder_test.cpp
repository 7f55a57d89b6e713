#include <gtest/gtest.h>

#include <random>

#include "smtp/dot_decoder.hpp"

using namespace relaymock;
using namespace relaymock::smtp;

namespace {
std::string decode_all(std::string_view wire, bool& done, std::size_t& used) {
  DotDecoder d;
  std::string out;
  used = d.feed(wire, out, 1 << 20);
  done = d.done();
  return out;
}
}  // namespace

TEST(DotDecoder, UnstuffsAndStopsAfterEnd) {
  bool done;
  std::size_t used;
  auto out = decode_all("a\r\n..b\r\n.c\r\n.\r\nNEXT", done, used);
  EXPECT_TRUE(done);
  EXPECT_EQ(out, "a\r\n.b\r\nc\r\n");
  EXPECT_EQ(used, std::string("a\r\n..b\r\n.c\r\n.\r\n").size());
}

TEST(DotDecoder, EmptyMessage) {
  bool done;
  std::size_t used;
  EXPECT_EQ(decode_all(".\r\n", done, used), "");
  EXPECT_TRUE(done);
}

TEST(DotDecoder, RoundTripAnyContentAnySplit) {
  std::mt19937 rng(7);
  const char alphabet[] = {'a', '.', '\r', '\n', '\0', 'Z'};
  for (int iter = 0; iter < 300; ++iter) {
    std::string content;
    int len = static_cast<int>(rng() % 60);
    for (int i = 0; i < len; ++i) content += alphabet[rng() % sizeof alphabet];
    content += "\r\n";  // dot_stuff terminates lines the same way
    std::string wire = dot_stuff(content);
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
      DotDecoder d;
      std::string out;
      std::size_t used = d.feed(std::string_view(wire).substr(0, cut), out, 1 << 20);
      used += d.feed(std::string_view(wire).substr(cut), out, 1 << 20);
      ASSERT_TRUE(d.done());
      ASSERT_EQ(used, wire.size());
      ASSERT_EQ(out, content);
    }
  }
}

TEST(DotDecoder, CountsBeyondLimitWithoutKeeping) {
  DotDecoder d;
  std::string out;
  d.feed(std::string(100, 'x') + "\r\n.\r\n", out, 10);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(out.size(), 10u);
  EXPECT_EQ(d.size(), 102u);
}
