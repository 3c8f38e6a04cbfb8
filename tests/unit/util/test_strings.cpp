#include "llmbench/util/strings.hpp"

#include <gtest/gtest.h>

#include <array>

using namespace llmbench::util;

TEST(Strings, EditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
  EXPECT_EQ(edit_distance("concurency", "concurrency"), 1U);
  EXPECT_EQ(edit_distance("ab", "ba"), 1U);  // a swap counts once
  EXPECT_EQ(edit_distance("", "abc"), 3U);
}

TEST(Strings, ClosestMatchOnlyForPlausibleTypos) {
  using std::string_view_literals::operator""sv;
  constexpr std::array keys = {"concurrency"sv, "rate"sv, "requests"sv, "duration"sv};
  EXPECT_EQ(*closest_match("concurency", keys), "concurrency");
  EXPECT_EQ(*closest_match("reqests", keys), "requests");
  EXPECT_EQ(*closest_match("rat", keys), "rate");
  EXPECT_FALSE(closest_match("banana", keys));
  EXPECT_FALSE(closest_match("x", keys));
}

TEST(Strings, SplitTrimJoin) {
  EXPECT_EQ(split("a,b,,c", ','), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(trim("  x y \t\n"), "x y");
  EXPECT_TRUE(starts_with_ci("Content-Type: x", "content-type"));
  EXPECT_FALSE(starts_with_ci("Con", "content"));
  const std::vector<std::string> parts = {"a", "b"};
  EXPECT_EQ(join(parts, ", "), "a, b");
}
