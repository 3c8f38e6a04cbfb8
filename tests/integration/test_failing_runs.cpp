// Runs that measure nothing fail (issue 12): against a closed port, a server that answers 404
// or 401 to everything, and a suite with one dead target among live ones, `llmbench run`
// stores every row, writes the reports, marks the run `failed`, exits 3 and says why on
// stderr (the classes, their first messages, a hint). `[load] abort_after_errors` stops a
// target whose first requests all failed the same hard way, and only such a target.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "llmbench/store/database.hpp"
#include "support/files.hpp"
#include "support/run_binary.hpp"
#include "support/scripted_server.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::run_llmbench;
using llmbench::testing::ScriptedServer;
using llmbench::testing::slurp;
using llmbench::testing::TempDir;

namespace {

// A loopback port nobody listens on: bound, never listened on, so a connect is refused.
struct ClosedPort {
  ClosedPort() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~ClosedPort() { ::close(fd); }
  int fd = -1;
  std::uint16_t port = 0;
};

std::string target(const std::string& name, const std::string& base_url,
                   const std::string& extra = "") {
  return "[[targets]]\nname = \"" + name + "\"\nprovider = \"openai\"\nmodel = \"m\"\n" +
         "base_url = \"" + base_url + "\"\n" + extra;
}

struct Outcome {
  llmbench::testing::ProcessResult result;
  std::string status;
  std::int64_t rows = 0;
  std::string db;
  std::string out;
};

Outcome run(const TempDir& dir, const std::string& load, const std::string& targets,
            const std::vector<std::string>& env = {}) {
  const auto suite =
      dir.write("s.toml",
                "[suite]\nname = \"failing\"\n[load]\nmode = "
                "\"concurrency\"\nconcurrency = 1\n" +
                    load + "\n" + targets + "[[prompts]]\nid = \"p\"\nprompt = \"hi\"\n");
  Outcome o;
  o.db = dir.file("runs.db");
  o.out = dir.file("report");
  o.result = run_llmbench({"--db", o.db, "run", suite, "--out", o.out}, env);
  auto db = llmbench::store::Database::open(o.db);
  auto st = db.prepare("SELECT status, (SELECT COUNT(*) FROM requests) FROM runs");
  if (st.step()) {
    o.status = st.text(0);
    o.rows = st.int64(1);
  }
  return o;
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

TEST(FailingRuns, AClosedPortFailsTheRunWithTheClassAndAHint) {
  TempDir dir;
  ClosedPort closed;
  const auto o = run(dir, "requests = 30\nwarmup = 2",
                     target("nobody", "http://127.0.0.1:" + std::to_string(closed.port) + "/v1"));
  EXPECT_EQ(o.result.exit_code, 3) << o.result.err;
  EXPECT_EQ(o.status, "failed");
  // Stopped after the first 20 (warmup included), one at a time: exactly 20 rows, all stored.
  EXPECT_EQ(o.rows, 20);
  EXPECT_TRUE(has(o.result.err,
                  "target \"nobody\" stopped sending after its first 20 requests "
                  "all failed with connection"))
      << o.result.err;
  EXPECT_TRUE(has(o.result.err, "connection x20: Failed to connect")) << o.result.err;
  EXPECT_TRUE(has(o.result.err, "hint: is the server up on that port?")) << o.result.err;
  EXPECT_TRUE(has(o.result.err, "run failed: target \"nobody\" measured nothing"));
  EXPECT_TRUE(has(o.result.out, "run ")) << "the summary table is still printed";
  // The reports say the same: a Failures section, and the details in report.json.
  EXPECT_TRUE(has(slurp(o.out + "/report.md"), "## Failures"));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(slurp(o.out + "/report.json"))).get(doc),
            simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["context"]["status"]), "failed");
  EXPECT_EQ(std::string_view(doc["dead_targets"].at(0)), "nobody");
  simdjson::dom::element detail = doc["targets"].at(0)["errors_detail"].at(0);
  EXPECT_EQ(std::string_view(detail["error_class"]), "connection");
  EXPECT_EQ(int64_t(detail["requests"]), 20);
  EXPECT_NE(std::string(std::string_view(detail["hint"])).find("is the server up"),
            std::string::npos);
}

TEST(FailingRuns, AbortAfterErrorsZeroSendsTheWholeBudget) {
  TempDir dir;
  ClosedPort closed;
  const auto o = run(dir, "requests = 25\nabort_after_errors = 0",
                     target("nobody", "http://127.0.0.1:" + std::to_string(closed.port) + "/v1"));
  EXPECT_EQ(o.result.exit_code, 3) << o.result.err;
  EXPECT_EQ(o.rows, 25);
  EXPECT_FALSE(has(o.result.err, "stopped sending")) << o.result.err;
}

TEST(FailingRuns, A404OnEverythingAsksAboutV1) {
  TempDir dir;
  ScriptedServer server([](int) {
    return ScriptedServer::json_response(404, "Not Found",
                                         R"({"error":{"message":"no such route"}})");
  });
  const auto o = run(dir, "requests = 8", target("no-v1", server.url()));
  EXPECT_EQ(o.result.exit_code, 3) << o.result.err;
  EXPECT_EQ(o.status, "failed");
  EXPECT_EQ(o.rows, 8);
  EXPECT_EQ(server.served(), 8);
  EXPECT_TRUE(has(o.result.err, "http_4xx (HTTP 404) x8: HTTP 404: no such route")) << o.result.err;
  EXPECT_TRUE(has(o.result.err, "does base_url end in /v1")) << o.result.err;
}

TEST(FailingRuns, A401OnEverythingNamesTheKeyVariable) {
  TempDir dir;
  ScriptedServer server([](int) {
    return ScriptedServer::json_response(401, "Unauthorized",
                                         R"({"error":{"message":"Incorrect API key"}})");
  });
  const auto o = run(dir, "requests = 30",
                     target("bad-key", server.url() + "/v1", "api_key_env = \"FAILING_KEY\"\n"),
                     {"FAILING_KEY=sk-not-a-real-key-0123456789"});
  EXPECT_EQ(o.result.exit_code, 3) << o.result.err;
  EXPECT_EQ(o.status, "failed");
  EXPECT_EQ(o.rows, 20);
  EXPECT_EQ(server.served(), 20);
  EXPECT_TRUE(has(o.result.err, "all failed with HTTP 401")) << o.result.err;
  EXPECT_TRUE(has(o.result.err, "hint: is $FAILING_KEY the right key?")) << o.result.err;
}

TEST(FailingRuns, ATargetThatRecoversAfterFiveFailuresIsNotStopped) {
  TempDir dir;
  ScriptedServer server([](int n) {
    return n < 5 ? ScriptedServer::json_response(401, "Unauthorized", R"({"error":{}})")
                 : ScriptedServer::openai_stream();
  });
  const auto o =
      run(dir, "requests = 12\nabort_after_errors = 6", target("flaky", server.url() + "/v1"));
  EXPECT_EQ(o.result.exit_code, 0) << o.result.err;
  EXPECT_EQ(o.status, "completed");
  EXPECT_EQ(o.rows, 12);
  EXPECT_EQ(server.served(), 12);
  EXPECT_FALSE(has(o.result.err, "stopped sending")) << o.result.err;
  // Partial errors are explained, not fatal.
  EXPECT_TRUE(has(o.result.err, "target \"flaky\": 5 of 12 requests failed")) << o.result.err;
}

TEST(FailingRuns, OneDeadTargetAmongLiveOnesFailsTheRunAndKeepsTheLiveOne) {
  TempDir dir;
  ClosedPort closed;
  const auto o = run(dir, "requests = 6\norder = \"interleaved\"",
                     "[[targets]]\nname = \"live\"\nprovider = \"mock\"\nmodel = \"m\"\n"
                     "mock = { ttft = \"1ms\", itl = \"1ms\", output_tokens = 4 }\n" +
                         target("dead", "http://127.0.0.1:" + std::to_string(closed.port) + "/v1"));
  EXPECT_EQ(o.result.exit_code, 3) << o.result.err;
  EXPECT_EQ(o.status, "failed");
  EXPECT_EQ(o.rows, 12);
  EXPECT_TRUE(has(o.result.err, "run failed: target \"dead\" measured nothing"));
  EXPECT_FALSE(has(o.result.err, "target \"live\":")) << o.result.err;
  auto db = llmbench::store::Database::open(o.db);
  auto st =
      db.prepare("SELECT COUNT(*) FROM requests WHERE target = 'live' AND error_class IS NULL");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), 6);
  EXPECT_TRUE(has(o.result.out, "live ")) << o.result.out;
  auto hist = db.prepare("SELECT COUNT(*) FROM histograms WHERE target = 'live'");
  ASSERT_TRUE(hist.step());
  EXPECT_GT(hist.int64(0), 0);
}
