// `llmbench cache`: the response cache file. `stats` and `verify` work today; the other
// subcommands arrive with the record/replay modes and say so.

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "llmbench/cache/store.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::cli {

void register_cache(CLI::App& app, Globals& /*globals*/) {
  auto* cmd = app.add_subcommand(
      "cache", "The content-addressed response cache (stats, verify; more to come)");
  cmd->require_subcommand(1);
  static std::string path = ".llmbench/cache.db";
  cmd->add_option("--cache", path, "The cache file")->capture_default_str();
  const auto open_existing = [] {
    if (!std::filesystem::exists(path)) {
      throw InputError(fmt::format("no cache at {} (give one with --cache PATH)", path));
    }
    return cache::CacheStore::open(path);
  };
  cmd->add_subcommand("stats", "Entries, bytes, hits, oldest and newest")
      ->callback([open_existing] {
        auto store = open_existing();
        const auto s = store.stats();
        std::cout << fmt::format("cache    {}\nentries  {}\nbytes    {}\nhits     {}\n", path,
                                 s.entries, s.bytes, s.hits);
        if (s.oldest_ms && s.newest_ms) {
          std::cout << fmt::format("oldest   {}\nnewest   {}\n", util::iso8601_utc_ms(*s.oldest_ms),
                                   util::iso8601_utc_ms(*s.newest_ms));
        }
      });
  cmd->add_subcommand("verify", "Recompute every fingerprint; report corrupt entries (exit 1)")
      ->callback([open_existing] {
        auto store = open_existing();
        const auto bad = store.verify();
        for (const auto& fp : bad) {
          std::cout << fmt::format("corrupt  {}\n", fp);
        }
        std::cout << fmt::format("{} of {} entries corrupt\n", bad.size(), store.stats().entries);
        if (!bad.empty()) {
          throw Error(ExitCode::gate_failed, fmt::format("{} corrupt cache entries", bad.size()));
        }
      });
  for (const char* name : {"ls", "show", "export", "import", "prune"}) {
    add_pending_subcommand(*cmd, name, "Arrives with the cache's record/replay modes",
                           std::string("cache ") + name);
  }
}

}  // namespace llmbench::cli
