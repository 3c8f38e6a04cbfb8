#include <fmt/format.h>

#include "commands.hpp"

namespace llmbench::cli {

namespace {

struct PendingCommand {
  const char* name;
  const char* description;
};

// DESIGN.md's command list; each becomes real when its issue lands.
constexpr PendingCommand k_pending[] = {
    {"serve", "The benchmark service: REST API, OpenAPI document, web UI"},
};

}  // namespace

void add_pending_subcommand(CLI::App& parent, const std::string& name,
                            const std::string& description, const std::string& command_line) {
  auto* sub = parent.add_subcommand(name, fmt::format("{} [not built yet]", description));
  // Accept whatever a later version will take, so the answer is always "not built yet".
  static std::vector<std::string> ignored;
  sub->add_option("args", ignored, "")->group("");
  sub->allow_extras();
  sub->prefix_command();
  sub->fallthrough(false);
  sub->callback([command_line] {
    throw InputError(
        fmt::format("`llmbench {}` is not built yet in this version; see "
                    "`llmbench --help` for the commands that are",
                    command_line));
  });
}

void register_pending(CLI::App& app, Globals& /*globals*/) {
  for (const auto& cmd : k_pending) {
    add_pending_subcommand(app, cmd.name, cmd.description, cmd.name);
  }
}

}  // namespace llmbench::cli
