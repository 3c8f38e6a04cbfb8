// `llmbench serve` running suites: submissions in every form, validation (422 with places),
// the untrusted-suite rules (secrets, paths, mock-only), the queue and its workers, cancel and
// delete, SIGTERM drain, restarts, CORS, the token cookie, and hostile clients. Real sockets,
// real runs against the in-process mock; the service in process or as the real binary.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "llmbench/server/serve_server.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/store/runs.hpp"
#include "support/background_process.hpp"
#include "support/files.hpp"
#include "support/http_client.hpp"
#include "support/raw_socket.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench;
namespace lt = llmbench::testing;
using namespace std::chrono_literals;

namespace {

// A mock suite: `requests` requests one at a time, each about `ttft` + 4 x `itl` long.
std::string mock_suite(const std::string& name, int requests, const std::string& ttft = "2ms",
                       const std::string& itl = "1ms") {
  return "[suite]\nname = \"" + name +
         "\"\n[load]\nmode = \"concurrency\"\nconcurrency = 1\nrequests = " +
         std::to_string(requests) +
         "\n[[targets]]\nname = \"m\"\nprovider = \"mock\"\nmock = { ttft = \"" + ttft +
         "\", itl = \"" + itl +
         "\", output_tokens = 4 }\n"
         "[[prompts]]\nid = \"a\"\nmessages = [{ role = \"user\", content = \"hi\" }]\n";
}

std::string json_str(const std::string& body, const char* key) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(body).get(doc) != simdjson::SUCCESS) {
    return "";
  }
  std::string_view v;
  return doc[key].get_string().get(v) == simdjson::SUCCESS ? std::string(v) : "";
}

class ServeRuns : public ::testing::Test {
 protected:
  void start(const std::function<void(server::ServeOptions&)>& tune = {}) {
    server::ServeOptions o;
    o.db_path = m_db;
    o.port = 0;
    o.threads = 2;
    o.run_grace = 200ms;
    if (tune) {
      tune(o);
    }
    m_serve.reset();
    m_serve = std::make_unique<server::ServeServer>(o);
    m_serve->start();
  }

  lt::RawResponse call(const std::string& method, const std::string& path,
                       const std::string& body = "", std::vector<std::string> headers = {}) {
    return lt::http_exchange(method, m_serve->base_url() + path, body, headers);
  }
  lt::RawResponse post_toml(const std::string& toml, const std::string& query = "") {
    return call("POST", "/api/v1/runs" + query, toml, {"Content-Type: application/toml"});
  }
  lt::RawResponse post_json(const std::string& json) {
    return call("POST", "/api/v1/runs", json, {"Content-Type: application/json"});
  }
  std::string status(const std::string& id) {
    return json_str(call("GET", "/api/v1/runs/" + id + "/progress").body, "status");
  }
  // Polls until the run's status is one of `want` (or the time is up); returns the last seen.
  std::string wait_for(const std::string& id, const std::set<std::string>& want,
                       std::chrono::milliseconds limit = 20s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    std::string s;
    while (std::chrono::steady_clock::now() < until) {
      s = status(id);
      if (want.count(s) != 0) {
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    return s;
  }
  std::int64_t stored_rows(const std::string& id) {
    auto db = store::Database::open(m_db);
    auto st = db.prepare("SELECT COUNT(*) FROM requests WHERE run_id = ?1");
    st.bind(1, id);
    st.step();
    return st.int64(0);
  }

  lt::TempDir m_dir;
  std::string m_db = m_dir.file("serve.db");
  std::unique_ptr<server::ServeServer> m_serve;
};

}  // namespace

TEST_F(ServeRuns, TomlJsonAndTheShortFormAreQueuedRunAndReported) {
  start();
  auto r = post_toml(mock_suite("toml-suite", 5), "?tag=branch%3Dmain&tag=ci%3D1");
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string a = json_str(r.body, "id");
  EXPECT_EQ(lt::header_value(r, "location"), "/api/v1/runs/" + a);
  EXPECT_EQ(json_str(r.body, "status"), "queued");
  // The same suite as JSON.
  r = post_json(R"({"suite": {"name": "json-suite"},
    "load": {"mode": "concurrency", "concurrency": 1, "requests": 4},
    "targets": [{"name": "m", "provider": "mock",
                 "mock": {"ttft": "2ms", "itl": "1ms", "output_tokens": 4}}],
    "prompts": [{"id": "a", "messages": [{"role": "user", "content": "hi"}]}]})");
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string b = json_str(r.body, "id");
  // The short form: one target, plain prompts, one request per prompt by default.
  r = post_json(R"({"name": "short", "target": {"provider": "mock", "mock": {"ttft": "1ms"}},
                    "model": "tiny", "prompts": ["one", "two", "three"]})");
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string c = json_str(r.body, "id");
  for (const auto& [id, rows] : std::vector<std::pair<std::string, int>>{{a, 5}, {b, 4}, {c, 3}}) {
    EXPECT_EQ(wait_for(id, {"completed", "failed"}), "completed") << id;
    EXPECT_EQ(stored_rows(id), rows) << id;
  }
  simdjson::dom::parser p;
  r = call("GET", "/api/v1/runs/" + a);
  auto doc = p.parse(r.body).value();
  EXPECT_EQ(doc["suite"].get_string().value(), "toml-suite");
  EXPECT_EQ(doc["tags"]["branch"].get_string().value(), "main");
  EXPECT_EQ(doc["report"]["targets"].at(0)["requests"].get_int64().value(), 5);
  r = call("GET", "/api/v1/runs/" + c);
  doc = p.parse(r.body).value();
  EXPECT_EQ(doc["report"]["targets"].at(0)["model"].get_string().value(), "tiny");
  r = call("GET", "/api/v1/runs?tag=ci%3D1");
  EXPECT_EQ(p.parse(r.body).value()["runs"].get_array().size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/runs/" + a + "/report.md").status, 200);
  // The CLI reads the same history.
  const auto cli = lt::run_llmbench({"--db", m_db, "report", a, "--out", "-", "--format", "md"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
}

TEST_F(ServeRuns, BadSuitesGetLocatedErrorsAndNothingIsQueued) {
  start();
  auto r = post_toml("[suite]\nname = \"x\"\n[load]\nmode = \"sideways\"\n");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_NE(lt::header_value(r, "content-type").find("application/problem+json"),
            std::string::npos);
  EXPECT_NE(r.body.find(R"("text":"submitted.toml:4:8: )"), std::string::npos) << r.body;
  // A JSON body's places refer to its TOML form, which comes back with the errors.
  r = post_json(R"({"suite": {"name": "x"}, "load": {"mode": "concurrency", "requests": 1},
                    "targets": [{"name": "m", "provider": "mock", "colour": "red"}],
                    "prompts": [{"id": "a", "prompt": "hi"}]})");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("colour"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("suite_toml":)"), std::string::npos) << r.body;
  EXPECT_EQ(post_json("{not json").status, 400);
  EXPECT_EQ(post_json("[1, 2]").status, 400);
  EXPECT_EQ(post_json(R"({"target": {"provider": "mock"}, "prompts": [1]})").status, 400);
  EXPECT_EQ(post_json(R"({"target": {"provider": "mock"}, "prompts": ["a"], "extra": 1})").status,
            400);
  r = call("POST", "/api/v1/runs", mock_suite("x", 1), {"Content-Type: text/plain"});
  EXPECT_EQ(r.status, 415) << r.body;
  EXPECT_EQ(post_toml(mock_suite("x", 1), "?tag=novalue").status, 400);
  // Bigger than the body limit (1 MiB by default): 413, and the service goes on.
  r = post_toml(std::string(2u << 20, '#'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(call("GET", "/health").status, 200);
  r = call("GET", "/api/v1/runs");
  EXPECT_NE(r.body.find(R"("runs":[])"), std::string::npos) << r.body;
}

// A submitted suite must not be able to send a secret of the service's environment anywhere:
// names outside --allow-key-env are refused, in api_key_env and in ${...} alike, and the
// planted value appears in no answer, no log line and not in the database file.
TEST_F(ServeRuns, APlantedSecretNeverLeaves) {
  const std::string secret = "planted-secret-8c2f1e9a7b";
  ::setenv("LLMBENCH_TEST_PLANTED_SECRET", secret.c_str(), 1);
  ::setenv("LLMBENCH_TEST_ALLOWED", "sk-allowed-but-mock", 1);
  std::string log;
  std::mutex log_mu;
  start([&](server::ServeOptions& o) {
    o.rules.allowed_env = {"LLMBENCH_TEST_ALLOWED"};
    o.log = [&](const std::string& line) {
      std::lock_guard lock(log_mu);
      log += line + "\n";
    };
  });
  std::vector<lt::RawResponse> answers;
  const auto target = [](const std::string& extra) {
    return "[suite]\nname = \"exfil\"\n[load]\nmode = \"concurrency\"\nrequests = 1\n"
           "[[targets]]\nname = \"t\"\nprovider = \"openai\"\nmodel = \"m\"\n" +
           extra + "\n[[prompts]]\nid = \"a\"\nprompt = \"hi\"\n";
  };
  answers.push_back(
      post_toml(target("api_key_env = \"LLMBENCH_TEST_PLANTED_SECRET\"\n"
                       "base_url = \"http://127.0.0.1:9/v1\"")));
  EXPECT_EQ(answers.back().status, 422);
  EXPECT_NE(answers.back().body.find("api_key_env LLMBENCH_TEST_PLANTED_SECRET is not a variable "
                                     "this service lets suites use (allowed: "
                                     "LLMBENCH_TEST_ALLOWED"),
            std::string::npos)
      << answers.back().body;
  answers.push_back(
      post_toml(target("api_key_env = \"LLMBENCH_TEST_ALLOWED\"\nbase_url = "
                       "\"http://127.0.0.1:9/${LLMBENCH_TEST_PLANTED_SECRET}\"")));
  EXPECT_EQ(answers.back().status, 422);
  answers.push_back(post_json(R"({"target": {"provider": "openai", "model": "m",
      "api_key_env": "LLMBENCH_TEST_PLANTED_SECRET", "base_url": "http://127.0.0.1:9/v1"},
      "prompts": ["hi"]})"));
  EXPECT_EQ(answers.back().status, 422);
  // A mock run with an allowed key is accepted and runs.
  answers.push_back(post_toml(mock_suite("fine", 2)));
  ASSERT_EQ(answers.back().status, 202);
  const std::string id = json_str(answers.back().body, "id");
  EXPECT_EQ(wait_for(id, {"completed"}), "completed");
  for (const char* path : {"/api/v1/runs", "/metrics", "/", "/compare"}) {
    answers.push_back(call("GET", path));
  }
  answers.push_back(call("GET", "/api/v1/runs/" + id));
  answers.push_back(call("GET", "/api/v1/runs/" + id + "/requests"));
  for (const auto& a : answers) {
    EXPECT_EQ(a.body.find(secret), std::string::npos) << a.body.substr(0, 400);
    EXPECT_EQ(a.headers.find(secret), std::string::npos);
  }
  m_serve.reset();
  EXPECT_EQ(log.find(secret), std::string::npos) << log;
  for (const auto& entry : std::filesystem::directory_iterator(m_dir.path())) {
    EXPECT_EQ(lt::slurp(entry.path().string()).find(secret), std::string::npos) << entry.path();
  }
  ::unsetenv("LLMBENCH_TEST_PLANTED_SECRET");
  ::unsetenv("LLMBENCH_TEST_ALLOWED");
}

TEST_F(ServeRuns, PromptFilesResolveOnlyUnderTheDataFolder) {
  const std::string data = m_dir.file("data");
  std::filesystem::create_directories(data + "/sets");
  m_dir.write("data/sets/p.jsonl",
              "{\"id\": \"x\", \"prompt\": \"one\"}\n{\"id\": \"y\", \"prompt\": \"two\"}\n");
  m_dir.write("private.jsonl", "{\"id\": \"z\", \"prompt\": \"private\"}\n");
  std::filesystem::create_symlink(m_dir.file("private.jsonl"), data + "/link.jsonl");
  const auto with_file = [](const std::string& file) {
    return "[suite]\nname = \"files\"\n[load]\nmode = \"concurrency\"\nrequests = 2\n"
           "[[targets]]\nname = \"m\"\nprovider = \"mock\"\n[[prompts]]\nfile = \"" +
           file + "\"\n";
  };
  start([&](server::ServeOptions& o) { o.rules.data_dir = data; });
  auto r = post_toml(with_file("sets/p.jsonl"));
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string id = json_str(r.body, "id");
  EXPECT_EQ(wait_for(id, {"completed"}), "completed");
  for (const std::string& bad : {std::string("../private.jsonl"), m_dir.file("private.jsonl"),
                                 std::string("sets/../../private.jsonl"), std::string("link.jsonl"),
                                 std::string("/etc/passwd")}) {
    r = post_toml(with_file(bad));
    EXPECT_EQ(r.status, 422) << bad;
    EXPECT_NE(r.body.find("outside the service's data folder"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("private\""), std::string::npos);
  }
  // Without --data-dir no file is read at all.
  start();
  r = post_toml(with_file("sets/p.jsonl"));
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("this service reads no prompt files"), std::string::npos) << r.body;
}

TEST_F(ServeRuns, MockOnlyRefusesRealProviders) {
  ::setenv("LLMBENCH_TEST_ALLOWED", "sk-x", 1);
  start([](server::ServeOptions& o) {
    o.rules.mock_only = true;
    o.rules.allowed_env = {"LLMBENCH_TEST_ALLOWED"};
  });
  auto r = post_json(R"({"target": {"provider": "openai", "model": "gpt",
      "api_key_env": "LLMBENCH_TEST_ALLOWED"}, "prompts": ["hi"]})");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("this service runs mock targets only (--mock-only)"), std::string::npos)
      << r.body;
  EXPECT_EQ(post_toml(mock_suite("ok", 1)).status, 202);
  ::unsetenv("LLMBENCH_TEST_ALLOWED");
}

// One worker: the second run waits; cancelling it while queued is immediate, cancelling the
// running one keeps what finished; a finished run is deleted with its rows.
TEST_F(ServeRuns, CancelQueuedAndRunningRunsThenDeleteThem) {
  start([](server::ServeOptions& o) { o.max_concurrent_runs = 1; });
  const std::string a = json_str(post_toml(mock_suite("long", 2000, "5ms", "1ms")).body, "id");
  const std::string b = json_str(post_toml(mock_suite("waiting", 3)).body, "id");
  ASSERT_EQ(wait_for(a, {"running"}), "running");
  // Wait for some rows, so there is something to keep.
  for (int i = 0; i < 400 && stored_rows(a) < 5; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(status(b), "queued");
  simdjson::dom::parser p;
  std::string progress;
  for (int i = 0; i < 200; ++i) {  // progress comes every 500 ms
    progress = call("GET", "/api/v1/runs/" + a + "/progress").body;
    if (progress.find("\"progress\":{") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(progress.find("\"total\":2000"), std::string::npos) << progress;
  auto r = call("DELETE", "/api/v1/runs/" + b);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_str(r.body, "status"), "cancelled");
  EXPECT_EQ(status(b), "cancelled");
  r = call("DELETE", "/api/v1/runs/" + a);
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json_str(r.body, "status"), "cancelling");
  EXPECT_EQ(wait_for(a, {"cancelled"}, 5s), "cancelled");
  const auto kept = stored_rows(a);
  EXPECT_GE(kept, 5);
  EXPECT_LT(kept, 2000);
  // What finished is reported.
  auto run = p.parse(call("GET", "/api/v1/runs/" + a).body).value();
  EXPECT_EQ(run["status"].get_string().value(), "cancelled");
  EXPECT_FALSE(run["ended_at"].is_null());
  // The queued one never ran.
  EXPECT_EQ(stored_rows(b), 0);
  // Finished runs are deleted, rows and all.
  EXPECT_EQ(call("DELETE", "/api/v1/runs/" + a).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/runs/" + a).status, 404);
  EXPECT_EQ(stored_rows(a), 0);
  EXPECT_EQ(call("DELETE", "/api/v1/runs/" + a).status, 404);
  // The worker is free again.
  const std::string c = json_str(post_toml(mock_suite("after", 2)).body, "id");
  EXPECT_EQ(wait_for(c, {"completed"}), "completed");
}

TEST_F(ServeRuns, RunsGoAtMostMaxConcurrentAtATime) {
  start([](server::ServeOptions& o) { o.max_concurrent_runs = 2; });
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(
        json_str(post_toml(mock_suite("par" + std::to_string(i), 3000, "5ms")).body, "id"));
  }
  // Both workers busy (each run is ~30 s of requests; they are deleted at the end).
  ASSERT_EQ(wait_for(ids[0], {"running"}), "running");
  ASSERT_EQ(wait_for(ids[1], {"running"}), "running");
  for (int sample = 0; sample < 10; ++sample) {
    int running = 0;
    for (const auto& id : ids) {
      running += status(id) == "running";
    }
    EXPECT_EQ(running, 2);
    EXPECT_EQ(status(ids[2]), "queued");
    EXPECT_EQ(status(ids[3]), "queued");
    std::this_thread::sleep_for(20ms);
  }
  const auto metrics = call("GET", "/metrics").body;
  EXPECT_NE(metrics.find("llmbench_serve_queue_depth 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("llmbench_serve_runs_in_progress 2"), std::string::npos);
  EXPECT_NE(metrics.find("llmbench_serve_runs{status=\"queued\"} 2"), std::string::npos);
  for (const auto& id : ids) {
    call("DELETE", "/api/v1/runs/" + id);
  }
}

// The real binary: SIGTERM stops accepting, gives the running run --grace, then stops it
// (interrupted, what finished kept); the queued run stays queued and the next service runs it.
TEST_F(ServeRuns, SigtermDrainsAndQueuedRunsSurviveARestart) {
  auto serve = std::make_unique<lt::BackgroundProcess>(std::vector<std::string>{
      "--db", m_db, "serve", "--port", "0", "--grace", "300ms", "--max-concurrent-runs", "1"});
  const std::string line = serve->first_line();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(127\.0\.0\.1:(\d+))"))) << line;
  const std::string base = "http://127.0.0.1:" + m[1].str();
  const auto post = [&](const std::string& toml) {
    return json_str(
        lt::http_exchange("POST", base + "/api/v1/runs", toml, {"Content-Type: application/toml"})
            .body,
        "id");
  };
  const std::string a = post(mock_suite("long", 5000, "5ms", "1ms"));
  const std::string b = post(mock_suite("next", 3));
  ASSERT_FALSE(a.empty());
  for (int i = 0; i < 500 && stored_rows(a) < 3; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto [code, out] = serve->stop(SIGTERM);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(code, 0) << out;
  EXPECT_LT(took, 10s);
  EXPECT_NE(out.find("running runs get 300ms to finish"), std::string::npos) << out;
  {
    auto db = store::Database::open(m_db);
    EXPECT_EQ(store::get_run(db, a)->status, "interrupted");
    EXPECT_EQ(store::get_run(db, b)->status, "queued");
  }
  const auto kept = stored_rows(a);
  EXPECT_GE(kept, 3);
  // The next service picks up the queued run.
  start();
  EXPECT_EQ(wait_for(b, {"completed"}), "completed");
  EXPECT_EQ(stored_rows(b), 3);
  EXPECT_EQ(status(a), "interrupted");
  EXPECT_EQ(stored_rows(a), kept);
}

// A service killed outright leaves its run `running`; the next start marks it interrupted,
// histograms built from what was stored.
TEST_F(ServeRuns, ARunOfAServiceThatDiedIsMarkedInterruptedOnStart) {
  auto serve = std::make_unique<lt::BackgroundProcess>(
      std::vector<std::string>{"--db", m_db, "serve", "--port", "0"});
  const std::string line = serve->first_line();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(127\.0\.0\.1:(\d+))"))) << line;
  const std::string base = "http://127.0.0.1:" + m[1].str();
  const std::string a =
      json_str(lt::http_exchange("POST", base + "/api/v1/runs", mock_suite("doomed", 5000, "5ms"),
                                 {"Content-Type: application/toml"})
                   .body,
               "id");
  for (int i = 0; i < 500 && stored_rows(a) < 3; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  serve->stop(SIGKILL);
  {
    auto db = store::Database::open(m_db);
    EXPECT_EQ(store::get_run(db, a)->status, "running");
  }
  auto again = std::make_unique<lt::BackgroundProcess>(
      std::vector<std::string>{"--db", m_db, "serve", "--port", "0"});
  const std::string line2 = again->output_until("listening on");
  ASSERT_TRUE(std::regex_search(line2, m, std::regex(R"(127\.0\.0\.1:(\d+))"))) << line2;
  const auto r = lt::http_exchange("GET", "http://127.0.0.1:" + m[1].str() + "/api/v1/runs/" + a);
  EXPECT_EQ(json_str(r.body, "status"), "interrupted") << r.body;
  EXPECT_NE(r.body.find("\"requests\":"), std::string::npos);
  again->stop(SIGTERM);
}

TEST_F(ServeRuns, CorsIsOffUnlessOneOriginIsNamed) {
  start();
  auto r = call("GET", "/api/v1/runs", "", {"Origin: https://evil.example"});
  EXPECT_EQ(lt::header_value(r, "access-control-allow-origin"), "");
  EXPECT_EQ(call("OPTIONS", "/api/v1/runs", "", {"Origin: https://evil.example"}).status, 405);
  start([](server::ServeOptions& o) { o.cors_origin = "https://dash.example"; });
  r = call("OPTIONS", "/api/v1/runs", "",
           {"Origin: https://dash.example", "Access-Control-Request-Method: POST"});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(lt::header_value(r, "access-control-allow-origin"), "https://dash.example");
  EXPECT_NE(lt::header_value(r, "access-control-allow-methods").find("POST"), std::string::npos);
  r = call("GET", "/api/v1/runs", "", {"Origin: https://dash.example"});
  EXPECT_EQ(lt::header_value(r, "access-control-allow-origin"), "https://dash.example");
  r = call("GET", "/api/v1/runs", "", {"Origin: https://evil.example"});
  EXPECT_EQ(lt::header_value(r, "access-control-allow-origin"), "");
}

// A browser signs in once; the cookie reads pages but cannot submit or delete.
TEST_F(ServeRuns, TheLoginCookieReadsButDoesNotWrite) {
  const std::string token = "a-long-enough-token-0123456789";
  start([&](server::ServeOptions& o) { o.token = token; });
  auto r = call("GET", "/");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(lt::header_value(r, "location"), "/login");
  EXPECT_EQ(call("GET", "/login").status, 200);
  r = call("POST", "/login", "token=wrong", {"Content-Type: application/x-www-form-urlencoded"});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(lt::header_value(r, "set-cookie"), "");
  r = call("POST", "/login", "token=" + token, {"Content-Type: application/x-www-form-urlencoded"});
  EXPECT_EQ(r.status, 303);
  const std::string cookie = lt::header_value(r, "set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  const std::string sent = "Cookie: " + cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(call("GET", "/", "", {sent}).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/runs", "", {sent}).status, 200);
  r = call("POST", "/api/v1/runs", mock_suite("x", 1), {sent, "Content-Type: application/toml"});
  EXPECT_EQ(r.status, 401);
  r = call("POST", "/api/v1/runs", mock_suite("x", 1),
           {"Authorization: Bearer " + token, "Content-Type: application/toml"});
  EXPECT_EQ(r.status, 202);
}

// The pages read with JavaScript off: the list, a run with its framed report, a comparison.
TEST_F(ServeRuns, TheWebUiPagesAreWholeWithoutJavaScript) {
  start();
  const std::string a = json_str(post_toml(mock_suite("ui-a", 4)).body, "id");
  const std::string b = json_str(post_toml(mock_suite("ui-b", 4, "4ms")).body, "id");
  ASSERT_EQ(wait_for(b, {"completed"}), "completed");
  auto r = call("GET", "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(lt::header_value(r, "content-security-policy").find("default-src 'self'"),
            std::string::npos);
  EXPECT_NE(r.body.find("href=\"/runs/" + a + "\""), std::string::npos);
  EXPECT_NE(r.body.find("href=\"/runs/" + b + "\""), std::string::npos);
  EXPECT_EQ(r.body.find("http://"), std::string::npos);  // nothing from elsewhere
  EXPECT_EQ(r.body.find("https://"), std::string::npos);
  r = call("GET", "/?suite=ui-a");
  EXPECT_NE(r.body.find("/runs/" + a), std::string::npos);
  EXPECT_EQ(r.body.find("/runs/" + b), std::string::npos);
  r = call("GET", "/runs/" + a);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("status-completed"), std::string::npos);
  EXPECT_NE(r.body.find("src=\"/api/v1/runs/" + a + "/report.html\""), std::string::npos);
  r = call("GET", "/compare?base=" + a + "&cand=" + b);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("id=\"verdict\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("/compare/diff.html?base=" + a), std::string::npos);
  r = call("GET", "/compare/diff.html?base=" + a + "&cand=" + b);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<svg"), std::string::npos);
  r = call("GET", "/compare?base=nope&cand=" + b);
  EXPECT_NE(r.body.find("id=\"error\""), std::string::npos);
  EXPECT_EQ(call("GET", "/runs/ffffffffffff").status, 404);
  // A queued or running run's page refreshes itself without JavaScript.
  const std::string c = json_str(post_toml(mock_suite("ui-live", 3000, "5ms")).body, "id");
  wait_for(c, {"running"});
  r = call("GET", "/runs/" + c);
  EXPECT_NE(r.body.find("<noscript><meta http-equiv=\"refresh\""), std::string::npos);
  EXPECT_NE(r.body.find("id=\"progress\""), std::string::npos);
  EXPECT_EQ(r.body.find("id=\"report\""), std::string::npos);  // no half-made report
  call("DELETE", "/api/v1/runs/" + c);
}

// Clients that stall or send garbage are timed out or answered, and everyone else is served.
TEST_F(ServeRuns, SlowAndMalformedClientsDoNotStopTheService) {
  start([](server::ServeOptions& o) { o.limits.request_timeout = 400ms; });
  std::vector<std::unique_ptr<lt::RawSocket>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<lt::RawSocket>(m_serve->port()));
    // Headers that promise a body that never comes.
    slow.back()->send(
        "POST /api/v1/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/toml\r\n"
        "Content-Length: 5000\r\n\r\n[suite]");
  }
  lt::RawSocket garbage(m_serve->port());
  garbage.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  EXPECT_EQ(call("GET", "/api/v1/runs").status, 200);
  for (auto& s : slow) {
    EXPECT_NE(s->read_all(3s).find("408"), std::string::npos);
  }
  EXPECT_EQ(post_toml(mock_suite("after-the-storm", 1)).status, 202);
}

// The list pages through the history 50 at a time, newest first, filters kept.
TEST_F(ServeRuns, TheRunsListPagesFiftyAtATime) {
  {
    auto db = store::Database::open(m_db);
    for (int i = 0; i < 55; ++i) {
      store::RunRow run;
      run.id = fmt::format("01930000-0000-7000-8000-{:012}", i);
      run.suite_name = i % 2 == 0 ? "even" : "odd";
      run.suite_hash = "h";
      run.status = "completed";
      run.started_at_ms = 1'000'000 + i;
      store::insert_run(db, run);
    }
  }
  start();
  const std::regex k_row(R"re(<tr data-run="([^"]+)")re");
  const auto rows = [&](const std::string& body) {
    std::vector<std::string> out;
    for (std::sregex_iterator it(body.begin(), body.end(), k_row), end; it != end; ++it) {
      out.push_back((*it)[1].str());
    }
    return out;
  };
  auto r = call("GET", "/");
  auto first = rows(r.body);
  ASSERT_EQ(first.size(), 50u);
  EXPECT_EQ(first.front(), "01930000-0000-7000-8000-000000000054");  // newest first
  std::smatch older;
  ASSERT_TRUE(std::regex_search(r.body, older, std::regex(R"re(id="older" href="([^"]+)")re")));
  std::string next = older[1].str();
  for (std::size_t at; (at = next.find("&amp;")) != std::string::npos;) {
    next.replace(at, 5, "&");
  }
  const auto second = rows(call("GET", next).body);
  ASSERT_EQ(second.size(), 5u);
  EXPECT_EQ(second.back(), "01930000-0000-7000-8000-000000000000");
  const auto odd = rows(call("GET", "/?suite=odd").body);
  EXPECT_EQ(odd.size(), 27u);
}
