#include "llmbench/util/table.hpp"

#include <gtest/gtest.h>

using namespace llmbench::util;

TEST(TextTable, PadsAndAligns) {
  TextTable t({"name", "n"}, {TextTable::Align::left, TextTable::Align::right});
  t.add_row({"alpha", "1"});
  t.add_row({"b", "100"});
  EXPECT_EQ(t.render(),
            "name     n\n"
            "-----  ---\n"
            "alpha    1\n"
            "b      100\n");
}

TEST(TextTable, CountsUtf8AsOneColumn) {
  EXPECT_EQ(display_width("héllo"), 5U);
  TextTable t({"x"});
  t.add_row({"é"});
  EXPECT_EQ(t.render(), "x\n-\né\n");
}
