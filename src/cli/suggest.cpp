// "did you mean" for a mistyped command: walks the arguments down the command tree the way
// CLI11 does, and at the first word that is neither a command nor an option, names the
// closest command of that level.

#include <fmt/format.h>

#include <string_view>

#include "commands.hpp"
#include "llmbench/util/strings.hpp"

namespace llmbench::cli {

namespace {

// The option `name` as the app (or, through fallthrough, one of its parents) knows it.
const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* opt = app->get_option_no_throw(name)) {
      return opt;
    }
  }
  return nullptr;
}

bool takes_positionals(const CLI::App* app) {
  for (const CLI::Option* opt : app->get_options()) {
    if (!opt->nonpositional()) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string suggest_command(const CLI::App& root, int argc, const char* const* argv) {
  const CLI::App* app = &root;
  std::string path = root.get_name();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      return "";
    }
    if (arg.size() > 1 && arg[0] == '-') {
      const auto eq = arg.find('=');
      const CLI::Option* opt = find_option(app, arg.substr(0, eq));
      if (opt != nullptr && eq == std::string::npos && opt->get_expected_min() > 0) {
        ++i;  // its value
      }
      continue;
    }
    const auto named = app->get_subcommands([&](const CLI::App* a) { return a->check_name(arg); });
    if (!named.empty()) {
      app = named.front();
      path += " " + arg;
      continue;
    }
    const auto subs =
        app->get_subcommands([](const CLI::App* a) { return !a->get_name().empty(); });
    if (subs.empty() || takes_positionals(app)) {
      return "";
    }
    std::vector<std::string> names;
    for (const CLI::App* s : subs) {
      names.push_back(s->get_name());
    }
    const std::vector<std::string_view> views(names.begin(), names.end());
    const auto near = util::closest_match(arg, views);
    return fmt::format("\"{}\" is not a command of `{}`{} (commands: {})", arg, path,
                       near ? fmt::format("; did you mean `{} {}`?", path, *near) : "",
                       util::join(names, ", "));
  }
  return "";
}

}  // namespace llmbench::cli
