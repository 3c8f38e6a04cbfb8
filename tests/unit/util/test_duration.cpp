#include "llmbench/util/duration.hpp"

#include <gtest/gtest.h>

using llmbench::util::format_duration;
using llmbench::util::Nanos;
using llmbench::util::parse_duration;
using namespace std::chrono_literals;

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(*parse_duration("500ms"), Nanos(500ms));
  EXPECT_EQ(*parse_duration("60s"), Nanos(60s));
  EXPECT_EQ(*parse_duration("2m"), Nanos(2min));
  EXPECT_EQ(*parse_duration("1h"), Nanos(1h));
  EXPECT_EQ(*parse_duration("250us"), Nanos(250us));
  EXPECT_EQ(*parse_duration("7ns"), Nanos(7));
  EXPECT_EQ(*parse_duration("1.5s"), Nanos(1500ms));
  EXPECT_EQ(*parse_duration("0.25ms"), Nanos(250us));
  EXPECT_EQ(*parse_duration("0s"), Nanos(0));
  EXPECT_EQ(*parse_duration("30d"), Nanos(720h));
}

TEST(Duration, RejectsWithAReason) {
  const auto bare = parse_duration("60");
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.error().find("unit is missing"), std::string::npos);
  const auto unit = parse_duration("5 parsecs");
  ASSERT_FALSE(unit.ok());
  EXPECT_NE(unit.error().find("unknown unit"), std::string::npos);
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_FALSE(parse_duration("ms").ok());
  EXPECT_FALSE(parse_duration("-5s").ok());
  EXPECT_FALSE(parse_duration("1.2.3s").ok());
  EXPECT_FALSE(parse_duration("99999999999h").ok());
  EXPECT_NE(bare.error().find("\"60\""), std::string::npos);
}

TEST(Duration, FormatsShortest) {
  EXPECT_EQ(format_duration(60s), "1m");
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(500ms), "500ms");
  EXPECT_EQ(format_duration(250us), "250us");
  EXPECT_EQ(format_duration(Nanos(0)), "0s");
}
