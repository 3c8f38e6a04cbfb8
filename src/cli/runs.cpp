#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "llmbench/store/export.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/table.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::cli {

namespace {

using Align = util::TextTable::Align;

// One run's context as JSON members (shared by list and show).
void run_members(util::JsonObject& o, const store::RunRow& run, const std::string& short_id) {
  o.str("id", run.id);
  o.str("short_id", short_id);
  o.str("suite", run.suite_name);
  o.str("suite_path", run.suite_path);
  o.str("suite_sha256", run.suite_hash);
  o.str("status", run.status);
  o.str("started_at", util::iso8601_utc_ms(run.started_at_ms));
  if (run.ended_at_ms) {
    o.str("ended_at", util::iso8601_utc_ms(*run.ended_at_ms));
    o.num("duration_s", static_cast<double>(*run.ended_at_ms - run.started_at_ms) / 1000.0);
  } else {
    o.null("ended_at");
    o.null("duration_s");
  }
  o.str("host", run.host);
  o.str("llmbench_version", run.llmbench_version);
  if (run.git_commit) {
    o.str("git_commit", *run.git_commit);
  } else {
    o.null("git_commit");
  }
  o.raw("tags", run.tags_json.empty() ? "{}" : run.tags_json);
}

void check_format(const std::string& format) {
  if (format != "text" && format != "json") {
    throw InputError(fmt::format("--format {}: use text or json", format));
  }
}

void list(Globals& g, std::size_t limit, const std::string& format) {
  check_format(format);
  if (!history_exists(g)) {
    if (format == "json") {
      std::cout << "{\"schema\":\"llmbench.runs/1\",\"runs\":[]}\n";
      return;
    }
    std::cout << fmt::format("no runs: {} does not exist yet (llmbench run SUITE.toml)\n",
                             g.db_path);
    return;
  }
  auto db = open_history(g, History::existing);
  const auto runs = store::list_runs(db, limit);
  const std::size_t prefix = store::short_id_length(db);
  if (format == "json") {
    std::string out = "{\"schema\":\"llmbench.runs/1\",\"runs\":[";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      out += i > 0 ? "," : "";
      util::JsonObject o(out);
      run_members(o, runs[i].run, runs[i].run.id.substr(0, prefix));
      o.integer("requests", runs[i].requests);
      o.integer("errors", runs[i].errors);
      o.integer("warmup", runs[i].warmup);
      o.close();
    }
    std::cout << out << "]}\n";
    return;
  }
  if (runs.empty()) {
    std::cout << fmt::format("no runs in {} yet (llmbench run SUITE.toml)\n", g.db_path);
    return;
  }
  util::TextTable table({"id", "suite", "started (UTC)", "status", "requests", "errors", "warmup"},
                        {Align::left, Align::left, Align::left, Align::left, Align::right,
                         Align::right, Align::right});
  for (const auto& r : runs) {
    table.add_row({r.run.id.substr(0, prefix), r.run.suite_name,
                   util::short_utc(r.run.started_at_ms), r.run.status, std::to_string(r.requests),
                   std::to_string(r.errors), std::to_string(r.warmup)});
  }
  std::cout << table.render();
  std::cout << "requests: measured (warmup apart); a retried request counts once\n";
}

void show_json(store::Database& db, const store::RunRow& run) {
  std::string out = "{\"schema\":\"llmbench.run/1\",\"run\":";
  util::JsonObject o(out);
  run_members(o, run, store::short_id(db, run.id));
  o.raw("load", run.load_json.empty() ? "{}" : run.load_json);
  o.key("targets");
  out += '[';
  const auto targets = store::target_summaries(db, run.id);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    out += i > 0 ? "," : "";
    util::JsonObject x(out);
    x.str("target", t.target.target);
    x.str("provider", t.target.provider);
    x.str("model", t.target.model);
    x.integer("requests", t.requests);
    x.integer("warmup", t.warmup);
    x.integer("errors", t.errors);
    x.key("errors_by_class");
    util::JsonObject classes(out);
    for (const auto& [cls, n] : t.errors_by_class) {
      classes.integer(cls, n);
    }
    classes.close();
    x.close();
  }
  out += ']';
  o.close();
  std::cout << out << "}\n";
}

void show(Globals& g, const std::string& reference, const std::string& format) {
  check_format(format);
  auto db = open_history(g, History::existing);
  const std::string id = store::resolve_run(db, reference);
  const auto run = store::get_run(db, id);
  if (!run) {
    throw InputError(fmt::format("run {} vanished while reading it", id));
  }
  if (format == "json") {
    show_json(db, *run);
    return;
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
  auto db = open_history(g, History::existing);
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
  if (!history_exists(g)) {
    std::cout << fmt::format("no baselines: {} does not exist yet\n", g.db_path);
    return;
  }
  auto db = open_history(g, History::existing);
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
  static std::string list_format = "text";
  auto* ls = runs->add_subcommand("list", "List runs, newest first");
  ls->add_option("-n,--limit", limit, "Show at most N runs");
  ls->add_option("--format", list_format, "text or json")->capture_default_str();
  ls->add_flag("--baselines", baselines, "List the baseline names and their runs instead");
  ls->callback([&globals] {
    if (baselines) {
      list_baselines(globals);
    } else {
      list(globals, limit, list_format);
    }
  });

  static std::string show_ref;
  static std::string show_format = "text";
  auto* sh = runs->add_subcommand("show", "Show one run: context, targets, errors by class");
  sh->add_option("run", show_ref, "Run id, unique prefix, or latest")->required();
  sh->add_option("--format", show_format, "text or json")->capture_default_str();
  sh->callback([&globals] { show(globals, show_ref, show_format); });

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
    auto db = open_history(globals, History::existing);
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
    auto db = open_history(globals, History::create);
    const std::string id = store::import_run(db, import_path);
    if (!import_baseline.empty()) {
      store::save_baseline(db, import_baseline, id, util::unix_ms_now());
    }
    std::cout << fmt::format("imported run {}{}\n", id,
                             import_baseline.empty() ? "" : " as baseline " + import_baseline);
  });

  runs->callback([runs, &globals] {
    if (runs->get_subcommands().empty()) {
      list(globals, limit, "text");
    }
  });
}

}  // namespace llmbench::cli
