// The real binary, as a user runs it: exit codes, messages, and what each command prints.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "llmbench/store/migrations.hpp"
#include "llmbench/store/runs.hpp"
#include "support/run_binary.hpp"
#include "support/store_fixtures.hpp"

using llmbench::testing::run_llmbench;
using llmbench::testing::TempDir;

namespace {

const std::string k_source = LLMBENCH_SOURCE_DIR;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST(Cli, VersionNamesBuildAndDependencies) {
  const auto r = run_llmbench({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.out, "llmbench 0.1.0 (commit ")) << r.out;
  for (const char* dep : {"compiler:", "libcurl", "OpenSSL", "SQLite", "simdjson", "toml++", "fmt",
                          "CLI11", "Boost", "zlib", "ICU"}) {
    EXPECT_TRUE(contains(r.out, dep)) << dep;
  }
}

TEST(Cli, HelpListsEveryCommandOfTheDesign) {
  const auto r = run_llmbench({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"run", "validate", "runs", "report", "replay", "cache", "beacon", "mock",
                          "proxy", "session", "serve", "pricing"}) {
    EXPECT_TRUE(contains(r.out, std::string("  ") + cmd + " ")) << cmd;
  }
  EXPECT_EQ(run_llmbench({}).exit_code, 2);  // no command: usage
}

TEST(Cli, BadFlagsAreUsageErrors) {
  const auto r = run_llmbench({"validate", "--frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "llmbench: error: ")) << r.err;
  EXPECT_EQ(run_llmbench({"nonsense"}).exit_code, 2);
}

TEST(Cli, ValidatePrintsThePlanOfEveryShippedSuite) {
  const auto r = run_llmbench({"validate", k_source + "/suites/quickstart.toml",
                               k_source + "/suites/openai-vs-anthropic.toml"},
                              {"OPENAI_API_KEY=", "ANTHROPIC_API_KEY=x"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "suite \"quickstart\" is valid")) << r.out;
  EXPECT_TRUE(contains(r.out, "mock-fast")) << r.out;
  EXPECT_TRUE(contains(r.out, "free (mock)"));
  EXPECT_TRUE(contains(r.out, "416 requests; free (every target is a mock)"));  // 2 x (200 + 8)
  EXPECT_TRUE(contains(r.out, "suite \"openai-vs-anthropic\" is valid"));
  EXPECT_TRUE(contains(r.out, "estimated cost up to $"));
}

TEST(Cli, ValidateWarnsAboutUnsetKeysButPasses) {
  const auto r = run_llmbench({"validate", k_source + "/suites/openai-vs-anthropic.toml"},
                              {"-u", "OPENAI_API_KEY", "-u", "ANTHROPIC_API_KEY"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err,
                       ": warning: api_key_env: environment variable OPENAI_API_KEY is "
                       "not set"))
      << r.err;
}

TEST(Cli, ValidateReportsEveryProblemThenExits2) {
  TempDir dir;
  const std::string bad = dir.write("bad.toml", R"([suite]
name = "bad"
[load]
mode = "concurrency"
concurency = 4
requests = 10
timeout = "60"
[[targets]]
name = "x"
provider = "openia"
[[prompts]]
id = "p"
prompt = "hi"
)");
  const std::string good = k_source + "/suites/quickstart.toml";
  const auto r = run_llmbench({"validate", bad, good});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, bad + ":5:1: unknown key \"concurency\" in [load] (did you mean "
                                    "\"concurrency\"?)"))
      << r.err;
  EXPECT_TRUE(contains(r.err, bad + ":7:11: timeout in [load]: bad duration \"60\""));
  EXPECT_TRUE(contains(r.err, bad + ":10:12: unknown provider \"openia\""));
  EXPECT_TRUE(contains(r.err, bad + ": 3 errors"));
  EXPECT_TRUE(contains(r.err, "llmbench: error: 1 of 2 suites failed validation"));
  EXPECT_TRUE(contains(r.out, "suite \"quickstart\" is valid"));  // the good one still checked
}

TEST(Cli, RunsListShowRemove) {
  TempDir dir;
  const std::string db_path = dir.file("runs.db");
  std::string id;
  {
    auto db = llmbench::store::Database::open(db_path);
    auto run = llmbench::testing::make_run("nightly", 1'764'072'000'000);
    id = run.id;
    llmbench::store::insert_run(db, run);
    llmbench::store::insert_run_target(db, {id, "gpt", "openai", "gpt-4o-mini", "", std::nullopt});
    llmbench::store::finish_run(db, id, "completed", 1'764'072'060'000);
  }
  const auto list = run_llmbench({"runs", "list", "--db", db_path});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(contains(list.out, id.substr(0, 8))) << list.out;
  EXPECT_TRUE(contains(list.out, "nightly"));
  EXPECT_TRUE(contains(list.out, "2025-11-25 12:00"));
  EXPECT_TRUE(contains(list.out, "completed"));

  const auto show = run_llmbench({"--db", db_path, "runs", "show", id.substr(0, 13)});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(contains(show.out, "run       " + id));
  EXPECT_TRUE(contains(show.out, "(60.0 s)"));
  EXPECT_TRUE(contains(show.out, "gpt-4o-mini"));

  const auto missing = run_llmbench({"runs", "show", "ffffffff", "--db", db_path});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(contains(missing.err, "no run matches \"ffffffff\""));

  const auto rm = run_llmbench({"runs", "rm", "latest", "--db", db_path});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_TRUE(contains(rm.out, "removed run " + id));
  const auto empty = run_llmbench({"runs", "--db", db_path});
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_TRUE(contains(empty.out, "no runs in"));
}

TEST(Cli, DatabaseFromTheEnvironment) {
  TempDir dir;
  const auto r = run_llmbench({"runs", "list"}, {"LLMBENCH_DB=" + dir.file("env.db")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, dir.file("env.db")));
}

TEST(Cli, NewerSchemaIsRefusedWithExit2) {
  TempDir dir;
  const std::string path = dir.file("future.db");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  const std::string sql =
      "PRAGMA user_version = " + std::to_string(llmbench::store::latest_schema_version() + 5);
  sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  const auto r = run_llmbench({"runs", "list", "--db", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "newer than this llmbench understands")) << r.err;
}

TEST(Cli, PricingTableAndLookups) {
  const auto all = run_llmbench({"pricing"});
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_TRUE(contains(all.out, "claude-3-5-haiku-20241022"));
  EXPECT_TRUE(contains(all.out, "gpt-4o-mini"));
  const auto alias = run_llmbench({"pricing", "claude-3-5-haiku-latest"});
  EXPECT_EQ(alias.exit_code, 0);
  EXPECT_TRUE(contains(alias.out, "$0.800"));
  EXPECT_TRUE(contains(alias.out, "$4.000"));
  const auto unknown = run_llmbench({"pricing", "my-finetune"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err, "cost will be reported as unknown"));
  const auto only = run_llmbench({"pricing", "--provider", "openai"});
  EXPECT_FALSE(contains(only.out, "claude"));
}
