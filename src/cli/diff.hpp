#pragma once
// The diff step shared by `report diff` and `run --baseline`.

#include <string>
#include <vector>

#include "commands.hpp"

namespace llmbench::cli {

struct DiffFlags {
  std::vector<std::string> map;
  std::vector<std::string> fail_on;
  bool fail_on_regression = false;
  std::string junit;
  bool allow_suite_change = false;
};

void add_diff_options(CLI::App& cmd, DiffFlags& flags);
// Prints the diff in `format` (text, md, json); returns the exit code (1 when a gate failed).
int run_diff(Globals& g, const std::string& base_ref, const std::string& cand_ref,
             const DiffFlags& flags, const std::string& format);

}  // namespace llmbench::cli
