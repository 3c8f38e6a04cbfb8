#include "llmbench/util/terminal.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

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

// On a real terminal (a pty): colour, unless NO_COLOR has a value; an empty NO_COLOR is the
// same as none (no-color.org).
TEST(Terminal, AnEmptyNoColorKeepsColourOnATerminal) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  std::FILE* tty = ::fdopen(slave, "w");
  ASSERT_NE(tty, nullptr);
  ::setenv("TERM", "xterm", 1);
  ::unsetenv("NO_COLOR");
  EXPECT_TRUE(is_tty(tty));
  EXPECT_TRUE(use_color(tty, false));
  ::setenv("NO_COLOR", "", 1);
  EXPECT_TRUE(use_color(tty, false));
  ::setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(use_color(tty, false));
  ::unsetenv("NO_COLOR");
  EXPECT_FALSE(use_color(tty, true));
  std::fclose(tty);
  ::close(master);
}
