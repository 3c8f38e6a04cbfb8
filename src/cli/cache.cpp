// `llmbench cache`: the response cache file (docs/cache.md) — stats, ls, show, export,
// import, prune, verify.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "llmbench/cache/store.hpp"
#include "llmbench/cache/traces.hpp"
#include "llmbench/util/duration.hpp"
#include "llmbench/util/size.hpp"
#include "llmbench/util/table.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::cli {

namespace {

struct CacheFlags {
  std::string path = ".llmbench/cache.db";
  std::string model;
  std::string since;
  std::string until;
  std::int64_t limit = 0;
  std::string fingerprint;
  bool events = false;
  std::string file;
  std::string older_than;
  std::string max_size;
};

cache::CacheStore open_existing(const CacheFlags& f) {
  if (!std::filesystem::exists(f.path)) {
    throw InputError(
        fmt::format("no cache at {} (give one with --cache PATH; `llmbench run "
                    "--cache-mode record` makes one)",
                    f.path));
  }
  return cache::CacheStore::open(f.path);
}

// "7d" (that long ago) or a UTC date / date-time.
std::int64_t instant(const std::string& flag, const std::string& text) {
  if (auto d = util::parse_duration(text)) {
    return util::unix_ms_now() - d->count() / 1'000'000;
  }
  if (auto ms = util::parse_utc(text)) {
    return *ms;
  }
  throw InputError(fmt::format(
      "{} {}: give an age such as 7d or 12h, or a UTC date such as 2026-11-01", flag, text));
}

void ls(const CacheFlags& f) {
  auto store = open_existing(f);
  cache::ListFilter filter;
  if (!f.model.empty()) {
    filter.model = f.model;
  }
  if (!f.since.empty()) {
    filter.since_ms = instant("--since", f.since);
  }
  if (!f.until.empty()) {
    filter.until_ms = instant("--until", f.until);
  }
  if (f.limit > 0) {
    filter.limit = f.limit;
  }
  using Align = util::TextTable::Align;
  util::TextTable table({"fingerprint", "provider", "model", "created (UTC)", "hits", "events",
                         "ttft ms", "ms", "size"},
                        {Align::left, Align::left, Align::left, Align::left, Align::right,
                         Align::right, Align::right, Align::right, Align::right});
  const auto entries = store.list(filter);
  for (const auto& e : entries) {
    table.add_row({e.fingerprint.substr(0, 16), e.provider, e.model,
                   util::short_utc(e.created_at_ms), std::to_string(e.hit_count),
                   std::to_string(e.events), std::to_string(e.ttft_ms),
                   std::to_string(e.duration_ms), util::format_size(e.bytes)});
  }
  std::cout << table.render() << fmt::format("{} entries\n", entries.size());
}

void show(const CacheFlags& f) {
  auto store = open_existing(f);
  const std::string fp = store.resolve(f.fingerprint);
  const auto r = store.peek(fp);
  if (!r) {
    throw Error(ExitCode::gate_failed,
                fmt::format("entry {} is unreadable (run `llmbench cache verify`)", fp));
  }
  std::cout << fmt::format(
      "fingerprint  {}\nprovider     {}\nmodel        {}\nstatus       {}\ncreated      {}\n"
      "hits         {}\nttft         {} ms\nduration     {} ms\nevents       {}\n",
      fp, r->provider, r->model, r->status, util::iso8601_utc_ms(r->created_at_ms), r->hit_count,
      r->ttft_ms, r->duration_ms, r->events.size());
  if (r->system_fingerprint) {
    std::cout << fmt::format("system fp    {}\n", *r->system_fingerprint);
  }
  std::cout << fmt::format("\nrequest (the canonical text the fingerprint hashes):\n{}\n",
                           r->canonical_request);
  std::cout << fmt::format("\nresponse body:\n{}\n", r->body);
  if (f.events) {
    std::cout << "\nrecorded stream (offset from the send):\n";
    for (const auto& e : r->events) {
      std::string text = e.text;
      for (auto& c : text) {
        c = c == '\n' ? ' ' : c;
      }
      std::cout << fmt::format("{:>10.3f} ms  {}\n", static_cast<double>(e.offset_us) / 1000.0,
                               text);
    }
  }
}

void export_cache(const CacheFlags& f) {
  auto store = open_existing(f);
  std::int64_t n = 0;
  if (f.file == "-") {
    n = store.export_jsonl(std::cout);
  } else {
    std::ofstream out(f.file, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw InputError(
          fmt::format("cannot write {} (check the folder exists and is writable)", f.file));
    }
    n = store.export_jsonl(out);
    out.close();
    if (!out) {
      throw RunError(fmt::format("writing {} failed", f.file));
    }
  }
  std::cerr << fmt::format("exported {} entries from {} to {}\n", n, f.path, f.file);
}

void import_cache(const CacheFlags& f) {
  std::ifstream in(f.file, std::ios::binary);
  if (!in) {
    throw InputError(fmt::format("cannot read {} (check the path)", f.file));
  }
  auto store = cache::CacheStore::open(f.path);
  const auto r = store.import_jsonl(in, f.file);
  std::cout << fmt::format("imported {} entries into {} ({} replaced existing ones)\n", r.imported,
                           f.path, r.replaced);
}

void prune(const CacheFlags& f) {
  if (f.older_than.empty() && f.max_size.empty()) {
    throw InputError(
        "prune needs --older-than AGE and/or --max-size SIZE "
        "(e.g. --older-than 30d --max-size 500MB)");
  }
  std::optional<std::int64_t> before;
  if (!f.older_than.empty()) {
    const auto d = util::parse_duration(f.older_than);
    if (!d) {
      throw InputError(fmt::format("--older-than {}", d.error()));
    }
    before = util::unix_ms_now() - d->count() / 1'000'000;
  }
  std::optional<std::int64_t> max_bytes;
  if (!f.max_size.empty()) {
    const auto s = util::parse_size(f.max_size);
    if (!s) {
      throw InputError(fmt::format("--max-size {}", s.error()));
    }
    max_bytes = *s;
  }
  auto store = open_existing(f);
  const auto r = store.prune(before, max_bytes);
  const auto left = store.stats();
  std::cout << fmt::format("removed {} entries ({}); {} left ({})\n", r.removed,
                           util::format_size(r.bytes_removed), left.entries,
                           util::format_size(left.bytes));
}

}  // namespace

void register_cache(CLI::App& app, Globals& /*globals*/) {
  auto* cmd = app.add_subcommand("cache", "The content-addressed response cache (docs/cache.md)");
  cmd->require_subcommand(1);
  static CacheFlags f;
  cmd->add_option("--cache", f.path, "The cache file")->capture_default_str();

  cmd->add_subcommand("stats", "Entries, bytes, hits, oldest and newest")->callback([] {
    auto store = open_existing(f);
    const auto s = store.stats();
    std::cout << fmt::format("cache    {}\nentries  {}\nbytes    {}\nhits     {}\n", f.path,
                             s.entries, s.bytes, s.hits);
    if (s.oldest_ms && s.newest_ms) {
      std::cout << fmt::format("oldest   {}\nnewest   {}\n", util::iso8601_utc_ms(*s.oldest_ms),
                               util::iso8601_utc_ms(*s.newest_ms));
    }
  });

  auto* list = cmd->add_subcommand("ls", "List entries, newest first");
  list->add_option("--model", f.model, "Only this model");
  list->add_option("--since", f.since, "Created at or after: an age (7d) or a UTC date");
  list->add_option("--until", f.until, "Created before: an age (1d) or a UTC date");
  list->add_option("--limit", f.limit, "At most this many")->check(CLI::PositiveNumber);
  list->callback([] { ls(f); });

  auto* one = cmd->add_subcommand("show", "One entry: metadata, canonical request, response");
  one->add_option("fingerprint", f.fingerprint, "The fingerprint, or a unique prefix of it")
      ->required();
  one->add_flag("--events", f.events, "Also print the recorded stream with its offsets");
  one->callback([] { show(f); });

  auto* exp = cmd->add_subcommand("export", "Write every entry as JSON lines (portable)");
  exp->add_option("file", f.file, "FILE.jsonl, or - for standard output")->required();
  exp->callback([] { export_cache(f); });

  auto* imp = cmd->add_subcommand(
      "import", "Add the entries of an exported file (each is checked against its fingerprint)");
  imp->add_option("file", f.file, "FILE.jsonl written by `cache export`")->required();
  imp->callback([] { import_cache(f); });

  auto* pr = cmd->add_subcommand("prune", "Remove old entries, or the oldest past a size");
  pr->add_option("--older-than", f.older_than, "Remove entries older than this (e.g. 30d)");
  pr->add_option("--max-size", f.max_size,
                 "Then remove the oldest until the cache holds at most this (e.g. 500MB)");
  pr->callback([] { prune(f); });

  cmd->add_subcommand("verify", "Recompute every fingerprint; report corrupt entries (exit 1)")
      ->callback([] {
        auto store = open_existing(f);
        // Each entry's fingerprint and stream, then its request read the way replay reads it.
        const auto corrupt = store.verify();
        std::vector<cache::Unreadable> unreadable;
        cache::traces_from_cache(store, &unreadable);
        for (const auto& fp : corrupt) {
          std::cout << fmt::format("corrupt     {}\n", fp);
        }
        std::size_t bad = corrupt.size();
        for (const auto& u : unreadable) {
          if (std::find(corrupt.begin(), corrupt.end(), u.fingerprint) == corrupt.end()) {
            std::cout << fmt::format("unreadable  {}  ({})\n", u.fingerprint, u.why);
            ++bad;
          }
        }
        std::cout << fmt::format("{} of {} entries corrupt or unreadable\n", bad,
                                 store.stats().entries);
        if (bad > 0) {
          throw Error(ExitCode::gate_failed,
                      fmt::format("{} cache entries are corrupt or cannot be replayed", bad));
        }
      });
}

}  // namespace llmbench::cli
