// Issue 14: the engine spread over worker threads stores what one thread stores, and a
// report built from the stored histograms says what the stored rows say.
//
// A fixed-seed mock run scripts request n from (seed, n) alone (faults included), so the
// same suite run with --engine-threads 1 and 2 must store the same requests: the same
// outcome, tokens and finish reason for every (seq, attempt). Timings differ and are not
// compared.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "llmbench/metrics/sample_stats.hpp"
#include "llmbench/store/database.hpp"
#include "support/files.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::run_llmbench;
using llmbench::testing::slurp;
using llmbench::testing::TempDir;

namespace {

constexpr std::string_view k_suite = R"([suite]
name = "threads"

[load]
mode = "concurrency"
concurrency = 24
requests = 240
warmup = 4
seed = 7

[[targets]]
name = "faulty"
provider = "mock"
mock = { ttft = "3ms", itl = "500us", output_tokens = 24, seed = 11, faults = { server_error = 0.05, rate_limited = 0.05, reset = 0.03, malformed = 0.03 } }

[[targets]]
name = "steady"
provider = "mock"
mock = { ttft = "6ms", itl = "1ms", output_tokens = 12 }

[[prompts]]
id = "a"
prompt = "Say something short."

[[prompts]]
id = "b"
prompt = "Say something a little longer than that, please."
)";

using Row = std::tuple<std::int64_t, std::int64_t, std::string, std::string, std::string,
                       std::int64_t, std::int64_t, std::int64_t, std::string, std::int64_t>;

struct Stored {
  std::vector<Row> rows;
  std::int64_t engine_threads = 0;
};

Stored run_with_threads(const TempDir& dir, int threads) {
  const std::string suite = dir.write("s.toml", std::string(k_suite));
  const std::string db_path = dir.file("t" + std::to_string(threads) + ".db");
  const auto r =
      run_llmbench({"--quiet", "--db", db_path, "run", suite, "--engine-threads",
                    std::to_string(threads), "--out", dir.file("r" + std::to_string(threads))});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Stored out;
  auto db = llmbench::store::Database::open(db_path);
  auto st = db.prepare(
      "SELECT seq, attempt, target, prompt_id, COALESCE(error_class, ''), "
      "COALESCE(status_code, -1), COALESCE(input_tokens, -1), COALESCE(output_tokens, -1), "
      "COALESCE(finish_reason, ''), content_events FROM requests ORDER BY seq, attempt");
  while (st.step()) {
    out.rows.emplace_back(st.int64(0), st.int64(1), st.text(2), st.text(3), st.text(4), st.int64(5),
                          st.int64(6), st.int64(7), st.text(8), st.int64(9));
  }
  auto load = db.prepare("SELECT load_json FROM runs");
  if (load.step()) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(simdjson::padded_string(load.text(0))).get(doc) == simdjson::SUCCESS) {
      out.engine_threads = doc["engine_threads"].get_int64().value_unsafe();
    }
  }
  return out;
}

}  // namespace

TEST(EngineThreads, TwoThreadsStoreTheSameRowsAsOne) {
  const TempDir dir;
  const Stored one = run_with_threads(dir, 1);
  const Stored two = run_with_threads(dir, 2);
  EXPECT_EQ(one.engine_threads, 1);
  EXPECT_EQ(two.engine_threads, 2);
  ASSERT_EQ(one.rows.size(), two.rows.size());
  ASSERT_GE(one.rows.size(), 488u);  // 2 x (240 + 4 warmup), plus retries if any
  std::map<std::string, int> classes;
  for (std::size_t i = 0; i < one.rows.size(); ++i) {
    EXPECT_EQ(one.rows[i], two.rows[i]) << "row " << i;
    ++classes[std::get<4>(one.rows[i])];
  }
  // The faults fired (the comparison covered failures, not only successes).
  EXPECT_GT(classes["http_5xx"], 0);
  EXPECT_GT(classes["rate_limited"], 0);
  EXPECT_GT(classes["connection"], 0);
  EXPECT_GT(classes["protocol"], 0);
  EXPECT_GT(classes[""], 400);
}

TEST(Reports, PercentilesFromHistogramsEqualPercentilesFromRows) {
  const TempDir dir;
  const std::string suite = dir.write("s.toml", std::string(k_suite));
  const std::string db_path = dir.file("runs.db");
  const auto r = run_llmbench({"--quiet", "--db", db_path, "run", suite, "--engine-threads", "2",
                               "--out", dir.file("report"), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // What the rows say: nearest-rank percentiles of the measured successes.
  std::map<std::string, std::vector<double>> ttft;
  std::map<std::string, std::vector<double>> e2e;
  {
    auto db = llmbench::store::Database::open(db_path);
    auto st = db.prepare(
        "SELECT target, t_first_token_ns - t_send_ns, t_done_ns - t_send_ns FROM requests r "
        "WHERE warmup = 0 AND error_class IS NULL AND NOT EXISTS (SELECT 1 FROM requests r2 "
        "WHERE r2.seq = r.seq AND r2.attempt > r.attempt)");
    while (st.step()) {
      ttft[st.text(0)].push_back(static_cast<double>(st.int64(1)));
      e2e[st.text(0)].push_back(static_cast<double>(st.int64(2)));
    }
  }
  // What the report says, from the stored histograms.
  const std::string json = slurp(dir.file("report") + "/report.json");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(json)).get(doc), simdjson::SUCCESS);
  int compared = 0;
  for (simdjson::dom::element t : doc["targets"].get_array()) {
    const std::string target(t["target"].get_string().value_unsafe());
    for (const auto& [metric, values] :
         {std::pair{"ttft", &ttft[target]}, std::pair{"e2e", &e2e[target]}}) {
      ASSERT_FALSE(values->empty());
      const auto m = t["metrics"][metric];
      EXPECT_EQ(m["count"].get_int64().value_unsafe(), static_cast<std::int64_t>(values->size()))
          << target << " " << metric;
      for (const auto& [key, p] : {std::pair{"p50", 50.0}, std::pair{"p95", 95.0},
                                   std::pair{"p99", 99.0}, std::pair{"max", 100.0}}) {
        const double from_rows = llmbench::metrics::percentile(*values, p);
        const double from_histogram = static_cast<double>(m[key].get_int64().value_unsafe());
        // 3 significant digits: the histogram's value is its bucket's upper end, at most
        // 0.1% above the exact one.
        EXPECT_GE(from_histogram, from_rows) << target << " " << metric << " " << key;
        EXPECT_LE(from_histogram, from_rows * 1.001 + 1) << target << " " << metric << " " << key;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 16);
}

TEST(EngineThreads, DiffNamesADifferentThreadCount) {
  const TempDir dir;
  const std::string suite = dir.write("s.toml", std::string(k_suite));
  const std::string db = dir.file("runs.db");
  for (const char* threads : {"1", "2"}) {
    const auto r =
        run_llmbench({"--quiet", "--db", db, "run", suite, "--requests", "20", "--engine-threads",
                      threads, "--no-report", "--save-baseline", std::string("t") + threads});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto diff = run_llmbench({"--db", db, "report", "diff", "t1", "t2"});
  EXPECT_NE((diff.out + diff.err)
                .find("the client ran 1 engine thread for the base and 2 for the candidate"),
            std::string::npos)
      << diff.out << diff.err;
  const auto bad = run_llmbench({"--db", db, "run", suite, "--engine-threads", "0"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--engine-threads"), std::string::npos) << bad.err;
}
