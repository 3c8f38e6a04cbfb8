#include "llmbench/cache/jcs.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <fstream>
#include <sstream>

#include "support/shared_testdata.hpp"

using llmbench::cache::canonicalize;
using llmbench::cache::es_number;

namespace {

std::string read_vector(const std::string& dir, const std::string& rel) {
  std::ifstream in(dir + "/jcs/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(Jcs, RfcReferenceFiles) {
  LLMBENCH_REQUIRE_SHARED_TESTDATA(dir);
  for (const char* name : {"arrays.json", "french.json", "structures.json", "unicode.json",
                           "values.json", "weird.json"}) {
    const std::string input = read_vector(dir, std::string("input/") + name);
    const std::string expected = read_vector(dir, std::string("output/") + name);
    ASSERT_FALSE(input.empty()) << name;
    const auto got = canonicalize(input);
    ASSERT_TRUE(got) << name << ": " << got.error();
    EXPECT_EQ(*got, expected) << name;
    // Canonical text is a fixed point.
    EXPECT_EQ(*canonicalize(*got), *got) << name;
  }
}

TEST(Jcs, EveryNumberOfTheEcmaScriptVectors) {
  LLMBENCH_REQUIRE_SHARED_TESTDATA(dir);
  std::istringstream lines(read_vector(dir, "numbers.csv"));
  std::string line;
  std::size_t checked = 0;
  std::size_t failed = 0;
  while (std::getline(lines, line)) {
    const auto comma = line.find(',');
    ASSERT_NE(comma, std::string::npos) << line;
    std::uint64_t bits = 0;
    std::from_chars(line.data(), line.data() + comma, bits, 16);
    const double value = std::bit_cast<double>(bits);
    const std::string expected = line.substr(comma + 1);
    const std::string got = es_number(value);
    if (got != expected && failed++ < 10) {
      ADD_FAILURE() << line << " gave " << got;
    }
    // Through the canonicalizer too: the number's own text comes back canonical.
    if (checked % 97 == 0) {
      EXPECT_EQ(*canonicalize(got), expected) << line;
    }
    ++checked;
  }
  EXPECT_EQ(failed, 0u);
  EXPECT_EQ(checked, 25'011u);
}

TEST(Jcs, NumberSpellingsMeetInOneForm) {
  EXPECT_EQ(*canonicalize("[1.0, 1, 1e0, 100, 1e2, 1E+2, 0.5e-6, -0, 1e21, 123e-20]"),
            "[1,1,1,100,100,100,5e-7,0,1e+21,1.23e-18]");
  EXPECT_EQ(*canonicalize("1e-400"), "0");  // underflow is zero, as in ECMAScript
}

TEST(Jcs, RejectsWhatHasNoCanonicalForm) {
  for (const char* bad : {R"({"a":1,"a":2})", R"("\ud800")", R"("\udc00x")", R"("\ud83dx")",
                          "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "NaN", "Infinity",
                          "1e400", "[1,]", "{\"a\" 1}", "01", "1.", "\"\x01\"", "[1] x", ""}) {
    const auto r = canonicalize(bad);
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_NE(canonicalize(R"({"a":1,"a":2})").error().find("duplicate member name \"a\""),
            std::string::npos);
  std::string deep(600, '[');
  deep += std::string(600, ']');
  EXPECT_FALSE(canonicalize(deep));  // bounded recursion
}

TEST(Jcs, SortsByUtf16CodeUnitsNotBytes) {
  // U+FB33 (one UTF-16 unit, 0xFB33) sorts after U+1F602 (surrogates 0xD83D...) in UTF-16,
  // though its UTF-8 bytes sort before.
  EXPECT_EQ(*canonicalize("{\"\xef\xac\xb3\":1,\"\xf0\x9f\x98\x82\":2}"),
            "{\"\xf0\x9f\x98\x82\":2,\"\xef\xac\xb3\":1}");
  EXPECT_EQ(*canonicalize(R"({"b":[{"z":1,"y":2}],"a":"\u000f\/"})"),
            R"({"a":"\u000f/","b":[{"y":2,"z":1}]})");
}

// Found by fuzz/jcs.cpp: the digits after a decimal point were taken for an integer of
// their own and given a ".0", so the canonical text could not be read back.
TEST(Jcs, WideningTouchesOnlyWholeIntegersPastSixtyFourBits) {
  using llmbench::cache::widen_big_integers;
  EXPECT_EQ(widen_big_integers("[0.0000037094467440737094,1e+301,2]"),
            "[0.0000037094467440737094,1e+301,2]");
  EXPECT_EQ(widen_big_integers("[18446744073709551616,-9223372036854775809]"),
            "[18446744073709551616.0,-9223372036854775809.0]");
  EXPECT_EQ(widen_big_integers("[18446744073709551615,-9223372036854775808]"),
            "[18446744073709551615,-9223372036854775808]");
  EXPECT_EQ(widen_big_integers(R"({"s":"18446744073709551616\"1"})"),
            R"({"s":"18446744073709551616\"1"})");
}
