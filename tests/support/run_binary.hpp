#pragma once
// Runs the real llmbench binary and captures what it prints and its exit code.

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace llmbench::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) {
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return q + "'";
}

// `env` entries are "NAME=value" set for the child only; `cwd` is its working folder (the
// test's own when empty).
inline ProcessResult run_llmbench(const std::vector<std::string>& args,
                                  const std::vector<std::string>& env = {},
                                  const std::string& cwd = "") {
  TempDir scratch;
  std::string cmd = cwd.empty() ? "env" : "cd " + shell_quote(cwd) + " && env";
  for (const auto& e : env) {
    cmd += " " + shell_quote(e);
  }
  cmd += " " + shell_quote(LLMBENCH_BINARY);
  for (const auto& a : args) {
    cmd += " " + shell_quote(a);
  }
  const std::string out_path = scratch.file("out");
  const std::string err_path = scratch.file("err");
  cmd += " > " + shell_quote(out_path) + " 2> " + shell_quote(err_path) + " < /dev/null";
  const int status = std::system(cmd.c_str());
  ProcessResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const auto slurp = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

}  // namespace llmbench::testing
