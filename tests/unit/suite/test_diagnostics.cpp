#include "llmbench/suite/diagnostics.hpp"

#include <gtest/gtest.h>

using namespace llmbench::suite;

TEST(Diagnostics, FormatsAndSortsByPlace) {
  Diagnostics d;
  d.error({"b.toml", 1, 1}, "third");
  d.warning({"a.toml", 9, 2}, "second");
  d.error({"a.toml", 3, 7}, "first");
  EXPECT_EQ(d.error_count(), 2U);
  EXPECT_TRUE(d.has_errors());
  d.sort();
  EXPECT_EQ(d.items()[0].to_string(), "a.toml:3:7: first");
  EXPECT_EQ(d.items()[1].to_string(), "a.toml:9:2: warning: second");
  EXPECT_EQ(d.items()[2].to_string(), "b.toml:1:1: third");
  Diagnostics only_warnings;
  only_warnings.warning({"a", 1, 1}, "w");
  EXPECT_FALSE(only_warnings.has_errors());
}
