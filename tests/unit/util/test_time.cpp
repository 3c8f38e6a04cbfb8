#include "llmbench/util/time.hpp"

#include <gtest/gtest.h>

using namespace llmbench::util;

TEST(Time, FormatsUtc) {
  EXPECT_EQ(iso8601_utc_ms(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(short_utc(1'700'000'000'123), "2023-11-14 22:13");
  EXPECT_GT(unix_ms_now(), 1'700'000'000'000);
}

TEST(Time, ParsesUtcDates) {
  using llmbench::util::parse_utc;
  EXPECT_EQ(parse_utc("1970-01-02"), 86'400'000);
  EXPECT_EQ(parse_utc("2023-11-14T22:13:20Z"), 1'700'000'000'000);
  EXPECT_EQ(parse_utc("2023-11-14T22:13"), 1'699'999'980'000);
  EXPECT_FALSE(parse_utc("2023-13-01"));
  EXPECT_FALSE(parse_utc("yesterday"));
  EXPECT_FALSE(parse_utc("2023-11-14 22:13"));
}
