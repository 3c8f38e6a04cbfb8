#include "llmbench/util/uuid.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace llmbench::util;

TEST(Uuid, EncodesTimeVersionAndVariant) {
  const std::string a = format_uuid_v7(1'700'000'000'000, 0x123, 0);
  // 1.7e12 ms = 0x018bcfe56800; version 7; rand_a 0x123; variant bits 10.
  EXPECT_EQ(a, "018bcfe5-6800-7123-8000-000000000000");
  EXPECT_TRUE(is_uuid(a));
  EXPECT_LT(format_uuid_v7(1'700'000'000'000, 0xfff, ~0ULL),
            format_uuid_v7(1'700'000'000'001, 0, 0));
  EXPECT_EQ(format_uuid_v7(0, 0xffff, ~0ULL), "00000000-0000-7fff-bfff-ffffffffffff");
}

TEST(Uuid, GeneratedIdsIncreaseAndAreUnique) {
  std::set<std::string> seen;
  std::string last;
  for (int i = 0; i < 10'000; ++i) {
    const std::string id = uuid_v7();
    EXPECT_GT(id, last);
    EXPECT_EQ(id[14], '7');
    last = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10'000U);
}

TEST(Uuid, Validates) {
  EXPECT_FALSE(is_uuid("not-a-uuid"));
  EXPECT_FALSE(is_uuid("018bcfe5-6800-7000-8000-00000000000g"));
  EXPECT_TRUE(is_uuid("018bcfe5-6800-7000-8000-000000000000"));
}
