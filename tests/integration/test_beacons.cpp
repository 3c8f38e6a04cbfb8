// Beacons end to end: the real binary, a real collector (in this process, or as
// `llmbench collect`), and what reached it.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <thread>

#include "llmbench/beacon/collector.hpp"
#include "llmbench/server/mock_profile.hpp"
#include "llmbench/server/mock_server.hpp"
#include "llmbench/store/database.hpp"
#include "support/background_process.hpp"
#include "support/files.hpp"
#include "support/http_client.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::beacon::Collector;
using llmbench::beacon::CollectorOptions;
using llmbench::store::Database;
using llmbench::testing::BackgroundProcess;
using llmbench::testing::run_llmbench;
using llmbench::testing::slurp;
using llmbench::testing::TempDir;

namespace {

llmbench::server::MockProfile quick() {
  llmbench::server::MockProfile p;
  p.ttft = llmbench::server::Distribution::fixed(1e6);
  p.itl = llmbench::server::Distribution::fixed(0.2e6);
  p.output_tokens = llmbench::server::Distribution::fixed(5);
  return p;
}

// A loopback target that may be beaconed (beacon = true), plus a mock target that never is.
std::string suite_text(const std::string& name, const std::string& target,
                       const std::string& base_url, int requests,
                       const std::string& prompt = "Say hello.", const std::string& extra = "") {
  return R"([suite]
name = ")" +
         name +
         R"("
[load]
mode = "concurrency"
concurrency = 2
requests = )" +
         std::to_string(requests) +
         R"(
warmup = 1
[[targets]]
name = ")" +
         target +
         R"("
provider = "openai"
model = "gpt-4o-mini"
base_url = ")" +
         base_url +
         R"("
region = "eu-west-1"
beacon = true
headers = { x-request-note = ")" +
         name +
         R"(" }
[[targets]]
name = "synthetic"
provider = "mock"
[[prompts]]
id = "p"
messages = [{ role = "user", content = ")" +
         prompt +
         R"(" }]
)" + extra;
}

std::int64_t count(const std::string& db_path, const std::string& sql, bool raw = false) {
  llmbench::store::OpenOptions o;
  o.run_schema = !raw;
  auto db = Database::open(db_path, o);
  auto st = db.prepare(sql);
  st.step();
  return st.int64(0);
}

std::string ingest_suite(const std::string& base_url, int requests,
                         const std::string& attestation) {
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

struct Collect {
  std::string db;
  std::unique_ptr<BackgroundProcess> process;
  std::string url;
  Collect(const TempDir& dir, const std::string& compat, const std::string& attestation = "token")
      : db(dir.file("collector.db")) {
    process = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{"collect", "--port", "0", "--db", db, "--window", "1s", "--compat",
                                 compat, "--attestation", attestation});
    std::smatch m;
    const std::string line = process->first_line();
    if (std::regex_search(line, m, std::regex(R"((http://127\.0\.0\.1:\d+))"))) {
      url = m[1].str();
    }
  }
};

}  // namespace

TEST(Beacons, NoTextHeaderUrlTagOrNameReachesTheCollector) {
  const std::string marker = "mrk7f3a9c";
  TempDir dir;
  const std::string cache = dir.file("cache.db");
  const std::string runs = dir.file("runs.db");
  // A response that carries the marker: record one, plant the marker in its text, and serve
  // it with `llmbench mock --from-cache`.
  {
    llmbench::server::MockServer origin(quick(), {});
    origin.start();
    const auto rec = dir.write(
        "rec.toml", suite_text("rec", "t", origin.base_url(), 2, "Tell me about " + marker + "."));
    ASSERT_EQ(run_llmbench({"--db", runs, "run", rec, "--no-report", "--cache-mode", "record",
                            "--cache", cache})
                  .exit_code,
              0);
    llmbench::store::OpenOptions raw;
    raw.run_schema = false;
    auto db = Database::open(cache, raw);
    db.exec("UPDATE responses SET events_json = replace(events_json, ' quick', ' " + marker +
            "'), body = replace(body, ' quick', ' " + marker + "')");
    ASSERT_GT(db.changes(), 0);  // the recorded text had " quick" to replace
  }
  llmbench::testing::BackgroundProcess replica(
      {"mock", "--port", "0", "--threads", "1", "--from-cache", cache});
  std::smatch m;
  const std::string line = replica.first_line();
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(127\.0\.0\.1:(\d+) )"))) << line;
  // The marker in the URL (a host name under .localhost, which curl sends to loopback), the
  // target name, a header, the suite name, the prompt, the tags; the response text has it too.
  const std::string url = "http://" + marker + ".localhost:" + m[1].str() + "/v1";
  CollectorOptions co;
  co.db_path = dir.file("collector.db");
  Collector collector(co);
  collector.start();
  const auto suite = dir.write("s.toml", suite_text("suite-" + marker, "target-" + marker, url, 6,
                                                    "Tell me about " + marker + "."));
  const auto r = run_llmbench({"--db", runs, "run", suite, "--out", dir.file("report"), "--tag",
                               "note=" + marker, "--beacon", "--beacon-url", collector.base_url()},
                              {"XDG_CONFIG_HOME=" + dir.file("xdg")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("beacons: 6 sent"), std::string::npos) << r.err;
  // Every request got the planted response (a miss at the replica would be a 404, beaconed
  // as an error, and the response leg of this test would test nothing).
  EXPECT_EQ(count(runs, "SELECT COUNT(*) FROM requests WHERE target = 'target-" + marker +
                            "' AND error_class IS NULL AND content_events > 0"),
            7);
  collector.stop();
  // The run saw the marker (so it was there to leak)...
  EXPECT_NE(slurp(dir.file("report") + "/report.md").find(marker), std::string::npos);
  // ...and the collector received six beacons, none of which carries it: not in any stored
  // beacon as received, not anywhere in the collector's database file.
  EXPECT_EQ(count(co.db_path, "SELECT COUNT(*) FROM beacons", true), 6);
  EXPECT_EQ(count(co.db_path,
                  "SELECT COUNT(*) FROM beacons WHERE body LIKE '%" + marker +
                      "%' OR model "
                      "LIKE '%" +
                      marker + "%'",
                  true),
            0);
  for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
    if (f.path().filename().string().starts_with("collector.db")) {
      EXPECT_EQ(slurp(f.path().string()).find(marker), std::string::npos) << f.path();
    }
  }
  // Warmup and the mock target were left out; the rest are eligible requests only.
  EXPECT_EQ(count(co.db_path,
                  "SELECT COUNT(*) FROM beacons WHERE provider = 'other' AND "
                  "region = 'eu-west-1' AND model = 'gpt-4o-mini'",
                  true),
            6);
  replica.stop(SIGTERM);
}

TEST(Beacons, OptedOutMeansNoConnectionAtAll) {
  llmbench::server::MockServer target(quick(), {});
  target.start();
  TempDir dir;
  CollectorOptions co;
  co.db_path = dir.file("collector.db");
  Collector collector(co);
  collector.start();
  const auto suite = dir.write("s.toml", suite_text("s", "t", target.base_url(), 4));
  const std::string xdg = "XDG_CONFIG_HOME=" + dir.file("xdg");
  const std::string endpoint = "LLMBENCH_BEACON_URL=" + collector.base_url();
  // Never asked: nothing.
  auto r =
      run_llmbench({"--db", dir.file("runs.db"), "run", suite, "--no-report"}, {xdg, endpoint});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("beacons"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("xdg/llmbench/install.json")));
  // Opted out, with the opt-in variable still set: nothing either.
  ASSERT_EQ(run_llmbench({"--db", dir.file("runs.db"), "beacon", "optout"}, {xdg}).exit_code, 0);
  r = run_llmbench({"--db", dir.file("runs.db"), "run", suite, "--no-report"},
                   {xdg, endpoint, "LLMBENCH_BEACON_OPTIN=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(collector.requests(), 0u);
  EXPECT_EQ(count(dir.file("runs.db"), "SELECT COUNT(*) FROM beacon_outbox"), 0);
  // The variable alone (no opt-out marker) does opt in; so does F3DX_BENCH_OPTIN.
  std::filesystem::remove(dir.file("xdg/llmbench/beacon-optout"));
  r = run_llmbench({"--db", dir.file("runs.db"), "run", suite, "--no-report"},
                   {xdg, endpoint, "F3DX_BENCH_OPTIN=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(collector.requests(), 0u);
  EXPECT_EQ(count(co.db_path, "SELECT COUNT(*) FROM beacons", true), 4);
}

TEST(Beacons, SigkillBetweenEnqueueAndSendLosesNothing) {
  llmbench::server::MockServer target(quick(), {});
  target.start();
  TempDir dir;
  // A collector that accepts connections and never answers: the sender hangs in its POST.
  const int hole = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(hole, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(hole, 16), 0);
  socklen_t len = sizeof addr;
  ::getsockname(hole, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string black_hole = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  const auto suite = dir.write("s.toml", suite_text("s", "t", target.base_url(), 8));
  const std::string runs = dir.file("runs.db");
  setenv("XDG_CONFIG_HOME", dir.file("xdg").c_str(), 1);
  llmbench::testing::BackgroundProcess run({"--db", runs, "run", suite, "--no-report", "--beacon",
                                            "--beacon-url", black_hole, "--beacon-wait", "60s"});
  // Wait until the run's rows and beacons are committed, then kill it mid-send.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < until) {
    if (std::filesystem::exists(runs) && count(runs, "SELECT COUNT(*) FROM beacon_outbox") == 8) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // into the POST
  run.stop(SIGKILL);
  ::close(hole);
  EXPECT_EQ(count(runs, "SELECT COUNT(*) FROM beacon_outbox WHERE state = 'queued'"), 8);
  EXPECT_EQ(count(runs, "SELECT COUNT(*) FROM requests WHERE warmup = 0 AND target = 't'"), 8);
  // The next send delivers every one of them, once.
  CollectorOptions co;
  co.db_path = dir.file("collector.db");
  Collector collector(co);
  collector.start();
  const auto sent =
      run_llmbench({"--db", runs, "beacon", "send", "--beacon-url", collector.base_url()},
                   {"XDG_CONFIG_HOME=" + dir.file("xdg")});
  unsetenv("XDG_CONFIG_HOME");
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_NE(sent.out.find("sent 8, dropped 0, 0 left queued"), std::string::npos) << sent.out;
  // (Two beacons can be byte-identical: same millisecond, same latency. Count rows.)
  EXPECT_EQ(count(co.db_path, "SELECT COUNT(*) FROM beacons", true), 8);
  EXPECT_EQ(count(runs, "SELECT COUNT(*) FROM beacon_outbox WHERE state = 'sent'"), 8);
}

TEST(Beacons, BothAttestationModesAgainstLlmbenchCollectIncludingForget) {
  llmbench::server::MockServer target(quick(), {});
  target.start();
  for (const std::string mode : {"token", "message"}) {
    SCOPED_TRACE(mode);
    TempDir dir;
    const std::string cdb = dir.file("collector.db");
    llmbench::testing::BackgroundProcess collect(
        {"collect", "--port", "0", "--db", cdb, "--attestation", mode});
    std::smatch m;
    const std::string line = collect.first_line();
    ASSERT_TRUE(std::regex_search(line, m, std::regex(R"((http://127\.0\.0\.1:\d+))"))) << line;
    const std::string url = m[1].str();
    const std::vector<std::string> env = {"XDG_CONFIG_HOME=" + dir.file("xdg"),
                                          "LLMBENCH_BEACON_URL=" + url};
    const auto suite = dir.write(
        "s.toml", suite_text("s", "t", target.base_url(), 5, "Hi",
                             "[beacon]\nenabled = true\nattestation = \"" + mode + "\"\n"));
    const std::string runs = dir.file("runs.db");
    const auto r = run_llmbench({"--db", runs, "run", suite, "--no-report"}, env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("beacons: 5 sent"), std::string::npos) << r.err;
    EXPECT_EQ(count(cdb, "SELECT COUNT(*) FROM beacons", true), 5);
    // status never shows the secrets in full, unless asked.
    const auto install = slurp(dir.file("xdg/llmbench/install.json"));
    std::smatch t;
    ASSERT_TRUE(
        std::regex_search(install, t, std::regex(R"re("install_hmac":"([0-9a-f]{64})")re")));
    const auto status = run_llmbench({"--db", runs, "beacon", "status"}, env);
    EXPECT_EQ(status.out.find(t[1].str()), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("5 sent"), std::string::npos) << status.out;
    EXPECT_NE(
        run_llmbench({"--db", runs, "beacon", "status", "--show-secret"}, env).out.find(t[1].str()),
        std::string::npos);
    // Forget: the collector deletes this install's beacons.
    const auto forget = run_llmbench({"--db", runs, "beacon", "forget"}, env);
    EXPECT_EQ(forget.exit_code, 0) << forget.err << forget.out;
    EXPECT_EQ(count(cdb, "SELECT COUNT(*) FROM beacons", true), 0);
    EXPECT_EQ(collect.stop(SIGTERM).first, 0);
  }
}

TEST(Beacons, PreviewPrintsWhatWouldBeSent) {
  llmbench::server::MockServer target(quick(), {});
  target.start();
  TempDir dir;
  const std::vector<std::string> env = {"XDG_CONFIG_HOME=" + dir.file("xdg"),
                                        "LLMBENCH_BEACON_URL=http://127.0.0.1:9"};
  const auto suite = dir.write("s.toml", suite_text("s", "t", target.base_url(), 3));
  const std::string runs = dir.file("runs.db");
  const auto r = run_llmbench(
      {"--db", runs, "run", suite, "--no-report", "--beacon", "--beacon-wait", "0s"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("beacons are on (you opted in)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 queued for later"), std::string::npos) << r.err;
  const auto p = run_llmbench({"--db", runs, "beacon", "preview", "latest"}, env);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  std::istringstream lines(p.out);
  std::string one;
  int n = 0;
  while (std::getline(lines, one)) {
    ++n;
    EXPECT_TRUE(one.starts_with(R"({"schema_version":"v1","ts":")")) << one;
  }
  EXPECT_EQ(n, 3);
  // The second run does not print the first-time notice again.
  const auto again = run_llmbench(
      {"--db", runs, "run", suite, "--no-report", "--beacon", "--beacon-wait", "0s"}, env);
  EXPECT_EQ(again.err.find("you opted in"), std::string::npos);
  EXPECT_NE(again.err.find("6 queued for later"), std::string::npos) << again.err;
}

TEST(Beacons, AnInterruptedRunKeepsItsBeaconsQueuedAndDoesNotWait) {
  llmbench::server::MockServer target(quick(), {});
  target.start();
  TempDir dir;
  CollectorOptions co;
  co.db_path = dir.file("collector.db");
  Collector collector(co);
  collector.start();
  // Many requests, so the run is still going when it is interrupted.
  const auto suite = dir.write("s.toml", suite_text("s", "t", target.base_url(), 1'000'000));
  const std::string runs = dir.file("runs.db");
  setenv("XDG_CONFIG_HOME", dir.file("xdg").c_str(), 1);
  llmbench::testing::BackgroundProcess run({"--db", runs, "run", suite, "--no-report", "--beacon",
                                            "--beacon-url", collector.base_url()});
  unsetenv("XDG_CONFIG_HOME");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (
      std::chrono::steady_clock::now() < until &&
      (!std::filesystem::exists(runs) || count(runs, "SELECT COUNT(*) FROM beacon_outbox") < 20)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto [code, output] = run.stop(SIGINT);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(8));
  EXPECT_EQ(code, 130) << output;
  EXPECT_NE(output.find("queued, sent with the next run"), std::string::npos) << output;
  EXPECT_EQ(collector.requests(), 0u);
  // Every measured request that finished has its beacon queued.
  EXPECT_EQ(count(runs, "SELECT COUNT(*) FROM beacon_outbox WHERE state = 'queued'"),
            count(runs,
                  "SELECT COUNT(*) FROM requests WHERE target = 't' AND warmup = 0 AND "
                  "error_class IS NULL"));
  EXPECT_GT(count(runs, "SELECT COUNT(*) FROM beacon_outbox"), 0);
}

// -- against the public ingest's semantics ---------------------------------------------------
// `collect --compat f3dx-worker` stores beacon by beacon, answers a 429 with no count, has no
// /v1/register, pins tokens and only queues forgets. Two databases and two processes sharing
// one identity deliver every beacon exactly once under the per-install limit (against both
// collectors); message attestation never sends what the collector would refuse; `forget
// --rotate` rotates after a refused forget.

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
    const auto s = dir.write("s.toml", ingest_suite(target.base_url(), 150, "token"));
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
    EXPECT_EQ(count(a, sent_sql) + count(b, sent_sql), 300);
    EXPECT_EQ(count(a, other_sql) + count(b, other_sql), 0);
    // Exactly 300 rows at the collector: one more would be a beacon stored twice.
    EXPECT_EQ(count(c.db, "SELECT COUNT(*) FROM beacons", true), 300);
    EXPECT_EQ(c.process->stop(SIGTERM).first, 0);
  }
}

TEST(BeaconIngest, MessageAttestationSendsNothingTheCollectorWouldRefuse) {
  llmbench::server::MockServer target(quick(), {});
  target.start();
  for (const std::string compat : {"f3dx-worker", "llmbench"}) {
    SCOPED_TRACE(compat);
    const bool worker = compat == "f3dx-worker";
    TempDir dir;
    Collect c(dir, compat, worker ? "token" : "message");
    const std::vector<std::string> env = {"XDG_CONFIG_HOME=" + dir.file("xdg"),
                                          "LLMBENCH_BEACON_URL=" + c.url};
    const std::string db = dir.file("runs.db");
    const auto r = run_llmbench(
        {"--db", db, "run", dir.write("s.toml", ingest_suite(target.base_url(), 12, "message")),
         "--no-report"},
        env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Without /v1/register the beacons go with the token, and the user is told; with it,
    // message attestation works as asked.
    EXPECT_EQ(r.err.find("has no /v1/register, so it cannot check message attestation: these "
                         "beacons went with token attestation") != std::string::npos,
              worker)
        << r.err;
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM beacon_outbox WHERE state = 'sent'"), 12);
    EXPECT_EQ(count(c.db, "SELECT COUNT(*) FROM beacons", true), 12);
    const auto status = run_llmbench({"--db", db, "beacon", "status"}, env);
    EXPECT_EQ(status.out.find("stopped"), std::string::npos) << status.out;
    EXPECT_EQ(status.out.find("refused"), std::string::npos) << status.out;
    EXPECT_EQ(c.process->stop(SIGTERM).first, 0);
  }
}

TEST(BeaconIngest, ForgetIsQueuedThereAndRotateWorksEvenWhenRefused) {
  llmbench::server::MockServer target(quick(), {});
  target.start();
  for (const std::string compat : {"f3dx-worker", "llmbench"}) {
    SCOPED_TRACE(compat);
    const bool worker = compat == "f3dx-worker";
    TempDir dir;
    Collect c(dir, compat);
    const std::vector<std::string> env = {"XDG_CONFIG_HOME=" + dir.file("xdg"),
                                          "LLMBENCH_BEACON_URL=" + c.url};
    const std::string db = dir.file("runs.db");
    const auto s = dir.write("s.toml", ingest_suite(target.base_url(), 5, "token"));
    ASSERT_EQ(run_llmbench({"--db", db, "run", s, "--no-report"}, env).exit_code, 0);
    // The public ingest only records a forget: the rows stay, and llmbench says so; llmbench
    // collect deletes them and says how many.
    const auto forget = run_llmbench({"--db", db, "beacon", "forget"}, env);
    EXPECT_EQ(forget.exit_code, 0) << forget.err;
    if (worker) {
      EXPECT_NE(forget.out.find("queued the request to forget install"), std::string::npos)
          << forget.out;
      EXPECT_NE(forget.out.find("it still accepts beacons under this id"), std::string::npos);
      EXPECT_EQ(count(c.db, "SELECT COUNT(*) FROM beacons", true), 5);
    } else {
      EXPECT_NE(forget.out.find("deleted the 5 beacons of install"), std::string::npos)
          << forget.out;
      EXPECT_EQ(count(c.db, "SELECT COUNT(*) FROM beacons", true), 0);
    }
    // Now the identity is refused there (another token got pinned first: as after an older
    // llmbench pinned a message HMAC). forget --rotate still makes a new identity.
    const std::string install_path = dir.file("xdg/llmbench/install.json");
    const std::string before = slurp(install_path);
    std::smatch id;
    ASSERT_TRUE(std::regex_search(before, id, std::regex(R"re("install_id":"([0-9a-f-]{36})")re")));
    // A fresh collector that has this install pinned to someone else's token.
    TempDir dir2;
    Collect c2(dir2, compat);
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
}
