#include "llmbench/util/hex.hpp"

#include <gtest/gtest.h>

using namespace llmbench::util;

TEST(Hex, RoundTrips) {
  const std::string bytes("\x00\x01\x7f\x80\xff", 5);
  EXPECT_EQ(to_hex(bytes), "00017f80ff");
  EXPECT_EQ(from_hex("00017f80ff"), bytes);
  EXPECT_EQ(from_hex("00017F80FF"), bytes);
  EXPECT_TRUE(is_lower_hex("00017f80ff", 10));
  EXPECT_FALSE(is_lower_hex("00017F80FF"));
  EXPECT_FALSE(is_lower_hex("abc", 4));
  EXPECT_TRUE(is_lower_hex(""));
}
