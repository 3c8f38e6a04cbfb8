#include "llmbench/util/json_writer.hpp"

#include <gtest/gtest.h>

#include <limits>

using namespace llmbench::util;

TEST(JsonWriter, EscapesStrings) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("q\"b\\n\nt\t\x01"), R"("q\"b\\n\nt\t\u0001")");
  EXPECT_EQ(json_string("héllo"), "\"héllo\"");
}

TEST(JsonWriter, Numbers) {
  std::string out;
  append_json_number(out, 3.0);
  out += ' ';
  append_json_number(out, 0.1);
  out += ' ';
  append_json_number(out, -2.5e-7);
  out += ' ';
  append_json_number(out, std::numeric_limits<double>::infinity());
  EXPECT_EQ(out, "3 0.1 -2.5e-07 null");
}
