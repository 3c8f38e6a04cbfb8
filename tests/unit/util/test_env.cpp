#include "llmbench/util/env.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "support/temp_dir.hpp"

using namespace llmbench::util;

TEST(Env, ReadsVariables) {
  ::setenv("LLMBENCH_ENV_TEST", "v", 1);
  EXPECT_EQ(*getenv_str("LLMBENCH_ENV_TEST"), "v");
  ::unsetenv("LLMBENCH_ENV_TEST");
  EXPECT_FALSE(getenv_str("LLMBENCH_ENV_TEST"));
  EXPECT_FALSE(hostname().empty());
}

TEST(Env, GitCommitOnlyInsideAWorkTree) {
  llmbench::testing::TempDir dir;
  EXPECT_FALSE(git_commit_of(dir.path().string()));
  const std::string d = dir.path().string();
  const std::string cmd = "cd '" + d +
                          "' && git init -q && git -c user.name=t -c user.email=t@t "
                          "commit -q --allow-empty -m init && git rev-parse --short=12 HEAD > "
                          "head.txt";
  if (std::system(cmd.c_str()) != 0) {
    GTEST_SKIP() << "git is not usable here";
  }
  std::ifstream in(dir.file("head.txt"));
  std::string head;
  in >> head;
  EXPECT_EQ(git_commit_of(d), head);
  EXPECT_FALSE(git_commit_of(d + "/no'such dir"));
}
