// Beacons against the public ingest's semantics (`collect --compat f3dx-worker`: per-beacon
// storage, a 429 with no count, no /v1/register, pinned tokens, queued forgets) and against
// `llmbench collect`: two databases and two processes sharing one identity deliver every
// beacon exactly once under the per-install limit; message attestation never sends what
// the collector would refuse; `forget --rotate` rotates after a refused forget.

#include <gtest/gtest.h>

#include <future>
#include <regex>

#include "llmbench/server/mock_profile.hpp"
#include "llmbench/server/mock_server.hpp"
#include "llmbench/store/database.hpp"
#include "support/background_process.hpp"
#include "support/files.hpp"
#include "support/http_client.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::store::Database;
using llmbench::testing::BackgroundProcess;
using llmbench::testing::run_llmbench;
using llmbench::testing::slurp;
using llmbench::testing::TempDir;

namespace {

llmbench::server::MockProfile quick() {
  llmbench::server::MockProfile p;
  p.ttft = llmbench::server::Distribution::fixed(0.2e6);
  p.itl = llmbench::server::Distribution::fixed(0.1e6);
  p.output_tokens = llmbench::server::Distribution::fixed(3);
  return p;
}

std::string suite(const std::string& base_url, int requests, const std::string& attestation) {
  return R"([suite]
name = "ingest"
[load]
mode = "concurrency"
concurrency = 8
requests = )" +
         std::to_string(requests) +
         R"(
[[targets]]
name = "t"
provider = "openai"
model = "gpt-4o-mini"
base_url = ")" +
         base_url +
         R"("
beacon = true
[[prompts]]
id = "p"
prompt = "hi"
[beacon]
enabled = true
attestation = ")" +
         attestation + "\"\n";
}

std::int64_t scalar(const std::string& db_path, const std::string& sql, bool raw = false) {
  llmbench::store::OpenOptions o;
  o.run_schema = !raw;
  auto db = Database::open(db_path, o);
  auto st = db.prepare(sql);
  st.step();
  return st.int64(0);
}

struct Collect {
  std::string db;
  std::unique_ptr<BackgroundProcess> process;
  std::string url;
  Collect(const TempDir& dir, const std::string& compat) : db(dir.file("collector.db")) {
    process = std::make_unique<BackgroundProcess>(std::vector<std::string>{
        "collect", "--port", "0", "--db", db, "--window", "1s", "--compat", compat});
    std::smatch m;
    const std::string line = process->first_line();
    if (std::regex_search(line, m, std::regex(R"((http://127\.0\.0\.1:\d+))"))) {
      url = m[1].str();
    }
  }
};

}  // namespace

// 300 beacons from two databases, sent by two processes at once, under a limit of 60 per
// (shortened) window: exactly 300 stored, none twice, against both collectors.
TEST(BeaconIngest, TwoDatabasesAndTwoProcessesShareOneBudgetAndSendEachBeaconOnce) {
  llmbench::server::MockServer target(quick(), {});
  target.start();
  for (const std::string compat : {"f3dx-worker", "llmbench"}) {
    SCOPED_TRACE(compat);
    TempDir dir;
    Collect c(dir, compat);
    ASSERT_FALSE(c.url.empty());
    const std::vector<std::string> env = {"XDG_CONFIG_HOME=" + dir.file("xdg"),
                                          "LLMBENCH_BEACON_URL=" + c.url,
                                          "LLMBENCH_BEACON_WINDOW_MS=1000"};
    const auto s = dir.write("s.toml", suite(target.base_url(), 150, "token"));
    const std::string a = dir.file("a.db");
    const std::string b = dir.file("b.db");
    // Each run queues 150 and sends what the shared window allows right away.
    for (const auto& db : {a, b}) {
      const auto r =
          run_llmbench({"--db", db, "run", s, "--no-report", "--beacon-wait", "0s"}, env);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    // The rest by two processes at once.
    auto send = [&](const std::string& db) {
      return run_llmbench({"--db", db, "beacon", "send", "--wait", "30s"}, env);
    };
    auto fa = std::async(std::launch::async, send, a);
    auto fb = std::async(std::launch::async, send, b);
    const auto ra = fa.get();
    const auto rb = fb.get();
    EXPECT_EQ(ra.exit_code, 0) << ra.err;
    EXPECT_EQ(rb.exit_code, 0) << rb.err;
    const std::string sent_sql = "SELECT COUNT(*) FROM beacon_outbox WHERE state = 'sent'";
    const std::string other_sql = "SELECT COUNT(*) FROM beacon_outbox WHERE state <> 'sent'";
    EXPECT_EQ(scalar(a, sent_sql) + scalar(b, sent_sql), 300);
    EXPECT_EQ(scalar(a, other_sql) + scalar(b, other_sql), 0);
    // Exactly 300 rows at the collector: one more would be a beacon stored twice.
    EXPECT_EQ(scalar(c.db, "SELECT COUNT(*) FROM beacons", true), 300);
    EXPECT_EQ(c.process->stop(SIGTERM).first, 0);
  }
}

TEST(BeaconIngest, MessageAttestationSendsNothingTheCollectorWouldRefuse) {
  llmbench::server::MockServer target(quick(), {});
  target.start();
  TempDir dir;
  Collect c(dir, "f3dx-worker");
  const std::vector<std::string> env = {"XDG_CONFIG_HOME=" + dir.file("xdg"),
                                        "LLMBENCH_BEACON_URL=" + c.url};
  const std::string db = dir.file("runs.db");
  const auto r =
      run_llmbench({"--db", db, "run", dir.write("s.toml", suite(target.base_url(), 12, "message")),
                    "--no-report"},
                   env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("has no /v1/register, so it cannot check message attestation: these "
                       "beacons went with token attestation"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM beacon_outbox WHERE state = 'sent'"), 12);
  EXPECT_EQ(scalar(c.db, "SELECT COUNT(*) FROM beacons", true), 12);
  const auto status = run_llmbench({"--db", db, "beacon", "status"}, env);
  EXPECT_EQ(status.out.find("stopped"), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("refused"), std::string::npos) << status.out;
}

TEST(BeaconIngest, ForgetIsQueuedThereAndRotateWorksEvenWhenRefused) {
  llmbench::server::MockServer target(quick(), {});
  target.start();
  TempDir dir;
  Collect c(dir, "f3dx-worker");
  const std::vector<std::string> env = {"XDG_CONFIG_HOME=" + dir.file("xdg"),
                                        "LLMBENCH_BEACON_URL=" + c.url};
  const std::string db = dir.file("runs.db");
  const auto s = dir.write("s.toml", suite(target.base_url(), 5, "token"));
  ASSERT_EQ(run_llmbench({"--db", db, "run", s, "--no-report"}, env).exit_code, 0);
  // The public ingest only records a forget: the rows stay, and llmbench says so.
  const auto forget = run_llmbench({"--db", db, "beacon", "forget"}, env);
  EXPECT_EQ(forget.exit_code, 0) << forget.err;
  EXPECT_NE(forget.out.find("queued the request to forget install"), std::string::npos)
      << forget.out;
  EXPECT_NE(forget.out.find("it still accepts beacons under this id"), std::string::npos);
  EXPECT_EQ(scalar(c.db, "SELECT COUNT(*) FROM beacons", true), 5);
  // Now the identity is refused there (another token got pinned first: as after an older
  // llmbench pinned a message HMAC). forget --rotate still makes a new identity.
  const std::string install_path = dir.file("xdg/llmbench/install.json");
  const std::string before = slurp(install_path);
  std::smatch id;
  ASSERT_TRUE(std::regex_search(before, id, std::regex(R"re("install_id":"([0-9a-f-]{36})")re")));
  // A fresh collector that has this install pinned to someone else's token.
  TempDir dir2;
  Collect c2(dir2, "f3dx-worker");
  const std::string pin =
      R"({"schema_version":"v1","ts":"2026-11-27T03:00:00.000Z","install_id":")" + id[1].str() +
      R"(","install_hmac":")" + std::string(64, 'e') +
      R"(","model":"m","provider":"openai","status_code":200,"latency_ms_total":1,"input_tokens":1,"output_tokens":1})";
  ASSERT_EQ(llmbench::testing::http_exchange("POST", c2.url + "/v1/beacon", pin,
                                             {"Content-Type: application/json"})
                .status,
            202);
  const std::vector<std::string> env2 = {"XDG_CONFIG_HOME=" + dir.file("xdg"),
                                         "LLMBENCH_BEACON_URL=" + c2.url};
  const auto refused = run_llmbench({"--db", db, "beacon", "forget"}, env2);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(slurp(install_path), before) << "a refused forget without --rotate changes nothing";
  const auto rotated = run_llmbench({"--db", db, "beacon", "forget", "--rotate"}, env2);
  EXPECT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_NE(rotated.err.find("refused to forget install " + id[1].str()), std::string::npos)
      << rotated.err;
  EXPECT_NE(rotated.out.find("new install id"), std::string::npos) << rotated.out;
  EXPECT_EQ(slurp(install_path).find(id[1].str()), std::string::npos) << "rotated";
}
