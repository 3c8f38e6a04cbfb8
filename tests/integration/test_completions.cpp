// `llmbench completions bash|zsh|fish`: each script loads in its real shell and completes
// commands, nested commands and options from the live command tree.

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::run_llmbench;
using llmbench::testing::shell_quote;
using llmbench::testing::TempDir;

namespace {

std::string sh(const std::string& command) {
  std::string out;
  std::FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) {
    return out;
  }
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
    out.append(buf, n);
  }
  ::pclose(p);
  return out;
}

std::string script(const TempDir& dir, const std::string& shell) {
  const auto r = run_llmbench({"completions", shell});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir.write("llmbench." + shell, r.out);
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

TEST(Completions, BashCompletesCommandsNestedCommandsAndOptions) {
  TempDir dir;
  const std::string file = script(dir, "bash");
  const auto complete = [&](const std::string& words, int cword) {
    return sh("bash -c " + shell_quote("source " + file + "; COMP_WORDS=(" + words +
                                       "); COMP_CWORD=" + std::to_string(cword) +
                                       "; _llmbench; echo \"${COMPREPLY[*]}\""));
  };
  EXPECT_EQ(complete("llmbench rep", 1), "report replay\n");  // in the tree's order
  EXPECT_EQ(complete("llmbench --db x.db runs l", 4), "list\n");
  EXPECT_EQ(complete("llmbench run --conc", 2), "--concurrency\n");
  EXPECT_EQ(complete("llmbench runs list --for", 3), "--format\n");
  EXPECT_EQ(complete("llmbench comp", 1), "completions\n");
}

TEST(Completions, ZshScriptLoadsAndOffersThePathsWords) {
  TempDir dir;
  const std::string file = script(dir, "zsh");
  EXPECT_EQ(sh("zsh -n " + shell_quote(file) + " && echo ok"), "ok\n");
  // The completion system's helpers stubbed: _describe prints the array it was given.
  const std::string stubs =
      "_describe() { local name=$4; print -l -- ${(P)name}; }; _files() { print FILES; }; ";
  const auto complete = [&](const std::string& words, int current, const std::string& prefix) {
    return sh("zsh -c " + shell_quote("source " + file + "; " + stubs + "words=(" + words +
                                      "); CURRENT=" + std::to_string(current) +
                                      "; PREFIX=" + prefix + "; _llmbench"));
  };
  const std::string runs = complete("llmbench runs l", 3, "l");
  EXPECT_TRUE(has(runs, "list:List runs, newest first\n")) << runs;
  EXPECT_FALSE(has(runs, "FILES")) << runs;
  const std::string run = complete("llmbench run --con", 3, "--con");
  EXPECT_TRUE(has(run, "--concurrency:Override the load")) << run;
  EXPECT_TRUE(has(complete("llmbench run ", 3, ""), "FILES"));  // the suite is a file
}

TEST(Completions, FishCompletesFromTheTree) {
  TempDir dir;
  const std::string file = script(dir, "fish");
  const auto complete = [&](const std::string& line) {
    return sh("fish -c " + shell_quote("source " + file + "; complete -C " + shell_quote(line)));
  };
  EXPECT_EQ(complete("llmbench runs l"), "list\tList runs, newest first\n");
  EXPECT_TRUE(has(complete("llmbench --db x.db run --conc"), "--concurrency\t"));
  const std::string top = complete("llmbench rep");
  EXPECT_TRUE(has(top, "replay\t") && has(top, "report\t")) << top;
}

TEST(Completions, AnUnknownShellIsAUsageError) {
  const auto r = run_llmbench({"completions", "powershell"});
  EXPECT_EQ(r.exit_code, 2);
}
