// `llmbench report RUN`: re-render a stored run; `llmbench report diff BASE CAND`: compare two.

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "diff.hpp"
#include "llmbench/report/model.hpp"
#include "llmbench/report/writers.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/strings.hpp"

namespace llmbench::cli {

namespace {

struct ReportFlags {
  std::vector<std::string> args;
  std::string formats;
  std::string out;
  DiffFlags diff;
};

}  // namespace

void register_report(CLI::App& app, Globals& globals) {
  auto* cmd = app.add_subcommand(
      "report", "Re-render a stored run's reports; `report diff BASE CAND` compares two runs");
  static ReportFlags f;
  cmd->add_option("run", f.args, "RUN, or diff BASE CAND (ids, prefixes, latest, baseline names)")
      ->required();
  cmd->add_option("--format", f.formats,
                  "RUN: md,csv,json,hlog,html (default all; csv is summary.csv and requests.csv); "
                  "diff: text (default), md, json or html");
  add_diff_options(*cmd, f.diff);
  cmd->add_option("--out", f.out,
                  "Folder to write into (RUN: default reports/RUN-ID; diff: writes diff.md, "
                  "diff.json, diff.html there too); - for stdout");
  cmd->callback([&globals] {
    if (f.args.front() == "diff") {
      if (f.args.size() != 3) {
        throw InputError("llmbench report diff takes two runs: BASE CAND");
      }
      const std::string format = f.formats.empty() ? "text" : f.formats;
      if (format != "text" && format != "md" && format != "json" && format != "html") {
        throw InputError(fmt::format("--format {}: a diff is text, md, json or html", format));
      }
      globals.exit_code = static_cast<ExitCode>(
          run_diff(globals, f.args[1], f.args[2], f.diff, format, {}, f.out == "-" ? "" : f.out));
      return;
    }
    if (f.args.size() != 1) {
      throw InputError("llmbench report takes one RUN (an id, a unique prefix, or latest)");
    }
    const auto formats = report::parse_formats(f.formats);
    auto db = open_history(globals, History::existing);
    const std::string id = store::resolve_run(db, f.args.front());
    if (f.out == "-") {
      report::print_reports(report::build_report(db, id), f.formats, std::cout);
      return;
    }
    const std::string dir =
        f.out.empty() ? (std::filesystem::path("reports") / id).string() : f.out;
    std::optional<report::RequestsCsvWriter> csv;
    if (std::find(formats.begin(), formats.end(), "csv") != formats.end()) {
      csv.emplace(db.path(), id, dir);  // streams while the report is built
    }
    const auto r = report::build_report(db, id);
    const auto files = report::write_reports(db, r, dir, formats, csv ? &*csv : nullptr);
    if (!globals.quiet) {
      std::cout << report::render_summary_table(r);
    }
    std::cout << fmt::format("reports: {}/ ({} files)\n", dir, files.size());
  });
}

}  // namespace llmbench::cli
