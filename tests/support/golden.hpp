#pragma once
// Golden files under tests/data/golden/: a test's output compared byte for byte with the file.
// LLMBENCH_UPDATE_GOLDEN=1 rewrites them after an intended change (read the diff first).

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace llmbench::testing {

inline std::string golden_path(const std::string& name) {
  return std::string(LLMBENCH_TEST_DATA) + "/golden/" + name;
}

inline void check_golden(const std::string& name, const std::string& actual) {
  if (std::getenv("LLMBENCH_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden_path(name), std::ios::binary) << actual;
    return;
  }
  std::ifstream in(golden_path(name), std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << name << " (LLMBENCH_UPDATE_GOLDEN=1 writes it)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << name;
}

}  // namespace llmbench::testing
