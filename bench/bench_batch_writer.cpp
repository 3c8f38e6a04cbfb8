// Request rows per second through the batch writer into a real SQLite file.
// Goal (issue 2): at least 200,000 rows/s.  build/bench/bench_batch_writer
#include <benchmark/benchmark.h>

#include <filesystem>

#include "llmbench/store/batch_writer.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/uuid.hpp"

namespace {

llmbench::store::RequestRow sample_row(const std::string& run_id, std::int64_t seq) {
  llmbench::store::RequestRow r;
  r.run_id = run_id;
  r.seq = seq;
  r.target = "gpt-4o-mini";
  r.prompt_id = "support:17";
  r.t_sched_ns = seq * 1'000'000;
  r.t_send_ns = seq * 1'000'000 + 1200;
  r.t_first_byte_ns = *r.t_send_ns + 180'000'000;
  r.t_first_token_ns = *r.t_first_byte_ns + 40'000;
  r.t_done_ns = *r.t_first_token_ns + 900'000'000;
  r.status_code = 200;
  r.input_tokens = 312;
  r.cached_input_tokens = 0;
  r.output_tokens = 256;
  r.token_source = "usage";
  r.content_events = 255;
  r.finish_reason = "length";
  r.cost_usd = 0.0002004;
  return r;
}

void BM_BatchWriterRows(benchmark::State& state) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("llmbench_bench_" + llmbench::util::uuid_v7() + ".db"))
                               .string();
  const auto rows = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove(path);
    auto db = llmbench::store::Database::open(path);
    llmbench::store::RunRow run;
    run.id = llmbench::util::uuid_v7();
    run.suite_name = "bench";
    run.suite_hash = "0";
    run.suite_text = "";
    run.llmbench_version = "bench";
    run.started_at_ms = 0;
    llmbench::store::insert_run(db, run);
    std::vector<llmbench::store::RequestRow> batch;
    batch.reserve(static_cast<std::size_t>(rows));
    for (std::int64_t i = 0; i < rows; ++i) {
      batch.push_back(sample_row(run.id, i));
    }
    state.ResumeTiming();
    llmbench::store::BatchWriter writer(path);
    for (auto& r : batch) {
      writer.push(std::move(r));
    }
    writer.close();
  }
  state.SetItemsProcessed(state.iterations() * rows);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}
BENCHMARK(BM_BatchWriterRows)
    ->Arg(100'000)
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
