#include "llmbench/util/terminal.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace llmbench::util;

TEST(Terminal, NoColorWinsAndPipesAreNotTerminals) {
  std::FILE* pipe = ::popen("true", "r");
  ASSERT_NE(pipe, nullptr);
  EXPECT_FALSE(is_tty(pipe));
  EXPECT_FALSE(use_color(pipe, false));
  ::pclose(pipe);
  ::setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(use_color(stdout, false));
  ::unsetenv("NO_COLOR");
  EXPECT_FALSE(use_color(stdout, true));
}
