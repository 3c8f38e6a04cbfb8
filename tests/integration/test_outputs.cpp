// Every output says the same thing and goes where it is told (issue 12): --out in every
// command that takes it, run ids abbreviated so they paste back, read-only commands leave no
// database behind, the diff shows the report's own percentiles, replayed runs are refused as
// measurements, load overrides are stored and diffed, runs list/show speak JSON, and a
// mistyped command gets a "did you mean".

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "llmbench/store/database.hpp"
#include "llmbench/store/runs.hpp"
#include "support/files.hpp"
#include "support/run_binary.hpp"
#include "support/store_fixtures.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::run_llmbench;
using llmbench::testing::slurp;
using llmbench::testing::TempDir;

namespace {

std::string suite(int requests = 30) {
  return R"([suite]
name = "outputs"
[load]
mode = "concurrency"
concurrency = 2
requests = )" +
         std::to_string(requests) +
         R"(
[[targets]]
name = "fast"
provider = "mock"
mock = { ttft = "2ms", itl = "1ms", output_tokens = 4 }
[[targets]]
name = "slow"
provider = "mock"
mock = { ttft = "4ms", itl = "1ms", output_tokens = 4 }
[[prompts]]
id = "hello"
prompt = "Say hello."
[[prompts]]
id = "bye"
prompt = "Say goodbye."
)";
}

std::string run_id_of(const std::string& out) {
  std::smatch m;
  return std::regex_search(out, m, std::regex("run ([0-9a-f-]{36}) ")) ? m[1].str() : "";
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

TEST(Outputs, OutGoesWhereItIsToldInEveryCommand) {
  TempDir dir;
  const std::string db = dir.file("runs.db");
  const auto s = dir.write("s.toml", suite());
  // run --out -: the Markdown report on stdout, and no folder named "-".
  const auto piped = run_llmbench({"--db", db, "run", s, "--out", "-"}, {}, dir.path());
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_TRUE(has(piped.out, "# llmbench report: outputs")) << piped.out;
  EXPECT_FALSE(std::filesystem::exists(dir.file("-")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("reports")));
  // run --out -, --format json: JSON only.
  const auto json = run_llmbench({"--db", db, "run", s, "--out", "-", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(has(json.out, "\"schema\":\"llmbench.report/1\"")) << json.out;
  // run --out DIR.
  const auto base = run_llmbench({"--db", db, "run", s, "--out", dir.file("base")});
  ASSERT_EQ(base.exit_code, 0) << base.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("base/report.md")));
  // report RUN --out DIR and --out -.
  const auto again = run_llmbench({"--db", db, "report", "latest", "--out", dir.file("again")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("again/report.html")));
  const auto md = run_llmbench({"--db", db, "report", "latest", "--out", "-"});
  EXPECT_TRUE(has(md.out, "# llmbench report: outputs"));
  // report diff --out DIR: the diff in three formats, the text on stdout.
  const auto d = run_llmbench(
      {"--db", db, "report", "diff", run_id_of(piped.out), "latest", "--out", dir.file("diff")});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  for (const char* f : {"diff.md", "diff.json", "diff.html"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.file("diff") + "/" + f)) << f;
  }
  EXPECT_TRUE(has(d.out, "base ")) << d.out;
  // run --baseline --out DIR: the diff lands beside the run's reports.
  const auto gated = run_llmbench(
      {"--db", db, "run", s, "--out", dir.file("cand"), "--baseline", run_id_of(base.out)});
  ASSERT_EQ(gated.exit_code, 0) << gated.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("cand/diff.md")));
}

TEST(Outputs, RunIdsAreAbbreviatedSoTheyPasteBack) {
  TempDir dir;
  const std::string db = dir.file("runs.db");
  // Two ids that share their first 10 characters, as UUIDv7s started together do.
  {
    auto d = llmbench::store::Database::open(db);
    for (const char* id :
         {"01a23500-1a2b-7000-8000-000000000001", "01a23500-1a3c-7000-8000-000000000002"}) {
      auto run = llmbench::testing::make_run("twins", 1'764'072'000'000);
      run.id = id;
      llmbench::store::insert_run(d, run);
      llmbench::store::finish_run(d, id, "completed", 1'764'072'060'000);
    }
    EXPECT_EQ(llmbench::store::short_id(d, "01a23500-1a2b-7000-8000-000000000001"), "01a23500-1a2");
  }
  const auto list = run_llmbench({"--db", db, "runs", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(has(list.out, "01a23500-1a2 ")) << list.out;
  EXPECT_TRUE(has(list.out, "01a23500-1a3 ")) << list.out;
  // What is printed resolves; the first 8 characters do not.
  EXPECT_EQ(run_llmbench({"--db", db, "runs", "show", "01a23500-1a2"}).exit_code, 0);
  EXPECT_EQ(run_llmbench({"--db", db, "runs", "show", "01a23500"}).exit_code, 2);
  const auto diff = run_llmbench({"--db", db, "report", "diff", "01a23500-1a2b", "01a23500-1a3c"});
  EXPECT_TRUE(has(diff.out, "base 01a23500-1a2 (twins), candidate 01a23500-1a3 (twins)"))
      << diff.out << diff.err;
}

TEST(Outputs, ReadOnlyCommandsLeaveNoDatabaseBehind) {
  TempDir dir;
  const std::string db = dir.file("none.db");
  const auto list = run_llmbench({"--db", db, "runs", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(has(list.out, "does not exist yet")) << list.out;
  const auto json = run_llmbench({"--db", db, "runs", "list", "--format", "json"});
  EXPECT_EQ(json.out, "{\"schema\":\"llmbench.runs/1\",\"runs\":[]}\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"runs", "show", "latest"},
        std::vector<std::string>{"report", "latest"},
        std::vector<std::string>{"report", "diff", "a", "b"},
        std::vector<std::string>{"runs", "rm", "latest"},
        std::vector<std::string>{"runs", "export", "latest", "-o", dir.file("x.json.gz")}}) {
    std::vector<std::string> full = {"--db", db};
    full.insert(full.end(), args.begin(), args.end());
    const auto r = run_llmbench(full);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args[1];
    EXPECT_TRUE(has(r.err, "no run history at " + db)) << r.err;
  }
  const auto replay = run_llmbench({"--db", db, "replay", dir.file("missing.jsonl"), "--base-url",
                                    "http://127.0.0.1:9/v1", "--model", "m"});
  EXPECT_EQ(replay.exit_code, 2);
  EXPECT_TRUE(has(replay.err, "missing.jsonl: no such file")) << replay.err;
  EXPECT_FALSE(std::filesystem::exists(db));
}

TEST(Outputs, TheDiffShowsTheReportsOwnPercentiles) {
  TempDir dir;
  const std::string db = dir.file("runs.db");
  const auto s = dir.write("s.toml", suite(40));
  const auto a = run_llmbench({"--db", db, "run", s, "--out", dir.file("a")});
  const auto b = run_llmbench({"--db", db, "run", s, "--out", dir.file("b")});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const auto d = run_llmbench(
      {"--db", db, "report", "diff", run_id_of(a.out), run_id_of(b.out), "--format", "json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  simdjson::dom::parser p1;
  simdjson::dom::parser p2;
  simdjson::dom::element diff;
  simdjson::dom::element report;
  ASSERT_EQ(p1.parse(simdjson::padded_string(d.out)).get(diff), simdjson::SUCCESS);
  const std::string report_json = slurp(dir.file("b/report.json"));
  ASSERT_EQ(p2.parse(simdjson::padded_string(report_json)).get(report), simdjson::SUCCESS);
  int compared = 0;
  for (simdjson::dom::element t : diff["targets"].get_array()) {
    const std::string_view name = t["candidate_target"];
    for (simdjson::dom::element rt : report["targets"].get_array()) {
      if (std::string_view(rt["target"]) != name) {
        continue;
      }
      for (simdjson::dom::element c : t["cells"].get_array()) {
        if (std::string_view(c["metric"]) != "ttft" && std::string_view(c["metric"]) != "e2e") {
          continue;
        }
        const std::string_view stat = c["stat"];
        const std::string_view metric = c["metric"];
        // report.json keeps nanoseconds; the diff shows milliseconds.
        const double in_report = double(rt["metrics"][metric][stat]) / 1e6;
        EXPECT_DOUBLE_EQ(double(c["candidate"]), in_report)
            << name << " " << std::string_view(c["metric"]) << " " << stat;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 2 * 2 * 4);
}

TEST(Outputs, ReplayedRunsAreRefusedAsMeasurementsUnlessAllowed) {
  TempDir dir;
  const std::string db = dir.file("runs.db");
  const std::string cache = dir.file("cache.db");
  const auto s = dir.write("s.toml", suite(20));
  const auto live = run_llmbench(
      {"--db", db, "run", s, "--no-report", "--cache-mode", "record", "--cache", cache});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  const auto replayed = run_llmbench(
      {"--db", db, "run", s, "--no-report", "--cache-mode", "replay", "--cache", cache});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  const auto refused =
      run_llmbench({"--db", db, "report", "diff", run_id_of(live.out), run_id_of(replayed.out)});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(has(refused.err, "answered 40 of its 40 measured requests from the response cache"))
      << refused.err;
  EXPECT_TRUE(has(refused.err, "--allow-replayed"));
  for (const std::string format : {"text", "md", "json", "html"}) {
    const auto allowed =
        run_llmbench({"--db", db, "report", "diff", run_id_of(live.out), run_id_of(replayed.out),
                      "--allow-replayed", "--format", format});
    EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
    EXPECT_TRUE(has(allowed.out, "REPLAYED: the candidate run")) << format << allowed.out;
  }
}

TEST(Outputs, LoadOverridesAreAppliedStoredAndDiffed) {
  TempDir dir;
  const std::string db = dir.file("runs.db");
  const auto s = dir.write("s.toml", suite(30));
  const auto base = run_llmbench({"--db", db, "run", s, "--no-report"});
  ASSERT_EQ(base.exit_code, 0) << base.err;
  const auto cand =
      run_llmbench({"--db", db, "run", s, "--no-report", "--concurrency", "3", "--requests", "7",
                    "--warmup", "2", "--target", "slow", "--prompt", "bye"});
  ASSERT_EQ(cand.exit_code, 0) << cand.err;
  auto d = llmbench::store::Database::open(db);
  const std::string id = run_id_of(cand.out);
  auto st = d.prepare(
      "SELECT COUNT(*), SUM(warmup), COUNT(DISTINCT target), MIN(target), MIN(prompt_id), "
      "MAX(prompt_id) FROM requests WHERE run_id = ?");
  st.bind(1, id);
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), 9);  // 7 measured + 2 warmup
  EXPECT_EQ(st.int64(1), 2);
  EXPECT_EQ(st.int64(2), 1);
  EXPECT_EQ(st.text(3), "slow");
  EXPECT_EQ(st.text(4), "bye");
  EXPECT_EQ(st.text(5), "bye");
  const auto run = llmbench::store::get_run(d, id);
  ASSERT_TRUE(run);
  EXPECT_TRUE(has(run->load_json, "\"concurrency\":3")) << run->load_json;
  EXPECT_TRUE(has(run->load_json,
                  "\"overrides_text\":\"--concurrency 3 --requests 7 --warmup 2 --target slow "
                  "--prompt bye\""))
      << run->load_json;
  // The diff names the change (the requests differ too: a prompt was left out).
  const auto diff =
      run_llmbench({"--db", db, "report", "diff", run_id_of(base.out), id, "--allow-suite-change"});
  EXPECT_TRUE(has(diff.out,
                  "load overrides differ: base none, candidate `--concurrency 3 "
                  "--requests 7 --warmup 2 --target slow --prompt bye`"))
      << diff.out << diff.err;
  const auto show = run_llmbench({"--db", db, "runs", "show", id, "--format", "json"});
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(show.out)).get(doc), simdjson::SUCCESS)
      << show.out;
  EXPECT_EQ(int64_t(doc["run"]["load"]["overrides"]["requests"]), 7);
  EXPECT_EQ(std::string_view(doc["run"]["targets"].at(0)["target"]), "slow");
  EXPECT_EQ(int64_t(doc["run"]["targets"].at(0)["warmup"]), 2);
  // Bad overrides are located errors, before anything is sent.
  const auto typo = run_llmbench({"--db", db, "run", s, "--target", "slwo"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_TRUE(has(typo.err,
                  "--target slwo: the suite has no target of that name; did you mean "
                  "\"slow\"?"))
      << typo.err;
  const auto both = run_llmbench({"--db", db, "run", s, "--rate", "5", "--concurrency", "2"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_TRUE(has(both.err, "choose one")) << both.err;
}

TEST(Outputs, RunsListAndShowSpeakJson) {
  TempDir dir;
  const std::string db = dir.file("runs.db");
  const auto r = run_llmbench(
      {"--db", db, "run", dir.write("s.toml", suite(10)), "--no-report", "--warmup", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto list = run_llmbench({"--db", db, "runs", "list", "--format", "json"});
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(list.out)).get(doc), simdjson::SUCCESS)
      << list.out;
  EXPECT_EQ(std::string_view(doc["schema"]), "llmbench.runs/1");
  simdjson::dom::element first = doc["runs"].at(0);
  EXPECT_EQ(std::string_view(first["id"]), run_id_of(r.out));
  EXPECT_EQ(int64_t(first["requests"]), 20);  // measured only
  EXPECT_EQ(int64_t(first["warmup"]), 6);
  EXPECT_EQ(std::string_view(first["status"]), "completed");
  const auto text = run_llmbench({"--db", db, "runs", "list"});
  EXPECT_TRUE(std::regex_search(text.out, std::regex("completed +20 +0 +6"))) << text.out;
  const auto bad = run_llmbench({"--db", db, "runs", "list", "--format", "yaml"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST(Outputs, AMistypedCommandGetsADidYouMean) {
  const auto top = run_llmbench({"reprot", "latest"});
  EXPECT_EQ(top.exit_code, 2);
  EXPECT_TRUE(has(top.err,
                  "\"reprot\" is not a command of `llmbench`; did you mean `llmbench "
                  "report`?"))
      << top.err;
  const auto nested = run_llmbench({"--db", "x.db", "runs", "lst"});
  EXPECT_EQ(nested.exit_code, 2);
  EXPECT_TRUE(has(nested.err, "did you mean `llmbench runs list`?")) << nested.err;
  // A stray argument where no command is expected keeps CLI11's own message.
  const auto stray = run_llmbench({"pricing", "a", "b", "c"});
  EXPECT_EQ(stray.exit_code, 2);
  EXPECT_FALSE(has(stray.err, "did you mean")) << stray.err;
}

// On a non-TTY (a CI log) progress is plain lines, one per stage at least; --progress json
// lines parse; none prints nothing.
TEST(Outputs, ProgressOnANonTtyIsPlainOrJson) {
  TempDir dir;
  const std::string db = dir.file("runs.db");
  const auto s = dir.write("s.toml", suite(10));
  const auto plain = run_llmbench({"--db", db, "run", s, "--no-report"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_TRUE(has(plain.err, "[fast] 10/20 done | ")) << plain.err;
  EXPECT_TRUE(has(plain.err, "[slow] 20/20 done | ")) << plain.err;
  EXPECT_FALSE(has(plain.err, "\r")) << "no carriage returns in a log";
  const auto json = run_llmbench({"--db", db, "run", s, "--no-report", "--progress", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  int objects = 0;
  std::istringstream lines(json.err);
  std::string line;
  simdjson::dom::parser parser;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') {
      continue;
    }
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(simdjson::padded_string(line)).get(doc), simdjson::SUCCESS) << line;
    if (bool(doc["stage_end"])) {
      EXPECT_EQ(int64_t(doc["stage_done"]), 10) << line;
      EXPECT_EQ(int64_t(doc["stage_errors"]), 0);
      EXPECT_GT(double(doc["ttft_p50_ms"]), 1.0);
    }
    ++objects;
  }
  EXPECT_GE(objects, 2) << json.err;
  const auto none = run_llmbench({"--db", db, "run", s, "--no-report", "--progress", "none"});
  EXPECT_FALSE(has(none.err, " done | ")) << none.err;
  const auto bad = run_llmbench({"--db", db, "run", s, "--progress", "loud"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(has(bad.err, "--progress loud: use auto, tty, plain, json or none")) << bad.err;
}
