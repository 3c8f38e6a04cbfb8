#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "llmbench/store/export.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/table.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::cli {

namespace {

using Align = util::TextTable::Align;

void list(Globals& g, std::size_t limit) {
  auto db = open_history(g);
  const auto runs = store::list_runs(db, limit);
  if (runs.empty()) {
    std::cout << fmt::format("no runs in {} yet (llmbench run SUITE.toml)\n", g.db_path);
    return;
  }
  std::vector<std::string> ids;
  for (const auto& r : runs) {
    ids.push_back(r.run.id);
  }
  const std::size_t prefix = store::unique_prefix_length(ids);
  util::TextTable table(
      {"id", "suite", "started (UTC)", "status", "requests", "errors"},
      {Align::left, Align::left, Align::left, Align::left, Align::right, Align::right});
  for (const auto& r : runs) {
    table.add_row({r.run.id.substr(0, prefix), r.run.suite_name,
                   util::short_utc(r.run.started_at_ms), r.run.status, std::to_string(r.requests),
                   std::to_string(r.errors)});
  }
  std::cout << table.render();
}

void show(Globals& g, const std::string& reference) {
  auto db = open_history(g);
  const std::string id = store::resolve_run(db, reference);
  const auto run = store::get_run(db, id);
  if (!run) {
    throw InputError(fmt::format("run {} vanished while reading it", id));
  }
  std::cout << fmt::format("run       {}\n", run->id);
  std::cout << fmt::format("suite     {} ({}, sha256 {})\n", run->suite_name, run->suite_path,
                           run->suite_hash.substr(0, 12));
  std::cout << fmt::format("status    {}\n", run->status);
  std::cout << fmt::format("started   {}\n", util::iso8601_utc_ms(run->started_at_ms));
  if (run->ended_at_ms) {
    std::cout << fmt::format("ended     {} ({:.1f} s)\n", util::iso8601_utc_ms(*run->ended_at_ms),
                             static_cast<double>(*run->ended_at_ms - run->started_at_ms) / 1000.0);
  }
  std::cout << fmt::format("llmbench  {}\n", run->llmbench_version);
  std::cout << fmt::format("host      {}\n", run->host);
  std::cout << fmt::format("commit    {}\n", run->git_commit.value_or("(not in a git work tree)"));
  std::cout << fmt::format("tags      {}\n", run->tags_json);
  std::cout << fmt::format("load      {}\n", run->load_json);
  const auto targets = store::target_summaries(db, id);
  if (targets.empty()) {
    std::cout << "targets   none recorded\n";
    return;
  }
  util::TextTable table(
      {"target", "provider", "model", "requests", "warmup", "errors", "errors by class"},
      {Align::left, Align::left, Align::left, Align::right, Align::right, Align::right,
       Align::left});
  for (const auto& t : targets) {
    std::string classes;
    for (const auto& [cls, n] : t.errors_by_class) {
      classes += fmt::format("{}{} {}", classes.empty() ? "" : ", ", cls, n);
    }
    table.add_row({t.target.target, t.target.provider, t.target.model, std::to_string(t.requests),
                   std::to_string(t.warmup), std::to_string(t.errors), classes});
  }
  std::cout << "\n" << table.render();
}

void remove(Globals& g, const std::vector<std::string>& references) {
  auto db = open_history(g);
  // Resolve all first: a typo in the third reference must not leave two runs already gone.
  std::vector<std::string> ids;
  for (const auto& ref : references) {
    ids.push_back(store::resolve_run(db, ref));
  }
  for (const auto& id : ids) {
    store::remove_run(db, id);
    if (!g.quiet) {
      std::cout << fmt::format("removed run {}\n", id);
    }
  }
}

void list_baselines(Globals& g) {
  auto db = open_history(g);
  const auto all = store::list_baselines(db);
  if (all.empty()) {
    std::cout << "no baselines yet (llmbench run SUITE.toml --save-baseline NAME)\n";
    return;
  }
  util::TextTable table({"baseline", "run", "suite", "saved (UTC)"});
  for (const auto& b : all) {
    const auto run = store::get_run(db, b.run_id);
    table.add_row({b.name, b.run_id, run ? run->suite_name : "?", util::short_utc(b.saved_at_ms)});
  }
  std::cout << table.render();
}

}  // namespace

void register_runs(CLI::App& app, Globals& globals) {
  auto* runs = app.add_subcommand(
      "runs", "The run history in the database (list, show, rm, export, import)");
  runs->require_subcommand(0, 1);

  static std::size_t limit = 0;
  static bool baselines = false;
  auto* ls = runs->add_subcommand("list", "List runs, newest first");
  ls->add_option("-n,--limit", limit, "Show at most N runs");
  ls->add_flag("--baselines", baselines, "List the baseline names and their runs instead");
  ls->callback([&globals] {
    if (baselines) {
      list_baselines(globals);
    } else {
      list(globals, limit);
    }
  });

  static std::string show_ref;
  auto* sh = runs->add_subcommand("show", "Show one run: context, targets, errors by class");
  sh->add_option("run", show_ref, "Run id, unique prefix, or latest")->required();
  sh->callback([&globals] { show(globals, show_ref); });

  static std::vector<std::string> rm_refs;
  auto* rm = runs->add_subcommand("rm", "Remove runs and all their rows");
  rm->add_option("runs", rm_refs, "Run ids, unique prefixes, or latest")->required();
  rm->callback([&globals] { remove(globals, rm_refs); });

  static std::string export_ref;
  static std::string export_path;
  auto* ex = runs->add_subcommand("export",
                                  "Write a run (rows and histograms) to a portable .json.gz file");
  ex->add_option("run", export_ref, "Run id, prefix, latest, or baseline name")->required();
  ex->add_option("-o,--output", export_path, "The file to write (e.g. run.json.gz)")->required();
  ex->callback([&globals] {
    auto db = open_history(globals);
    const std::string id = store::resolve_run(db, export_ref);
    store::export_run(db, id, export_path);
    std::cout << fmt::format("exported run {} to {}\n", id, export_path);
  });

  static std::string import_path;
  static std::string import_baseline;
  auto* im = runs->add_subcommand("import", "Read a run exported by `runs export`");
  im->add_option("file", import_path, "The .json.gz file")->required()->check(CLI::ExistingFile);
  im->add_option("--save-baseline", import_baseline, "Name the imported run as a baseline");
  im->callback([&globals] {
    auto db = open_history(globals);
    const std::string id = store::import_run(db, import_path);
    if (!import_baseline.empty()) {
      store::save_baseline(db, import_baseline, id, util::unix_ms_now());
    }
    std::cout << fmt::format("imported run {}{}\n", id,
                             import_baseline.empty() ? "" : " as baseline " + import_baseline);
  });

  runs->callback([runs, &globals] {
    if (runs->get_subcommands().empty()) {
      list(globals, limit);
    }
  });
}

}  // namespace llmbench::cli
