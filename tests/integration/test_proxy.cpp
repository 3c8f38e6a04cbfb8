// `llmbench proxy` over real sockets: the in-process proxy in front of the in-process mock,
// sessions made with the real `llmbench session` commands on the same history.

#include "llmbench/server/proxy_server.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "llmbench/net/engine.hpp"
#include "llmbench/providers/openai.hpp"
#include "llmbench/report/writers.hpp"
#include "llmbench/server/mock_server.hpp"
#include "llmbench/session/config.hpp"
#include "llmbench/store/sessions.hpp"
#include "support/engine_runner.hpp"
#include "support/http_client.hpp"
#include "support/prometheus_text.hpp"
#include "support/raw_socket.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench;
namespace lt = llmbench::testing;

namespace {

constexpr const char* k_planted = "sk-planted-upstream-key-0123456789abcdef";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Timestamps the mock writes in seconds ("created", "created_at") differ between two calls.
// and the mock numbers its answers ("chatcmpl-mock<counter>").
std::string without_clock(const std::string& text) {
  static const std::regex created(R"re("created(_at)?":\d+)re");
  static const std::regex id("mock[0-9a-f]{16}");
  return std::regex_replace(std::regex_replace(text, created, "\"created$1\":0"), id, "mockN");
}

struct Session {
  std::string id;
  std::string key;
  std::string run_id;
};

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("LLMBENCH_TEST_UPSTREAM_KEY", k_planted, 1);
    server::MockProfile profile;
    profile.ttft = server::Distribution::fixed(20e6);
    profile.itl = server::Distribution::fixed(2e6);
    profile.output_tokens = server::Distribution::fixed(8);
    server::MockServerOptions mo;
    mo.threads = 1;
    m_mock = std::make_unique<server::MockServer>(profile, mo);
    m_mock->start();
    const std::string mock_url = m_mock->base_url();
    m_config_path = m_dir.file("proxy.toml");
    std::ofstream(m_config_path) << "[proxy]\nmax_body = \"64KiB\"\ntimeout = \"30s\"\n"
                                 << "[[models]]\nalias = \"oai\"\nprovider = \"openai\"\n"
                                 << "base_url = \"" << mock_url << "\"\nmodel = \"mock-up\"\n"
                                 << "api_key_env = \"LLMBENCH_TEST_UPSTREAM_KEY\"\n"
                                 << "price = { input = 1.0, output = 2.0 }\n"
                                 << "[[models]]\nalias = \"ant\"\nprovider = \"anthropic\"\n"
                                 << "base_url = \"" << mock_url << "\"\nmodel = \"mock-up\"\n"
                                 << "api_key_env = \"LLMBENCH_TEST_UPSTREAM_KEY\"\n"
                                 << "[[models]]\nalias = \"down\"\nprovider = \"openai\"\n"
                                 << "base_url = \"http://127.0.0.1:1/v1\"\nmodel = \"gone\"\n"
                                 << "api_key_env = \"LLMBENCH_TEST_UPSTREAM_KEY\"\n"
                                 << "[[models]]\nalias = \"slow\"\nprovider = \"mock\"\n"
                                 << "base_url = \"" << mock_url << "\"\n"
                                 << "headers = { \"x-mock-ttft\" = \"400ms\" }\n"
                                 << "[[routes]]\nname = \"fallback\"\npolicy = \"sequential\"\n"
                                 << "members = [\"down\", \"oai\"]\n"
                                 << "[[routes]]\nname = \"race\"\npolicy = \"hedged\"\n"
                                 << "members = [\"slow\", \"oai\"]\nhedge_delay = \"50ms\"\n"
                                 << "[[variants]]\nname = \"rt\"\nmodel = \"fallback\"\n"
                                 << "harness = \"openai-sdk\"\n"
                                 << "[[variants]]\nname = \"cc\"\nmodel = \"ant\"\n"
                                 << "harness = \"claude-code\"\n"
                                 << "[[variants]]\nname = \"cx\"\nmodel = \"oai\"\n"
                                 << "harness = \"codex\"\n";
    m_db = m_dir.file("history.db");
    server::ProxyServerOptions po;
    po.config = session::load_config_or_throw(m_config_path);
    po.db_path = m_db;
    po.port = 0;
    po.threads = 2;
    po.log = [this](const std::string& line) {
      std::lock_guard lock(m_log_mu);
      m_log += line + "\n";
    };
    m_proxy = std::make_unique<server::ProxyServer>(po);
    m_proxy->start();
  }

  void TearDown() override {
    m_proxy.reset();
    m_mock.reset();
  }

  Session create(const std::string& variant) {
    const auto r = lt::run_llmbench(
        {"--db", m_db, "session", "create", "--config", m_config_path, "--variant", variant});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    m_cli_output += r.out + r.err;
    Session s;
    std::smatch m;
    if (std::regex_search(r.out, m, std::regex("session ([0-9a-f-]{36})"))) {
      s.id = m[1];
    }
    if (std::regex_search(r.out, m, std::regex("LLMBENCH_SESSION_KEY=(lbsk_[0-9a-f]{64})"))) {
      s.key = m[1];
    }
    auto db = store::Database::open(m_db);
    s.run_id = store::get_session(db, s.id)->run_id;
    return s;
  }

  std::string url(const std::string& path) const { return m_proxy->base_url() + path; }

  lt::RawResponse post(const std::string& path, const std::string& body, const Session* s,
                       std::vector<std::string> headers = {}) {
    if (s != nullptr) {
      headers.push_back("Authorization: Bearer " + s->key);
    }
    headers.push_back("Content-Type: application/json");
    return lt::http_exchange("POST", url(path), body, headers);
  }

  std::vector<store::RequestRow> rows(const Session& s) {
    m_proxy->flush();
    auto db = store::Database::open(m_db);
    return store::proxied_requests(db, s.run_id);
  }

  lt::TempDir m_dir;
  std::unique_ptr<server::MockServer> m_mock;
  std::unique_ptr<server::ProxyServer> m_proxy;
  std::string m_config_path;
  std::string m_db;
  std::mutex m_log_mu;
  std::string m_log;
  std::string m_cli_output;
};

}  // namespace

TEST_F(ProxyTest, StreamsArriveByteIdenticalToTheDirectStream) {
  const Session s = create("cx");
  struct Case {
    std::string path;
    std::string body;  // %s: the model
  };
  const std::vector<Case> cases = {
      {"/v1/chat/completions",
       R"({"model":"%s","messages":[{"role":"user","content":"hello there"}],"stream":true,"stream_options":{"include_usage":true}})"},
      {"/v1/responses",
       R"({"model":"%s","instructions":"be brief","input":[{"role":"user","content":"hello there"}],"stream":true})"},
      {"/v1/messages",
       R"({"model":"%s","max_tokens":64,"messages":[{"role":"user","content":"hello there"}],"stream":true})"},
  };
  int index = 100;
  for (const auto& c : cases) {
    const auto body = [&](const std::string& model) {
      return std::regex_replace(c.body, std::regex("%s"), model);
    };
    const std::string alias = c.path == "/v1/messages" ? "ant" : "oai";
    const std::string same_index = "x-mock-index: " + std::to_string(++index);
    const auto direct =
        lt::http_exchange("POST", "http://127.0.0.1:" + std::to_string(m_mock->port()) + c.path,
                          body("mock-up"), {same_index, "Content-Type: application/json"});
    const auto proxied = post(c.path, body(alias), &s, {same_index});
    ASSERT_EQ(direct.status, 200) << direct.body;
    ASSERT_EQ(proxied.status, 200) << c.path << ": " << proxied.body;
    EXPECT_EQ(without_clock(proxied.body), without_clock(direct.body)) << c.path;
    EXPECT_NE(proxied.headers.find("text/event-stream"), std::string::npos) << proxied.headers;
  }
  const auto stored = rows(s);
  ASSERT_EQ(stored.size(), 3u);
  for (const auto& r : stored) {
    EXPECT_FALSE(r.error_class) << *r.error_class << ": " << r.error_message.value_or("");
    EXPECT_EQ(r.output_tokens, 8);
    EXPECT_TRUE(r.input_tokens) << "read from the stream's usage";
    ASSERT_TRUE(r.proxy);
    EXPECT_EQ(r.proxy->session_id, s.id);
    EXPECT_EQ(r.proxy->upstream_model, "mock-up");
  }
  EXPECT_EQ(stored[0].proxy->endpoint, "chat");
  EXPECT_EQ(stored[1].proxy->endpoint, "responses");
  EXPECT_EQ(stored[2].proxy->endpoint, "messages");
  EXPECT_EQ(stored[2].target, "ant");
  // Priced from the alias's price: 3 input tokens at $1/M and 8 output at $2/M.
  EXPECT_NEAR(stored[0].cost_usd.value_or(-1), (3 * 1.0 + 8 * 2.0) / 1e6, 1e-12);
}

TEST_F(ProxyTest, RowsHoldTheSessionsRequestsWithTheDirectTtft) {
  const Session s = create("cx");
  const Session other = create("cc");
  // Direct: the engine and parser `llmbench run` uses, straight to the mock.
  net::Engine engine;
  std::vector<double> direct;
  suite::Message m;
  m.role = "user";
  m.text = "hello";
  const std::vector<suite::Message> messages{m};
  const std::string body =
      R"({"model":"oai","messages":[{"role":"user","content":"hello"}],"stream":true,"stream_options":{"include_usage":true}})";
  // Direct and proxied requests alternate, so a busy machine weighs on both alike.
  constexpr int k_pairs = 9;
  for (int i = 0; i < k_pairs; ++i) {
    providers::ChatRequest req;
    req.base_url = m_mock->base_url();
    req.messages = messages;
    req.params.model = "mock-up";
    const auto ex = lt::run_one(engine, providers::openai_codec(), req);
    ASSERT_TRUE(ex->r().ok()) << ex->r().error_message;
    direct.push_back(static_cast<double>(ex->r().t_first_token_ns - ex->r().t_send_ns));
    ASSERT_EQ(post("/v1/chat/completions", body, &s).status, 200);
  }
  ASSERT_EQ(
      post(
          "/v1/messages",
          R"({"model":"ant","max_tokens":9,"messages":[{"role":"user","content":"x"}],"stream":true})",
          &other)
          .status,
      200);
  const auto stored = rows(s);
  ASSERT_EQ(stored.size(), static_cast<std::size_t>(k_pairs));
  std::vector<double> proxied;
  for (const auto& r : stored) {
    EXPECT_EQ(r.run_id, s.run_id);
    EXPECT_EQ(r.target, "oai");
    ASSERT_TRUE(r.t_first_token_ns && r.t_send_ns);
    proxied.push_back(static_cast<double>(*r.t_first_token_ns - *r.t_send_ns));
    // The client's side: read before the send upstream; its first token after upstream's.
    EXPECT_LE(r.proxy->t_recv_ns, *r.t_send_ns);
    ASSERT_TRUE(r.proxy->t_client_first_ns);
    EXPECT_GE(*r.proxy->t_client_first_ns, *r.t_first_token_ns);
    EXPECT_EQ(std::count(r.proxy->content_gaps.begin(), r.proxy->content_gaps.end(), ','), 6);
  }
  std::sort(direct.begin(), direct.end());
  std::sort(proxied.begin(), proxied.end());
  EXPECT_NEAR(proxied[k_pairs / 2], direct[k_pairs / 2], 1e6)
      << "median TTFT through the proxy vs direct, ns";
  EXPECT_EQ(rows(other).size(), 1u);  // the other session's request is its own
}

TEST_F(ProxyTest, KeysOfFinalizedUnknownOrNoSessionAreRefused) {
  const Session s = create("cx");
  const std::string body = R"({"model":"oai","messages":[],"stream":true})";
  EXPECT_EQ(post("/v1/chat/completions", body, &s).status, 200);
  const auto fin =
      lt::run_llmbench({"--db", m_db, "session", "finalize", s.id, "--status", "completed"});
  ASSERT_EQ(fin.exit_code, 0) << fin.err;
  const auto refused = post("/v1/chat/completions", body, &s);
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("is finalized (completed)"), std::string::npos) << refused.body;
  Session stranger = s;
  stranger.key = "lbsk_" + std::string(64, '0');
  EXPECT_EQ(post("/v1/chat/completions", body, &stranger).status, 401);
  const auto none =
      post("/v1/messages", R"({"model":"ant","max_tokens":5,"messages":[]})", nullptr);
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.body.find(R"("type":"error")"), std::string::npos) << "Anthropic's shape";
  EXPECT_EQ(rows(s).size(), 1u);  // nothing refused was stored or forwarded
  EXPECT_EQ(m_mock->requests_served(), 1u);
  // Its export: a header and the one stored request, as CSV and as JSON.
  const auto csv = lt::run_llmbench({"--db", m_db, "session", "export", s.id});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 2) << csv.out;
  EXPECT_NE(csv.out.find(s.id + ",,cx,codex,1,chat,oai,mock-up,200,,"), std::string::npos)
      << csv.out;
  const auto json = lt::run_llmbench({"--db", m_db, "session", "export", s.id, "--format", "json"});
  simdjson::dom::parser parser;
  const auto rows_json = parser.parse(json.out);
  ASSERT_EQ(rows_json.error(), simdjson::SUCCESS) << json.out;
  ASSERT_EQ(rows_json.get_array().size(), 1u);
  EXPECT_EQ(rows_json.at(0)["endpoint"].get_string().value(), "chat");
  EXPECT_GT(rows_json.at(0)["ttft_ms"].get_double().value(), 19.0);
  // Its report works like a run's.
  const auto report = lt::run_llmbench({"--db", m_db, "report", s.run_id, "--out", "-"});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("| oai | 1 | 0 |"), std::string::npos) << report.out;
}

TEST_F(ProxyTest, AClientThatLeavesCancelsTheUpstreamRequest) {
  const Session s = create("cx");
  const std::string body =
      R"({"model":"oai","messages":[{"role":"user","content":"long"}],"stream":true})";
  {
    lt::RawSocket sock(m_proxy->port());
    ASSERT_TRUE(sock.send(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.key +
        "\r\nContent-Type: application/json\r\nx-mock-output-tokens: 400\r\n"
        "x-mock-itl: 20ms\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body));
    // The first events arrive (the stream would last 8 s), then the client hangs up.
    const std::string start = sock.read_some(std::chrono::milliseconds(3000));
    ASSERT_NE(start.find("200 OK"), std::string::npos) << start;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (m_proxy->recorded() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto stored = rows(s);
  ASSERT_EQ(stored.size(), 1u);
  const auto& r = stored.front();
  EXPECT_EQ(r.error_class, "cancelled");
  EXPECT_TRUE(r.proxy->client_disconnected);
  EXPECT_LT(*r.t_done_ns - *r.t_send_ns, 4'000'000'000) << "cancelled, not run to its end";
  // The proxy serves on.
  EXPECT_EQ(lt::http_exchange("GET", url("/health")).status, 200);
}

TEST_F(ProxyTest, BadInputGetsTheProvidersErrorShapeAndTheProxyServesOn) {
  const Session s = create("cx");
  auto r = post("/v1/chat/completions", R"({"model":"nope","messages":[]})", &s);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find(R"({"error":{"message":"model \"nope\" is not served)"), std::string::npos)
      << r.body;
  r = post("/v1/messages", R"({"model":"nope","max_tokens":1,"messages":[]})", &s);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find(R"({"type":"error","error":{"type":"not_found_error")"), std::string::npos)
      << r.body;
  r = post("/v1/messages", R"({"model":"oai","max_tokens":1,"messages":[]})", &s);
  EXPECT_EQ(r.status, 400) << "an OpenAI upstream cannot answer the Anthropic protocol";
  r = post("/v1/chat/completions", "{not json", &s);
  EXPECT_EQ(r.status, 400);
  r = post("/v1/chat/completions",
           R"({"model":"oai","messages":[{"role":"user","content":")" +
               std::string(100 * 1024, 'x') + R"("}]})",
           &s);
  EXPECT_EQ(r.status, 413);
  r = post("/v1/chat/completions", R"({"model":"down","messages":[],"stream":true})", &s);
  EXPECT_EQ(r.status, 502);
  EXPECT_NE(r.body.find("upstream down"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(k_planted), std::string::npos);
  // Still serving, and the failed upstream call is a stored outcome.
  EXPECT_EQ(post("/v1/chat/completions", R"({"model":"oai","messages":[]})", &s).status, 200);
  const auto stored = rows(s);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].target, "down");
  EXPECT_EQ(stored[0].error_class, "connection");
  EXPECT_FALSE(stored[1].error_class);
  EXPECT_FALSE(stored[1].streamed);
}

TEST_F(ProxyTest, MetricsParseAsPrometheusTextAndMatchTheStoredRows) {
  const Session a = create("cx");
  const Session b = create("cc");
  for (int i = 0; i < 3; ++i) {
    post("/v1/chat/completions", R"({"model":"oai","messages":[],"stream":true})", &a);
  }
  post("/v1/chat/completions", R"({"model":"down","messages":[]})", &a);
  post("/v1/messages", R"({"model":"ant","max_tokens":30,"messages":[],"stream":true})", &b);
  post("/v1/chat/completions", R"({"model":"nope","messages":[]})", &b);  // refused
  const auto r = lt::http_exchange("GET", url("/metrics"));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.headers.find("text/plain; version=0.0.4"), std::string::npos);
  const auto families = lt::parse_prometheus(r.body);
  for (const char* name :
       {"litellm_request_total_latency_metric", "litellm_llm_api_time_to_first_token_metric",
        "litellm_llm_api_latency_metric", "litellm_overhead_latency_metric",
        "litellm_input_tokens_metric_total", "litellm_output_tokens_metric_total",
        "litellm_spend_metric_total", "litellm_proxy_total_requests_metric_total",
        "litellm_proxy_failed_requests_metric_total", "llmbench_session_requests_total"}) {
    EXPECT_EQ(families.count(name), 1u) << name;
  }
  for (const Session* s : {&a, &b}) {
    const auto stored = rows(*s);
    double output = 0;
    double ok = 0;
    for (const auto& row : stored) {
      if (!row.error_class) {
        output += static_cast<double>(row.output_tokens.value_or(0));
        ++ok;
      }
    }
    const std::map<std::string, std::string> session = {{"session", s->id}};
    EXPECT_EQ(lt::prom_sum(families, "llmbench_session_requests_total",
                           "llmbench_session_requests_total", session),
              static_cast<double>(stored.size()));
    EXPECT_EQ(lt::prom_sum(families, "litellm_output_tokens_metric_total",
                           "litellm_output_tokens_metric_total", {{"api_key_alias", s->id}}),
              output);
    EXPECT_EQ(lt::prom_sum(families, "litellm_llm_api_time_to_first_token_metric",
                           "litellm_llm_api_time_to_first_token_metric_count",
                           {{"api_key_alias", s->id}}),
              ok);
  }
  EXPECT_EQ(lt::prom_sum(families, "litellm_proxy_failed_requests_metric_total",
                         "litellm_proxy_failed_requests_metric_total", {{"api_key_alias", a.id}}),
            1);
  EXPECT_EQ(lt::prom_sum(families, "litellm_proxy_total_requests_metric_total",
                         "litellm_proxy_total_requests_metric_total"),
            6);  // five forwarded, one refused
}

TEST_F(ProxyTest, NeitherTheUpstreamKeyNorTheSessionKeyReachesStoreLogsOrReports) {
  const Session s = create("cx");
  post("/v1/chat/completions",
       R"({"model":"oai","messages":[{"role":"user","content":"hi"}],"stream":true})", &s);
  post("/v1/chat/completions", R"({"model":"down","messages":[]})", &s);
  // An upstream error that echoes the key it was sent (the mock's 401 fault says "Incorrect
  // API key provided"; a real provider may quote the key).
  post("/v1/chat/completions", R"({"model":"oai","messages":[]})", &s,
       {"x-mock-fault: unauthorized"});
  m_proxy->flush();
  const auto fin =
      lt::run_llmbench({"--db", m_db, "session", "finalize", s.id, "--status", "completed"});
  ASSERT_EQ(fin.exit_code, 0) << fin.err;
  std::string everything = m_proxy->metrics_text() + m_cli_output + fin.out + fin.err;
  for (const char* format : {"md", "json", "csv", "html"}) {
    const auto rep =
        lt::run_llmbench({"--db", m_db, "session", "report", s.id, "--format", format});
    EXPECT_EQ(rep.exit_code, 0) << rep.err;
    everything += rep.out + rep.err;
  }
  const auto exported = lt::run_llmbench({"--db", m_db, "session", "export", "--format", "json"});
  everything += exported.out;
  m_proxy.reset();  // the store is closed, the WAL checkpointed
  for (const auto& entry : std::filesystem::directory_iterator(m_dir.path())) {
    everything += slurp(entry.path().string());
  }
  {
    std::lock_guard lock(m_log_mu);
    everything += m_log;
  }
  EXPECT_EQ(everything.find(k_planted), std::string::npos);
  // The key is shown once by `session create` (m_cli_output): nowhere else.
  const std::string without_create =
      everything.substr(0, everything.find(m_cli_output)) +
      everything.substr(everything.find(m_cli_output) + m_cli_output.size());
  EXPECT_EQ(without_create.find(s.key), std::string::npos);
  EXPECT_EQ(without_create.find(s.key.substr(5)), std::string::npos);
}

TEST_F(ProxyTest, TheGrafanaDashboardQueriesOnlyMetricsTheProxyServes) {
  const Session s = create("cx");
  post("/v1/chat/completions", R"({"model":"oai","messages":[],"stream":true})", &s);
  post("/v1/chat/completions", R"({"model":"down","messages":[]})", &s);
  const auto families = lt::parse_prometheus(lt::http_exchange("GET", url("/metrics")).body);
  std::set<std::string> served;
  for (const auto& [name, f] : families) {
    served.insert(name);
    if (f.type == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        served.insert(name + suffix);
      }
    }
  }
  simdjson::dom::parser parser;
  const auto dashboard =
      parser.load(std::string(LLMBENCH_SOURCE_DIR) + "/deploy/grafana/llmbench-proxy.json");
  ASSERT_EQ(dashboard.error(), simdjson::SUCCESS);
  std::size_t queries = 0;
  static const std::regex metric(R"((litellm|llmbench)_[a-z_]+)");
  for (simdjson::dom::element panel : dashboard["panels"].get_array()) {
    for (simdjson::dom::element target : panel["targets"].get_array()) {
      const std::string expr(target["expr"].get_string().value());
      ++queries;
      for (std::sregex_iterator it(expr.begin(), expr.end(), metric), end; it != end; ++it) {
        EXPECT_EQ(served.count(it->str()), 1u) << it->str() << " in " << expr;
      }
    }
  }
  EXPECT_GE(queries, 10u);
}

TEST_F(ProxyTest, AModelMayNameARouteThatFallsThroughOrHedges) {
  const Session s = create("rt");  // a variant whose model is a route
  const auto env = lt::run_llmbench(
      {"--db", m_db, "session", "env", s.id, "--config", m_config_path, "--key", s.key});
  ASSERT_EQ(env.exit_code, 0) << env.err;
  EXPECT_NE(env.out.find("export OPENAI_MODEL='fallback'"), std::string::npos) << env.out;
  const std::string body =
      R"({"model":"%s","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}})";
  const auto with = [&](const std::string& model) {
    return std::regex_replace(body, std::regex("%s"), model);
  };
  // Sequential: the first member cannot be reached, the second answers.
  auto r = post("/v1/chat/completions", with("fallback"), &s);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("data: [DONE]"), std::string::npos);
  // Hedged: the primary takes 400 ms to its first token; the hedge after 50 ms wins.
  r = post("/v1/chat/completions", with("race"), &s);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto stored = rows(s);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].target, "fallback");
  EXPECT_FALSE(stored[0].error_class);
  EXPECT_EQ(stored[1].target, "race");
  EXPECT_FALSE(stored[1].error_class);
  const double ttft_ms =
      static_cast<double>(*stored[1].t_first_token_ns - *stored[1].t_send_ns) / 1e6;
  EXPECT_GE(ttft_ms, 70.0);   // the hedge's 50 ms delay and its 20 ms TTFT
  EXPECT_LT(ttft_ms, 300.0);  // not the primary's 400 ms
  auto db = store::Database::open(m_db);
  auto st = db.prepare(
      "SELECT seq, idx, member, role, outcome, COALESCE(error_class, '') FROM route_attempts "
      "WHERE run_id = ?1 ORDER BY seq, idx");
  st.bind(1, s.run_id);
  std::vector<std::string> attempts;
  while (st.step()) {
    attempts.push_back(st.text(2) + " " + st.text(3) + " " + st.text(4) + " " + st.text(5));
  }
  EXPECT_EQ(attempts,
            (std::vector<std::string>{"down primary failed connection", "oai fallback won ",
                                      "slow primary cancelled cancelled", "oai hedge won "}));
  EXPECT_EQ(stored[1].proxy->requested_model, "race");
  EXPECT_EQ(stored[1].proxy->upstream_model, "mock-up");
}

TEST_F(ProxyTest, ASessionPastItsTimeboxIsRefused) {
  const Session s = create("cx");
  {
    auto db = store::Database::open(m_db);
    auto st = db.prepare("UPDATE sessions SET expires_at_ms = 1 WHERE id = ?1");
    st.bind(1, s.id);
    st.step();
  }
  const auto r = post("/v1/chat/completions", R"({"model":"oai","messages":[]})", &s);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("has passed its timebox"), std::string::npos) << r.body;
}

TEST(ProxyAnonymous, RequestsWithoutAKeyGoToARunOfTheirOwnOnlyWhenAllowed) {
  lt::TempDir dir;
  server::MockProfile profile;
  profile.ttft = server::Distribution::fixed(5e6);
  profile.output_tokens = server::Distribution::fixed(4);
  server::MockServer mock(profile, {});
  mock.start();
  server::ProxyServerOptions po;
  po.config = *session::load_config_text(
                   "[[models]]\nalias = \"m\"\nprovider = \"mock\"\n"
                   "base_url = \"" +
                       mock.base_url() + "\"\n",
                   "p.toml")
                   .config;
  po.db_path = dir.file("h.db");
  po.port = 0;
  po.allow_anonymous = true;
  server::ProxyServer proxy(po);
  proxy.start();
  const auto r = lt::http_exchange("POST", proxy.base_url() + "/v1/chat/completions",
                                   R"({"model":"m","messages":[],"stream":true})",
                                   {"Content-Type: application/json"});
  EXPECT_EQ(r.status, 200) << r.body;
  proxy.flush();
  proxy.stop();
  const auto runs = lt::run_llmbench({"--db", po.db_path, "runs", "list"});
  EXPECT_NE(runs.out.find("proxy (anonymous)"), std::string::npos) << runs.out;
  EXPECT_NE(runs.out.find("completed"), std::string::npos) << runs.out;
  const auto report = lt::run_llmbench({"--db", po.db_path, "report", "latest", "--out", "-"});
  EXPECT_NE(report.out.find("| m | 1 | 0 |"), std::string::npos) << report.out;
}

TEST(ProxyCli, BadConfigsAndMissingKeysExit2WithTheirPlace) {
  lt::TempDir dir;
  const std::string bad = dir.file("bad.toml");
  std::ofstream(bad) << "[[models]]\nalias = \"m\"\nprovider = \"openia\"\nbase_url = \"x\"\n";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"session", "validate", "--config", bad},
        std::vector<std::string>{"proxy", "--config", bad, "--port", "0"}}) {
    const auto r = lt::run_llmbench(args, {"LLMBENCH_DB=" + dir.file("h.db")});
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_NE(r.err.find("bad.toml:3:12:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("did you mean \"openai\""), std::string::npos) << r.err;
  }
  const std::string good = dir.file("good.toml");
  std::ofstream(good)
      << "[[models]]\nalias = \"m\"\nprovider = \"openai\"\n"
         "base_url = \"http://127.0.0.1:1/v1\"\napi_key_env = \"LLMBENCH_UNSET_KEY\"\n"
         "[[variants]]\nname = \"v\"\nmodel = \"m\"\nharness = \"codex\"\n";
  auto r = lt::run_llmbench({"proxy", "--config", good, "--port", "0"},
                            {"LLMBENCH_DB=" + dir.file("h.db")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("good.toml:1:1: model alias \"m\" reads its key from $LLMBENCH_UNSET_KEY"),
            std::string::npos)
      << r.err;
  r = lt::run_llmbench({"proxy", "--config", good, "--host", "0.0.0.0", "--allow-anonymous"},
                       {"LLMBENCH_DB=" + dir.file("h.db"), "LLMBENCH_UNSET_KEY=x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("anonymous requests are allowed only on a loopback address"),
            std::string::npos)
      << r.err;
  // `session env` wants the key `create` showed, and only that one.
  const auto created = lt::run_llmbench(
      {"--db", dir.file("h.db"), "session", "create", "--config", good, "--variant", "v"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string id = created.out.substr(8, 36);
  r = lt::run_llmbench({"--db", dir.file("h.db"), "session", "env", id, "--config", good});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is stored only as a hash"), std::string::npos) << r.err;
  r = lt::run_llmbench({"--db", dir.file("h.db"), "session", "env", id, "--config", good, "--key",
                        "lbsk_" + std::string(64, '1')});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("that key is not session"), std::string::npos) << r.err;
}
