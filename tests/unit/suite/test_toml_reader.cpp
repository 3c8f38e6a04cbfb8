#include "llmbench/suite/toml_reader.hpp"

#include <gtest/gtest.h>

#include <array>

using namespace llmbench::suite;
using namespace llmbench::suite::detail;

TEST(TomlReader, ConvertsTomlToJson) {
  const auto t =
      toml::parse(R"(x = { a = 1, b = [true, 2.5, "q\"uote"], c = { d = 1979-05-27 } })");
  EXPECT_EQ(toml_to_json(*t.get("x")),
            R"({"a":1,"b":[true,2.5,"q\"uote"],"c":{"d":"1979-05-27"}})");
}

TEST(TomlReader, ExpandsEnvironmentVariables) {
  Diagnostics d;
  ::setenv("LLMBENCH_T1", "one", 1);
  EXPECT_EQ(*expand_env("a-${LLMBENCH_T1}-b", {"f", 1, 1}, d), "a-one-b");
  EXPECT_EQ(*expand_env("no vars", {"f", 1, 1}, d), "no vars");
  EXPECT_FALSE(d.has_errors());
  ::unsetenv("LLMBENCH_T2");
  EXPECT_FALSE(expand_env("${LLMBENCH_T2}", {"f", 2, 3}, d));
  EXPECT_FALSE(expand_env("${UNCLOSED", {"f", 2, 3}, d));
  EXPECT_EQ(d.error_count(), 2U);
}

TEST(TomlReader, ReadsTypedFieldsAndReportsUnknownKeys) {
  const auto t = toml::parse(std::string_view("n = 3\nf = 2\nd = \"2s\"\nc = \"blue\"\nzz = 1\n"),
                             std::string_view("x.toml"));
  Diagnostics d;
  using std::string_view_literals::operator""sv;
  constexpr std::array known = {"n"sv, "f"sv, "d"sv, "c"sv};
  constexpr std::array colors = {"red"sv, "blue"sv};
  TableReader r(t, "[x]", "x.toml", d, known);
  EXPECT_EQ(*r.integer("n", 1, 5), 3);
  EXPECT_EQ(*r.number("f", 0, 10), 2.0);  // integers are numbers too
  EXPECT_EQ(*r.duration("d"), std::chrono::seconds(2));
  EXPECT_EQ(*r.choice("c", colors), "blue");
  EXPECT_FALSE(r.string("missing"));
  EXPECT_FALSE(r.integer("n", 4, 5));  // out of range: an error
  r.check_unknown_keys();
  ASSERT_EQ(d.error_count(), 2U);
  EXPECT_EQ(d.items()[0].to_string(), "x.toml:1:5: n in [x] must be between 4 and 5, not 3");
  EXPECT_EQ(d.items()[1].to_string(), "x.toml:5:1: unknown key \"zz\" in [x]");
}
