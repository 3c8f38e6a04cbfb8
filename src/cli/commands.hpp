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
void register_proxy(CLI::App& app, Globals& globals);
void register_session(CLI::App& app, Globals& globals);
void register_serve(CLI::App& app, Globals& globals);
void register_completions(CLI::App& app, Globals& globals);

std::string version_text();

// For a command line CLI11 refused: "\"lst\" is not a command of `llmbench runs`; did you mean
// `llmbench runs list`? (commands: ...)", or "" when the mistake is elsewhere.
std::string suggest_command(const CLI::App& root, int argc, const char* const* argv);

// The run history (--db), with runs whose process died marked interrupted (load/recover.hpp).
// Commands that only read it ask for an `existing` one: a missing file is an InputError that
// says where it looked, and no empty database is left behind.
enum class History { create, existing };
store::Database open_history(const Globals& g, History mode);
bool history_exists(const Globals& g);

}  // namespace llmbench::cli
