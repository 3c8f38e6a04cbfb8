// `llmbench serve` over real sockets: a history made by real `llmbench run`s, the service in
// process, every operation of its OpenAPI document called and its answer checked against it.

#include "llmbench/server/serve_server.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <set>
#include <thread>

#include "support/http_client.hpp"
#include "support/raw_socket.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench;
namespace lt = llmbench::testing;

namespace {

std::string suite(const std::string& name, const std::string& ttft) {
  return "[suite]\nname = \"" + name +
         "\"\n[load]\nmode = \"concurrency\"\nconcurrency = 2\nrequests = 6\n"
         "[[targets]]\nname = \"m\"\nprovider = \"mock\"\nmock = { ttft = \"" +
         ttft +
         "\", itl = \"0ms\", output_tokens = 3 }\n"
         "[[prompts]]\nid = \"a\"\nmessages = [{ role = \"user\", content = \"hi\" }]\n";
}

std::string run_id_of(const std::string& out) {
  const auto at = out.find("run ");
  return at == std::string::npos ? ""
                                 : out.substr(at + 4, out.find_first_of(" \n", at + 4) - at - 4);
}

// One history for every test here: four runs (two suites, one tagged, one a baseline).
class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new lt::TempDir();
    s_runs.clear();
    s_db = s_dir->file("history.db");
    const auto a = s_dir->write("a.toml", suite("alpha", "2ms"));
    const auto b = s_dir->write("b.toml", suite("beta", "3ms"));
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--db", s_db, "run", a, "--no-report", "--save-baseline", "main"},
             {"--db", s_db, "run", a, "--no-report", "--tag", "branch=feature-x"},
             {"--db", s_db, "run", b, "--no-report"},
             {"--db", s_db, "run", b, "--no-report"}}) {
      const auto r = lt::run_llmbench(args);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      s_runs.push_back(run_id_of(r.out));
    }
  }
  static void TearDownTestSuite() { delete s_dir; }

  void SetUp() override { start({}); }

  void start(const std::string& token) {
    server::ServeOptions o;
    o.db_path = s_db;
    o.port = 0;
    o.threads = 2;
    o.token = token;
    m_serve.reset();
    m_serve = std::make_unique<server::ServeServer>(o);
    m_serve->start();
  }

  lt::RawResponse get(const std::string& path, std::vector<std::string> headers = {}) {
    return lt::http_exchange("GET", m_serve->base_url() + path, "", headers);
  }

  static std::string header(const lt::RawResponse& r, const std::string& name) {
    return lt::header_value(r, name);
  }

  static lt::TempDir* s_dir;
  static std::string s_db;
  static std::vector<std::string> s_runs;  // oldest first
  std::unique_ptr<server::ServeServer> m_serve;
};

lt::TempDir* ServeTest::s_dir = nullptr;
std::string ServeTest::s_db;
std::vector<std::string> ServeTest::s_runs;

// Checks `value` against an OpenAPI schema object: types, required members, enums, and
// array items and $refs into the document.
void check_schema(simdjson::dom::element doc, simdjson::dom::element schema,
                  simdjson::dom::element value, const std::string& where) {
  std::string_view ref;
  if (schema["$ref"].get_string().get(ref) == simdjson::SUCCESS) {
    simdjson::dom::element target;
    ASSERT_EQ(doc.at_pointer(std::string(ref.substr(1))).get(target), simdjson::SUCCESS) << ref;
    check_schema(doc, target, value, where);
    return;
  }
  std::set<std::string> types;
  simdjson::dom::element type;
  if (schema["type"].get(type) == simdjson::SUCCESS) {
    if (type.is_string()) {
      types.insert(std::string(type.get_string().value()));
    } else {
      for (simdjson::dom::element t : type.get_array()) {
        types.insert(std::string(t.get_string().value()));
      }
    }
  }
  const auto kind = [&]() -> std::string {
    switch (value.type()) {
      case simdjson::dom::element_type::ARRAY:
        return "array";
      case simdjson::dom::element_type::OBJECT:
        return "object";
      case simdjson::dom::element_type::STRING:
        return "string";
      case simdjson::dom::element_type::BOOL:
        return "boolean";
      case simdjson::dom::element_type::NULL_VALUE:
        return "null";
      case simdjson::dom::element_type::DOUBLE:
        return "number";
      default:
        return "integer";
    }
  }();
  if (!types.empty()) {
    const bool ok = types.count(kind) != 0 || (kind == "integer" && types.count("number") != 0);
    EXPECT_TRUE(ok) << where << " is " << kind;
    if (!ok) {
      return;
    }
  }
  simdjson::dom::array values;
  if (kind == "string" && schema["enum"].get_array().get(values) == simdjson::SUCCESS) {
    bool found = false;
    for (simdjson::dom::element e : values) {
      found = found || e.get_string().value() == value.get_string().value();
    }
    EXPECT_TRUE(found) << where << " = " << value.get_string().value() << " is not in its enum";
  }
  if (kind == "object") {
    simdjson::dom::array required;
    if (schema["required"].get_array().get(required) == simdjson::SUCCESS) {
      for (simdjson::dom::element r : required) {
        const std::string_view name = r.get_string().value();
        simdjson::dom::element member;
        EXPECT_EQ(value[name].get(member), simdjson::SUCCESS) << where << " lacks " << name;
      }
    }
    simdjson::dom::object props;
    if (schema["properties"].get_object().get(props) == simdjson::SUCCESS) {
      for (auto [name, sub] : props) {
        simdjson::dom::element member;
        if (value[name].get(member) == simdjson::SUCCESS) {
          check_schema(doc, sub, member, where + "." + std::string(name));
        }
      }
    }
  }
  simdjson::dom::element items;
  if (kind == "array" && schema["items"].get(items) == simdjson::SUCCESS) {
    std::size_t i = 0;
    for (simdjson::dom::element e : value.get_array()) {
      check_schema(doc, items, e, where + "[" + std::to_string(i++) + "]");
    }
  }
}

}  // namespace

TEST_F(ServeTest, EveryOperationOfTheOpenApiDocumentAnswersAsItSays) {
  const auto spec_text = get("/openapi.json");
  ASSERT_EQ(spec_text.status, 200);
  simdjson::dom::parser spec_parser;
  const simdjson::dom::element spec = spec_parser.parse(spec_text.body);
  EXPECT_EQ(std::string_view(spec["openapi"].get_string().value()), "3.1.0");
  // The answer `r` to `op` must be documented: its status, its content type, its body's schema.
  const auto check = [&](simdjson::dom::element op, const lt::RawResponse& r) {
    simdjson::dom::element response;
    ASSERT_EQ(op["responses"][std::to_string(r.status)].get(response), simdjson::SUCCESS)
        << "status " << r.status << " is not documented: " << r.body.substr(0, 300);
    std::string_view ref;
    if (response["$ref"].get_string().get(ref) == simdjson::SUCCESS) {
      response = spec.at_pointer(std::string(ref.substr(1))).value();
    }
    simdjson::dom::element content;
    if (r.status == 204) {
      EXPECT_NE(response["content"].get(content), simdjson::SUCCESS);
      EXPECT_TRUE(r.body.empty());
      return;
    }
    const std::string type = header(r, "content-type");
    const std::string media = type.substr(0, type.find(';'));
    ASSERT_EQ(response["content"][media].get(content), simdjson::SUCCESS)
        << "content type " << type << " is not documented";
    if (media.find("json") != std::string::npos) {
      simdjson::dom::parser body_parser;
      simdjson::dom::element body;
      ASSERT_EQ(body_parser.parse(r.body).get(body), simdjson::SUCCESS) << r.body.substr(0, 300);
      check_schema(spec, content["schema"].value(), body, "$");
    }
  };
  std::set<std::string> ids;
  std::size_t called = 0;
  std::string submitted;  // the run the POST queued; the DELETE cancels, then deletes it
  for (auto [path_key, item] : spec["paths"].get_object()) {
    for (const char* method : {"get", "post", "delete"}) {
      simdjson::dom::element op;
      if (item[method].get(op) != simdjson::SUCCESS) {
        continue;
      }
      const std::string verb = method == std::string("get")    ? "GET"
                               : method == std::string("post") ? "POST"
                                                               : "DELETE";
      std::string path(path_key);
      if (const auto at = path.find("{id}"); at != std::string::npos) {
        // A unique prefix works too.
        path.replace(at, 4, verb == "DELETE" ? submitted : s_runs.back().substr(0, 12));
      }
      const std::string id(op["operationId"].get_string().value());
      EXPECT_TRUE(ids.insert(id).second) << "duplicate operationId " << id;
      std::string query;
      simdjson::dom::array params;
      if (op["parameters"].get_array().get(params) == simdjson::SUCCESS) {
        for (simdjson::dom::element p : params) {
          bool required = false;
          std::string_view name;
          if (p["required"].get_bool().get(required) == simdjson::SUCCESS && required &&
              p["in"].get_string().value() == "query" &&
              p["name"].get_string().get(name) == simdjson::SUCCESS) {
            query += (query.empty() ? "?" : "&") + std::string(name) + "=" +
                     (name == "base" ? s_runs[0] : s_runs[1]);
          }
        }
      }
      SCOPED_TRACE(verb + " " + path + query);
      std::string body;
      std::vector<std::string> headers;
      if (verb == "POST") {
        simdjson::dom::element example;
        ASSERT_EQ(op["requestBody"]["content"]["application/json"]["example"].get(example),
                  simdjson::SUCCESS);
        body = simdjson::to_string(example);
        headers.push_back("Content-Type: application/json");
      }
      const auto r = lt::http_exchange(verb, m_serve->base_url() + path + query, body, headers);
      ++called;
      check(op, r);
      if (verb == "POST") {
        ASSERT_EQ(r.status, 202) << r.body;
        simdjson::dom::parser p;
        submitted = std::string(p.parse(r.body)["id"].get_string().value());
        EXPECT_EQ(header(r, "location"), "/api/v1/runs/" + submitted);
      }
      if (verb == "DELETE") {
        EXPECT_TRUE(r.status == 200 || r.status == 202) << r.status;
        // Once it has stopped, a second DELETE removes it (and the history is as it was).
        for (int i = 0;
             i < 200 &&
             get("/api/v1/runs/" + submitted + "/progress").body.find("\"status\":\"cancelled\"") ==
                 std::string::npos;
             ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        const auto gone = lt::http_exchange(verb, m_serve->base_url() + path);
        EXPECT_EQ(gone.status, 204) << gone.body;
        check(op, gone);
        EXPECT_EQ(get("/api/v1/runs/" + submitted).status, 404);
      }
    }
  }
  EXPECT_EQ(called, 15u);  // every operation of the document
}

TEST_F(ServeTest, RunsPageNewestFirstWithCursorsAndFilters) {
  simdjson::dom::parser p;
  std::vector<std::string> seen;
  std::string cursor;
  do {
    const auto r = get("/api/v1/runs?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto doc = p.parse(r.body).value();
    for (simdjson::dom::element run : doc["runs"].get_array()) {
      seen.emplace_back(run["id"].get_string().value());
      EXPECT_EQ(run["requests"].get_int64().value(), 6);
    }
    cursor =
        doc["next_cursor"].is_null() ? "" : std::string(doc["next_cursor"].get_string().value());
  } while (!cursor.empty());
  EXPECT_EQ(seen, std::vector<std::string>(s_runs.rbegin(), s_runs.rend()));
  auto r = get("/api/v1/runs?suite=alpha&status=completed");
  auto doc = p.parse(r.body).value();
  EXPECT_EQ(doc["runs"].get_array().size(), 2u);
  r = get("/api/v1/runs?tag=branch%3Dfeature-x");
  doc = p.parse(r.body).value();
  ASSERT_EQ(doc["runs"].get_array().size(), 1u);
  EXPECT_EQ(doc["runs"].at(0)["id"].get_string().value(), s_runs[1]);
  for (const char* bad : {"/requests?cursor=api", "/requests?cursor=1x.2", "/requests?cursor=1.",
                          "/requests?limit=1001"}) {
    EXPECT_EQ(get("/api/v1/runs/latest" + std::string(bad)).status, 400) << bad;
  }
  for (const char* bad : {"?limit=0", "?limit=x", "?limit=501", "?cursor=nope", "?tag=x"}) {
    r = get(std::string("/api/v1/runs") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(header(r, "content-type").find("application/problem+json"), std::string::npos);
  }
}

TEST_F(ServeTest, ARunItsRequestsItsReportsAndADiff) {
  simdjson::dom::parser p;
  auto r = get("/api/v1/runs/latest");
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = p.parse(r.body).value();
  EXPECT_EQ(doc["id"].get_string().value(), s_runs.back());
  EXPECT_EQ(doc["report"]["targets"].at(0)["target"].get_string().value(), "m");
  std::size_t rows = 0;
  std::string cursor;
  do {
    r = get("/api/v1/runs/" + s_runs[0] + "/requests?limit=4" +
            (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    doc = p.parse(r.body).value();
    rows += doc["requests"].get_array().size();
    cursor =
        doc["next_cursor"].is_null() ? "" : std::string(doc["next_cursor"].get_string().value());
  } while (!cursor.empty());
  EXPECT_EQ(rows, 6u);
  r = get("/api/v1/runs/main/report.md");  // a baseline name
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("# llmbench report"), std::string::npos);
  EXPECT_EQ(get("/api/v1/runs/main/report.pdf").status, 404);
  r = get("/api/v1/diff?base=" + s_runs[2] + "&cand=" + s_runs[3] + "&fail_on=errors%3E%2B50pp");
  ASSERT_EQ(r.status, 200) << r.body;
  doc = p.parse(r.body).value();
  EXPECT_FALSE(doc["gates_failed"].get_bool().value());
  EXPECT_EQ(
      get("/api/v1/diff?base=" + s_runs[2] + "&cand=" + s_runs[3] + "&fail_on=nonsense").status,
      400);
  r = get("/api/v1/baselines");
  doc = p.parse(r.body).value();
  EXPECT_EQ(doc["baselines"].at(0)["run_id"].get_string().value(), s_runs[0]);
}

TEST_F(ServeTest, UnknownThingsAndOtherMethodsGetProblemDocuments) {
  auto r = get("/api/v1/runs/ffffffff");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find(R"("status":404)"), std::string::npos) << r.body;
  EXPECT_EQ(get("/api/v2/nothing").status, 404);
  r = lt::http_exchange("PUT", m_serve->base_url() + "/api/v1/runs/latest");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "allow"), "GET, DELETE");
  r = lt::http_exchange("DELETE", m_serve->base_url() + "/api/v1/baselines");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "allow"), "GET");
  // Garbage on the socket is answered and the service goes on.
  {
    lt::RawSocket sock(m_serve->port());
    sock.send("NOT HTTP AT ALL\r\n\r\n");
    EXPECT_NE(sock.read_all(std::chrono::milliseconds(2000)).find("400"), std::string::npos);
  }
  EXPECT_EQ(get("/health").status, 200);
}

TEST_F(ServeTest, WithATokenEverythingButHealthWantsIt) {
  start("0123456789abcdef-token");
  EXPECT_EQ(get("/health").status, 200);
  auto r = get("/api/v1/runs");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(header(r, "www-authenticate"), "Bearer");
  EXPECT_EQ(get("/api/v1/runs", {"Authorization: Bearer 0123456789abcdef-tokeN"}).status, 401);
  EXPECT_EQ(get("/api/v1/runs", {"Authorization: Bearer 0123456789abcdef-token-and-more"}).status,
            401);
  EXPECT_EQ(get("/openapi.json", {"Authorization: Bearer 0123456789abcdef-token"}).status, 200);
}

TEST_F(ServeTest, ManyClientsAtOnceAllGetTheirPage) {
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&] {
      for (int k = 0; k < 8; ++k) {
        if (get("/api/v1/runs?limit=2").status == 200) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : clients) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 128);
}

TEST_F(ServeTest, TwoThousandConnectionsAtOnceAllGetTheirPage) {
  constexpr int k_connections = 2000;
  std::vector<std::unique_ptr<lt::RawSocket>> sockets;
  for (int i = 0; i < k_connections; ++i) {
    sockets.push_back(std::make_unique<lt::RawSocket>(m_serve->port()));
  }
  for (auto& s : sockets) {
    ASSERT_TRUE(
        s->send("GET /api/v1/runs?limit=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  }
  int ok = 0;
  for (auto& s : sockets) {
    const std::string r = s->read_all(std::chrono::milliseconds(20'000));
    ok += r.rfind("HTTP/1.1 200", 0) == 0 && r.find("\"next_cursor\"") != std::string::npos;
  }
  EXPECT_EQ(ok, k_connections);
  EXPECT_EQ(get("/health").status, 200);
}

TEST(ServeCli, AnAddressOtherThanLoopbackWantsALongToken) {
  lt::TempDir dir;
  auto r = lt::run_llmbench({"--db", dir.file("h.db"), "serve", "--bind", "0.0.0.0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("give a token with --token-env NAME"), std::string::npos) << r.err;
  r = lt::run_llmbench(
      {"--db", dir.file("h.db"), "serve", "--bind", "0.0.0.0", "--token-env", "LLMBENCH_SHORT"},
      {"LLMBENCH_SHORT=abc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("shorter than 16 characters"), std::string::npos) << r.err;
}
