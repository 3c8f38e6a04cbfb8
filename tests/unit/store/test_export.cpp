#include "llmbench/store/export.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include "llmbench/store/batch_writer.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/error.hpp"
#include "support/store_fixtures.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench;
namespace lt = llmbench::testing;

namespace {

std::int64_t count(store::Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  st.step();
  return st.int64(0);
}

}  // namespace

TEST(Export, RoundTripsEveryRowAndValue) {
  lt::TempDir dir;
  const auto run = lt::make_run("exported");
  {
    auto db = store::Database::open(dir.file("a.db"));
    store::insert_run(db, run);
    store::insert_run_target(db, {run.id, "t", "openai", "gpt-4.1-mini", "https://x/v1", "eu"});
    store::HistogramRow h;
    h.run_id = run.id;
    h.target = "t";
    h.metric = "ttft";
    h.unit = "ns";
    h.encoded = "HISTFAAAAB14nJNpmSzMwMDAxAABzFCaEUTKzG4AM94BAyE=";
    h.count = 3;
    h.mean = 1.5;
    h.p99 = 2.25;
    store::insert_histogram(db, h);
    store::finish_run(db, run.id, "completed", 5000);
  }
  {
    store::BatchWriter writer(dir.file("a.db"));
    for (int i = 1; i <= 50; ++i) {
      auto row = lt::make_request(run.id, i);
      row.cost_usd = 0.000125 * i;
      row.error_message = i == 7 ? std::optional<std::string>("bad \"quote\"\nline") : std::nullopt;
      writer.push(row);
    }
    writer.close();
  }
  auto a = store::Database::open(dir.file("a.db"));
  store::export_run(a, run.id, dir.file("run.json.gz"));
  auto b = store::Database::open(dir.file("b.db"));
  EXPECT_EQ(store::import_run(b, dir.file("run.json.gz")), run.id);
  EXPECT_EQ(count(b, "SELECT COUNT(*) FROM requests"), 50);
  // Every column of every row is the same in both databases.
  b.exec("ATTACH DATABASE '" + dir.file("a.db") + "' AS a");
  for (const char* table : {"runs", "run_targets", "requests", "histograms"}) {
    EXPECT_EQ(count(b, fmt::format("SELECT COUNT(*) FROM (SELECT * FROM main.{0} EXCEPT "
                                   "SELECT * FROM a.{0})",
                                   table)),
              0)
        << table;
  }
  // A second import is refused, and changes nothing.
  EXPECT_THROW(store::import_run(b, dir.file("run.json.gz")), InputError);
  EXPECT_EQ(count(b, "SELECT COUNT(*) FROM main.requests"), 50);
}

TEST(Export, RefusesWhatIsNotAnExport) {
  lt::TempDir dir;
  auto db = store::Database::open(dir.file("x.db"));
  EXPECT_THROW(store::import_run(db, dir.file("missing.json.gz")), InputError);
  const auto plain = dir.write("plain.json", "{\"schema\":\"something else\"}");
  EXPECT_THROW(store::import_run(db, plain), InputError);
  // A crafted column name never reaches SQL.
  const std::string evil =
      R"({"schema":"llmbench.run-export/1","runs":[{"id":"r1","x\") --":1}],"run_targets":[],)"
      R"("requests":[],"histograms":[]})";
  gzFile f = gzopen(dir.file("evil.json.gz").c_str(), "wb");
  gzwrite(f, evil.data(), static_cast<unsigned>(evil.size()));
  gzclose(f);
  EXPECT_THROW(store::import_run(db, dir.file("evil.json.gz")), InputError);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM runs"), 0);
}
