#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "llmbench/cli/main.hpp"
#include "llmbench/util/env.hpp"

namespace llmbench {

int main(int argc, char** argv) {
  CLI::App app{"llmbench: benchmark LLM inference endpoints (streaming, concurrent, exact)",
               "llmbench"};
  app.require_subcommand(0, 1);
  app.set_help_all_flag("--help-all",
                        "Print the help of every command (the man page is made from it)");
  app.fallthrough();  // global options may follow the command: `llmbench runs list --db x.db`

  cli::Globals globals;
  globals.db_path = util::getenv_str("LLMBENCH_DB").value_or("llmbench.db");
  app.add_option("--db", globals.db_path,
                 "SQLite database of runs (default: $LLMBENCH_DB or "
                 "./llmbench.db)");
  app.add_flag("-q,--quiet", globals.quiet, "Print only results and errors");
  app.add_flag("--no-color", globals.no_color, "No colour (NO_COLOR is respected too)");
  bool show_version = false;
  app.add_flag("-V,--version", show_version, "Print version, build and dependency versions");

  cli::register_validate(app, globals);
  cli::register_runs(app, globals);
  cli::register_pricing(app, globals);
  cli::register_mock(app, globals);
  cli::register_run(app, globals);
  cli::register_report(app, globals);
  cli::register_cache(app, globals);
  cli::register_replay(app, globals);
  cli::register_beacon(app, globals);
  cli::register_collect(app, globals);
  cli::register_proxy(app, globals);
  cli::register_session(app, globals);
  cli::register_serve(app, globals);
  cli::register_completions(app, globals);  // last: it walks the tree of all the others

  // The one place that prints fatal errors; the database and files close as the stack unwinds.
  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
      std::cout << app.help();
      return 0;
    } catch (const CLI::CallForAllHelp&) {
      std::cout << app.help("", CLI::AppFormatMode::All);
      return 0;
    } catch (const CLI::ParseError& e) {
      const std::string near = cli::suggest_command(app, argc, argv);
      std::cerr << "llmbench: error: " << (near.empty() ? std::string(e.what()) : near) << "\n"
                << "Run `llmbench --help` (or `llmbench COMMAND --help`) for usage.\n";
      return static_cast<int>(ExitCode::usage);
    }
    if (show_version) {
      std::cout << cli::version_text();
      return 0;
    }
    if (app.get_subcommands().empty()) {
      std::cout << app.help();
      return static_cast<int>(ExitCode::usage);
    }
    return static_cast<int>(globals.exit_code);
  } catch (const Error& e) {
    std::cerr << "llmbench: error: " << e.what() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "llmbench: error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::run_failed);
  }
}

}  // namespace llmbench
