// llmbench against servers that break every rule (issue 11): a run against an endpoint that
// answers with missing fields, wrong types, `data: {}`, huge lines, garbage after the
// headers, resets before the first byte and non-HTTP bytes completes, and records each bad
// response as a row of the right class; `llmbench mock` and `llmbench collect` keep serving
// while slow and broken clients hold connections.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "llmbench/store/database.hpp"
#include "support/background_process.hpp"
#include "support/files.hpp"
#include "support/http_client.hpp"
#include "support/raw_socket.hpp"
#include "support/run_binary.hpp"
#include "support/scripted_server.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::http_exchange;
using llmbench::testing::RawSocket;
using llmbench::testing::run_llmbench;
using llmbench::testing::ScriptedServer;
using llmbench::testing::slurp;
using llmbench::testing::TempDir;
using namespace std::chrono_literals;

namespace {

const std::string k_key = "gsk_hostile_0123456789abcdefXYZ";

// What the hostile server does with the n-th request (n % size), and the class llmbench
// must record for it ("" for success).
struct Behaviour {
  const char* name;
  std::string response;  // raw bytes; "RESET" resets the connection instead
  const char* expected_class;
};

std::string sse(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + body;
}

const std::vector<Behaviour>& behaviours() {
  static const std::vector<Behaviour> all = {
      {"good", sse("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n"),
       ""},
      {"data-empty-object", sse("data: {}\n\ndata: [DONE]\n\n"), "protocol"},
      {"choices-object", sse("data: {\"choices\":{\"0\":{}}}\n\ndata: [DONE]\n\n"), "protocol"},
      {"wrong-types",
       sse("data: {\"choices\":[{\"delta\":{\"content\":5}}],\"usage\":{\"prompt_tokens\":\"x\"}}"
           "\n\ndata: [DONE]\n\n"),
       "protocol"},
      {"huge-line",
       sse("data: {\"choices\":[{\"delta\":{\"content\":\"" + std::string(5 << 20, 'a') +
           "\"}}]}\n\ndata: [DONE]\n\n"),
       "protocol"},
      {"garbage-after-headers", sse(std::string("\x00\x01\xff garbage \r\n\r\n", 16)), "protocol"},
      {"reset-before-first-byte", "RESET", "connection"},
      {"not-http", "hello there\r\n\r\n", "protocol"},
      {"echoes-the-key",
       "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\n"
       "Content-Length: 80\r\n\r\n{\"error\":{\"message\":\"Incorrect API key provided: Bearer " +
           k_key + "\"}}",
       "http_4xx"},
      {"whole-body-no-choices",
       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
       "Content-Length: 2\r\n\r\n{}",
       "protocol"},
  };
  return all;
}

// Answers the n-th request as behaviour n % size.
std::string respond(int n) {
  return behaviours()[static_cast<std::size_t>(n) % behaviours().size()].response;
}

}  // namespace

TEST(HostileServer, ARunCompletesAndClassifiesEveryBadResponse) {
  ScriptedServer server(respond);
  TempDir dir;
  const int rounds = 2;
  const auto n = static_cast<int>(behaviours().size()) * rounds;
  const auto suite = dir.write("s.toml", R"([suite]
name = "hostile"
store_content = true
[load]
mode = "concurrency"
concurrency = 1
requests = )" + std::to_string(n) + R"(
timeout = "20s"
[[targets]]
name = "h"
provider = "openai"
model = "m"
base_url = "http://127.0.0.1:)" + std::to_string(server.port()) +
                                             R"(/v1"
api_key_env = "HOSTILE_KEY"
[[prompts]]
id = "p"
messages = [{ role = "user", content = "hi" }]
)");
  const std::string db_path = dir.file("runs.db");
  const auto r = run_llmbench({"--db", db_path, "run", suite, "--out", dir.file("report")},
                              {"HOSTILE_KEY=" + k_key});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server.served(), n);  // each request sent exactly once
  auto db = llmbench::store::Database::open(db_path);
  auto st = db.prepare(
      "SELECT seq, COALESCE(error_class, ''), COALESCE(error_message, '') FROM requests "
      "ORDER BY seq");
  int rows = 0;
  while (st.step()) {
    // One at a time, so the rows in send order meet the behaviours in serving order.
    const auto& b = behaviours()[static_cast<std::size_t>(rows) % behaviours().size()];
    EXPECT_EQ(st.text(1), b.expected_class) << b.name << ": " << st.text(2);
    ++rows;
  }
  EXPECT_EQ(rows, n);
  auto status = db.prepare("SELECT status FROM runs");
  ASSERT_TRUE(status.step());
  EXPECT_EQ(status.text(0), "completed");
  // The key the server echoed reached no file.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (entry.is_regular_file() && entry.path().filename() != "s.toml") {
      EXPECT_EQ(slurp(entry.path().string()).find(k_key), std::string::npos) << entry.path();
    }
  }
  EXPECT_EQ(r.out.find(k_key), std::string::npos);
  EXPECT_EQ(r.err.find(k_key), std::string::npos);
}

// Slow, idle and broken clients against the real `llmbench mock` and `llmbench collect`
// binaries: each is answered or closed within its limit, and a real client is served.
TEST(HostileServer, MockAndCollectKeepServingSlowAndBrokenClients) {
  TempDir dir;
  struct Server {
    std::vector<std::string> args;
    std::string health;
  };
  const std::vector<Server> servers = {
      {{"mock", "--port", "0", "--threads", "1", "--request-timeout", "500ms", "--idle-timeout",
        "500ms", "--max-connections", "32"},
       "/health"},
      {{"collect", "--port", "0", "--db", dir.file("collector.db"), "--request-timeout", "500ms",
        "--idle-timeout", "500ms", "--max-connections", "32"},
       "/v1/health"},
  };
  for (const auto& s : servers) {
    SCOPED_TRACE(s.args[0]);
    llmbench::testing::BackgroundProcess server(s.args);
    std::smatch m;
    const std::string line = server.first_line();
    ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(127\.0\.0\.1:(\d+))"))) << line;
    const auto port = static_cast<std::uint16_t>(std::stoi(m[1].str()));
    const std::string base = "http://127.0.0.1:" + m[1].str();
    // Idle and half-sent connections, held open (the cap itself: tests/unit/net).
    std::vector<RawSocket> held;
    for (int i = 0; i < 12; ++i) {
      held.emplace_back(port);
      if (i % 2 == 0) {
        held.back().send("POST /v1/beacon HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
      }
    }
    RawSocket garbage(port);
    garbage.send(std::string("\x16\x03\x01\x00\x05hello\r\n\r\n", 14));
    RawSocket big(port);
    big.send("GET / HTTP/1.1\r\nX: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
    // A real client gets its answer (at the latest once the slow ones time out).
    long status = 0;
    for (int i = 0; i < 50 && status != 200; ++i) {
      status = http_exchange("GET", base + s.health).status;
    }
    EXPECT_EQ(status, 200);
    EXPECT_TRUE(garbage.read_all(5s).starts_with("HTTP/1.1 400"));
    const std::string big_answer = big.read_all(5s);
    EXPECT_TRUE(big_answer.empty() || big_answer.starts_with("HTTP/1.1 431")) << big_answer;
    for (auto& h : held) {
      h.read_all(5s);
      EXPECT_TRUE(h.peer_closed());
    }
    EXPECT_EQ(http_exchange("GET", base + s.health).status, 200);
  }
}
