#include "llmbench/util/size.hpp"

#include <gtest/gtest.h>

using llmbench::util::format_size;
using llmbench::util::parse_size;

TEST(Size, ParsesDecimalAndBinaryUnits) {
  EXPECT_EQ(*parse_size("500MB"), 500'000'000);
  EXPECT_EQ(*parse_size("1.5GiB"), 1'610'612'736);
  EXPECT_EQ(*parse_size("64kb"), 64'000);
  EXPECT_EQ(*parse_size("1024B"), 1024);
  EXPECT_EQ(*parse_size("2 MiB"), 2 * 1024 * 1024);
}

TEST(Size, RefusesWhatItCannotRead) {
  EXPECT_FALSE(parse_size("500"));  // which unit?
  EXPECT_FALSE(parse_size("MB"));
  EXPECT_FALSE(parse_size("5 parsecs"));
  EXPECT_NE(parse_size("500").error().find("unit is missing"), std::string::npos);
}

TEST(Size, FormatsForPeople) {
  EXPECT_EQ(format_size(512), "512 B");
  EXPECT_EQ(format_size(229'310), "229.3 KB");
  EXPECT_EQ(format_size(1'500'000'000), "1.50 GB");
}
