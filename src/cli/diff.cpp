// `llmbench report diff BASE CAND` and the gate step of `llmbench run --baseline`.

#include "diff.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "llmbench/report/diff.hpp"
#include "llmbench/report/model.hpp"
#include "llmbench/report/verdicts.hpp"
#include "llmbench/report/writers.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/strings.hpp"
#include "llmbench/util/terminal.hpp"

namespace llmbench::cli {

void add_diff_options(CLI::App& cmd, DiffFlags& f) {
  cmd.add_option("--map", f.map, "BASE_TARGET=CAND_TARGET when target names differ; repeatable");
  cmd.add_option("--fail-on", f.fail_on,
                 "A gate, e.g. \"ttft.p95>+10%\", \"errors>+1pp\", \"e2e.p99>2500ms\"; "
                 "repeatable; a failed gate exits 1");
  cmd.add_flag("--fail-on-regression", f.fail_on_regression,
               "Exit 1 on any regressed cell, gates or not");
  cmd.add_option("--junit", f.junit, "Write a JUnit XML file (one test case per gate)");
  cmd.add_flag("--allow-suite-change", f.allow_suite_change,
               "Compare runs that sent different requests");
  cmd.add_flag("--allow-replayed", f.allow_replayed,
               "Compare a run answered from the response cache (marked REPLAYED in every output)");
}

void write_junit(const std::string& path, const std::vector<report::VerdictCase>& cases,
                 const store::RunRow& run) {
  std::ofstream out(path, std::ios::binary);
  out << report::render_junit(cases, run);
  if (!out) {
    throw InputError(fmt::format("--junit {}: cannot write the file", path));
  }
}

int run_diff(Globals& g, const std::string& base_ref, const std::string& cand_ref,
             const DiffFlags& f, const std::string& format,
             const std::vector<report::VerdictCase>& slo_cases, const std::string& out_dir) {
  if (!out_dir.empty()) {
    report::check_writable_dir(out_dir);  // before anything is computed
  }
  report::DiffOptions options;
  options.allow_replayed = f.allow_replayed;
  for (const auto& m : f.map) {
    const auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) {
      throw InputError(fmt::format("--map {}: write BASE_TARGET=CAND_TARGET", m));
    }
    options.map.emplace_back(m.substr(0, eq), m.substr(eq + 1));
  }
  std::vector<report::Gate> gates;
  for (const auto& text : f.fail_on) {
    gates.push_back(report::parse_gate(text));
  }
  auto db = open_history(g, History::existing);
  const auto base = report::load_samples(db, store::resolve_run(db, base_ref));
  const auto cand = report::load_samples(db, store::resolve_run(db, cand_ref));
  auto d = report::diff_runs(base, cand, options, std::move(gates), f.allow_suite_change);
  d.fail_on_regression = f.fail_on_regression;
  d.base_short = store::short_id(db, d.base.id);
  d.cand_short = store::short_id(db, d.cand.id);
  if (format == "json") {
    std::cout << report::render_diff_json(d);
  } else if (format == "html") {
    std::cout << report::render_diff_html(d, report::build_report(db, base.run.id),
                                          report::build_report(db, cand.run.id));
  } else if (format == "md") {
    std::cout << report::render_diff_markdown(d);
  } else {
    const bool color = util::use_color(stdout, g.no_color);
    std::cout << report::render_diff_text(d, color);
  }
  if (!out_dir.empty()) {
    const auto base_report = report::build_report(db, base.run.id);
    const auto cand_report = report::build_report(db, cand.run.id);
    const std::vector<std::pair<std::string, std::string>> files = {
        {"diff.md", report::render_diff_markdown(d)},
        {"diff.json", report::render_diff_json(d)},
        {"diff.html", report::render_diff_html(d, base_report, cand_report)}};
    for (const auto& [name, text] : files) {
      const std::string path = (std::filesystem::path(out_dir) / name).string();
      std::ofstream file(path, std::ios::binary);
      file << text;
      if (!file) {
        throw InputError(fmt::format("cannot write {}; choose another folder with --out", path));
      }
    }
    std::cerr << fmt::format("diff: {}/ (diff.md, diff.json, diff.html)\n", out_dir);
  }
  if (const char* summary = std::getenv("GITHUB_STEP_SUMMARY"); summary && *summary) {
    std::ofstream(summary, std::ios::app) << report::render_diff_markdown(d);
  }
  if (!f.junit.empty()) {
    auto cases = slo_cases;
    for (auto& c : report::diff_verdicts(d, f.fail_on_regression)) {
      cases.push_back(std::move(c));
    }
    write_junit(f.junit, cases, d.cand);
  }
  int code = 0;
  for (const auto& gate : d.gates) {
    if (gate.failed) {
      std::cerr << fmt::format("llmbench: gate {} failed: {}\n", gate.text,
                               util::join(gate.failures, "; "));
      code = static_cast<int>(ExitCode::gate_failed);
    }
  }
  if (f.fail_on_regression && d.any_regression()) {
    std::cerr << fmt::format("llmbench: regressed (--fail-on-regression): {}\n",
                             util::join(report::regression_messages(d), "; "));
    code = static_cast<int>(ExitCode::gate_failed);
  }
  return code;
}

}  // namespace llmbench::cli
