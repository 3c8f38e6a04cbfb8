// `cmake --install` puts the binary and its man page (made by help2man from --help-all)
// where a system looks for them, and the page documents every command.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::shell_quote;
using llmbench::testing::TempDir;

TEST(Install, InstallsTheBinaryAndAManPageOfEveryCommand) {
  TempDir dir;
  const std::string prefix = dir.file("prefix");
  const std::string cmd = "cmake --install " + shell_quote(LLMBENCH_BUILD_DIR) + " --prefix " +
                          shell_quote(prefix) + " > " + shell_quote(dir.file("log")) + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_TRUE(std::filesystem::exists(prefix + "/bin/llmbench"));
  const std::string page = prefix + "/share/man/man1/llmbench.1";
  ASSERT_TRUE(std::filesystem::exists(page));
  std::ifstream in(page);
  std::ostringstream text;
  text << in.rdbuf();
  const std::string man = text.str();
  EXPECT_NE(man.find(".TH LLMBENCH \"1\""), std::string::npos) << man.substr(0, 200);
  for (const char* word : {"validate", "runs", "report", "replay", "completions", "progress",
                           "concurrency", "EXIT STATUS", "NO_COLOR"}) {
    EXPECT_NE(man.find(word), std::string::npos) << word;
  }
}
