#pragma once
// The published test vectors live in ../shared/testdata/ beside the checkout (not copied into
// the project). A checkout elsewhere falls back to /work/shared/testdata, then to
// $LLMBENCH_SHARED_TESTDATA; tests that need them skip, saying where they looked, when none
// exists.

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace llmbench::testing {

inline std::optional<std::string> shared_testdata() {
  std::vector<std::string> candidates = {LLMBENCH_SHARED_TESTDATA, "/work/shared/testdata"};
  if (const char* env = std::getenv("LLMBENCH_SHARED_TESTDATA")) {
    candidates.insert(candidates.begin(), env);
  }
  for (const auto& c : candidates) {
    if (std::filesystem::is_directory(c)) {
      return c;
    }
  }
  return std::nullopt;
}

#define LLMBENCH_REQUIRE_SHARED_TESTDATA(var)                                   \
  const auto var##_opt = ::llmbench::testing::shared_testdata();                \
  if (!var##_opt) {                                                             \
    GTEST_SKIP() << "no shared test vectors at " LLMBENCH_SHARED_TESTDATA       \
                    " or /work/shared/testdata (set LLMBENCH_SHARED_TESTDATA)"; \
  }                                                                             \
  const std::string var = *var##_opt

}  // namespace llmbench::testing
