#pragma once
// Registration of each command with the CLI11 app. One file per command under src/cli/.

#include <CLI/CLI.hpp>

#include <string>

#include "llmbench/store/database.hpp"
#include "llmbench/util/error.hpp"

namespace llmbench::cli {

// Options every command shares, filled by CLI11 before any command runs.
struct Globals {
  std::string db_path;  // --db, LLMBENCH_DB, or ./llmbench.db
  bool quiet = false;
  bool no_color = false;
  ExitCode exit_code = ExitCode::ok;
};

void register_validate(CLI::App& app, Globals& globals);
void register_runs(CLI::App& app, Globals& globals);
void register_pricing(CLI::App& app, Globals& globals);
void register_mock(CLI::App& app, Globals& globals);
void register_run(CLI::App& app, Globals& globals);
void register_report(CLI::App& app, Globals& globals);
void register_cache(CLI::App& app, Globals& globals);
void register_replay(CLI::App& app, Globals& globals);
void register_beacon(CLI::App& app, Globals& globals);
void register_collect(CLI::App& app, Globals& globals);
// Commands DESIGN.md names whose issues have not landed yet: they say so and exit 2.
void register_pending(CLI::App& app, Globals& globals);
// One subcommand that says it is not built yet and exits 2 (`command_line`: "cache ls").
void add_pending_subcommand(CLI::App& parent, const std::string& name,
                            const std::string& description, const std::string& command_line);

std::string version_text();

// The run history (--db), with runs whose process died marked interrupted (load/recover.hpp).
store::Database open_history(const Globals& g);

}  // namespace llmbench::cli
