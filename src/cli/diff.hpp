#pragma once
// The diff step shared by `report diff` and `run --baseline`.

#include <string>
#include <vector>

#include "commands.hpp"
#include "llmbench/report/verdicts.hpp"

namespace llmbench::cli {

struct DiffFlags {
  std::vector<std::string> map;
  std::vector<std::string> fail_on;
  bool fail_on_regression = false;
  std::string junit;
  bool allow_suite_change = false;
  bool allow_replayed = false;
};

void add_diff_options(CLI::App& cmd, DiffFlags& flags);
// Prints the diff in `format` (text, md, json, html); returns the exit code (1 when a gate
// failed). `slo_cases` (the candidate's SLO verdicts, from `run --baseline`) go into --junit
// too. With `out_dir`, diff.md, diff.json and diff.html are written there as well.
int run_diff(Globals& g, const std::string& base_ref, const std::string& cand_ref,
             const DiffFlags& flags, const std::string& format,
             const std::vector<report::VerdictCase>& slo_cases = {},
             const std::string& out_dir = "");
// Writes the JUnit file of `cases` for `run` (throws InputError when it cannot).
void write_junit(const std::string& path, const std::vector<report::VerdictCase>& cases,
                 const store::RunRow& run);

}  // namespace llmbench::cli
