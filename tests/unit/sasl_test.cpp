#include <gtest/gtest.h>

#include "util/base64.hpp"
#include "smtp/message_id.hpp"
#include "smtp/sasl.hpp"

#include <set>

using namespace relaymock;
using namespace relaymock::smtp;

TEST(Base64, RoundTripAndStrictness) {
  for (std::string s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"), std::string("abcd"), std::string("\0app\0secret", 11)})
    EXPECT_EQ(*base64_decode(base64_encode(s)), s);
  EXPECT_FALSE(base64_decode("!!!"));
  EXPECT_FALSE(base64_decode("YQ=x"));
  EXPECT_FALSE(base64_decode("Y"));
  EXPECT_TRUE(base64_decode("YQ"));  // padding optional
}

TEST(Plain, Parts) {
  auto c = parse_plain(std::string("authz\0user\0pass", 15));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, "authz");
  EXPECT_EQ(c->user, "user");
  EXPECT_EQ(c->password, "pass");
  EXPECT_FALSE(parse_plain("nouser"));
  EXPECT_FALSE(parse_plain(std::string("a\0b\0c\0d", 7)));
}

TEST(CramMd5, Rfc2195Example) {
  // The example from RFC 2195 section 2.
  EXPECT_EQ(cram_md5_digest("tanstaaftanstaaf", "<1896.697170952@postoffice.reston.mci.net>"),
            "b913a602c7eda7a495b4e6e7334d3890");
}

TEST(MessageId, ShapeAndUniqueness) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) {
    auto id = make_message_id(1734123541, 5);
    ASSERT_TRUE(looks_like_message_id(id)) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 10000u);
}
