#include "llmbench/util/base64.hpp"

#include <gtest/gtest.h>

using namespace llmbench::util;

namespace {
std::string enc(const std::string& s) {
  return base64_encode({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}
std::string dec(const std::string& s) {
  const auto bytes = base64_decode(s);
  return bytes ? std::string(bytes->begin(), bytes->end()) : "<invalid>";
}
}  // namespace

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, coded] : vectors) {
    EXPECT_EQ(enc(plain), coded);
    EXPECT_EQ(dec(coded), plain);
  }
}

TEST(Base64, RejectsInvalidText) {
  EXPECT_EQ(dec("Zm9"), "<invalid>");
  EXPECT_EQ(dec("Zm9v!A=="), "<invalid>");
  EXPECT_EQ(dec("=m9v"), "<invalid>");
  EXPECT_EQ(dec("Zg==Zg=="), "<invalid>");
}
