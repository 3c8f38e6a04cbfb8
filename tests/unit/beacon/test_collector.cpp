// The collector's API (status codes, limits, attestation, forget), the sender against it
// under injected failures, and the dashboard's k-anonymity.

#include "llmbench/beacon/collector.hpp"

#include <gtest/gtest.h>

#include <set>

#include "llmbench/beacon/outbox.hpp"
#include "llmbench/store/database.hpp"
#include "support/http_client.hpp"
#include "support/scripted_server.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench::beacon;
using llmbench::store::Database;
using llmbench::testing::http_exchange;
using llmbench::testing::TempDir;

namespace {

const std::vector<std::string> k_ndjson = {"Content-Type: application/x-ndjson"};
const std::vector<std::string> k_json = {"Content-Type: application/json"};

Beacon beacon_for(const Install& install, Attestation mode, int i,
                  const std::string& model = "gpt-4o-mini", const std::string& hour = "03") {
  Beacon b;
  b.ts = "2026-11-27T" + hour + ":00:00.000Z";
  b.model = model;
  b.provider = "openai";
  b.status_code = i % 10 == 9 ? 500 : 200;
  b.latency_ms_to_first_token = 100 + i;
  b.latency_ms_total = 1000 + i;  // unique per beacon
  b.input_tokens = 10;
  b.output_tokens = 20;
  b.cost_usd_estimate = 0.0003;
  attest(b, install, mode);
  return b;
}

std::string lines(const Install& install, Attestation mode, int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) {
    out += to_json(beacon_for(install, mode, i)) + "\n";
  }
  return out;
}

std::int64_t stored(const std::string& db_path, const std::string& where = "1") {
  llmbench::store::OpenOptions raw;
  raw.run_schema = false;
  auto db = Database::open(db_path, raw);
  auto st = db.prepare("SELECT COUNT(*) FROM beacons WHERE " + where);
  st.step();
  return st.int64(0);
}

// Queues `bodies` in a run database's outbox, as a run would.
void enqueue(const std::string& run_db, const Install& install,
             const std::vector<std::string>& bodies) {
  auto db = Database::open(run_db);
  auto st = db.prepare(
      "INSERT INTO beacon_outbox (run_id, seq, attempt, install_id, body, created_at_ms) "
      "VALUES ('r', (SELECT COUNT(*) FROM beacon_outbox), 1, ?, ?, 0)");
  for (const auto& body : bodies) {
    st.reset();
    st.bind(1, install.install_id).bind(2, body);
    st.step();
  }
}

std::vector<std::string> bodies(const Install& install, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(to_json(beacon_for(install, Attestation::token, i)));
  }
  return out;
}

struct Fixture {
  TempDir dir;
  Install install = create_install(dir.file("install.json"));
  CollectorOptions options;
  Fixture() { options.db_path = dir.file("collector.db"); }
};

}  // namespace

TEST(Collector, TokenModeStatusCodesAndLimits) {
  Fixture f;
  f.options.rate_limit = 5;
  Collector c(f.options);
  c.start();
  const std::string url = c.base_url() + "/v1/beacon";
  EXPECT_EQ(http_exchange("GET", c.base_url() + "/v1/health").status, 200);
  // One JSON object.
  auto r =
      http_exchange("POST", url, to_json(beacon_for(f.install, Attestation::token, 0)), k_json);
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, R"({"ok":true,"count":1})");
  // A batch with one invalid line is refused whole.
  std::string batch = lines(f.install, Attestation::token, 1, 3) + R"({"schema_version":"v1"})";
  r = http_exchange("POST", url, batch, k_ndjson);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("ok":false)"), std::string::npos);
  EXPECT_NE(r.body.find("line 3"), std::string::npos) << r.body;
  EXPECT_EQ(stored(f.options.db_path), 1);
  // Over 100 lines: 413.
  EXPECT_EQ(
      http_exchange("POST", url, lines(f.install, Attestation::token, 0, 101), k_ndjson).status,
      413);
  // Another token for a pinned install: 401.
  Install impostor = f.install;
  impostor.install_hmac = std::string(64, 'e');
  EXPECT_EQ(http_exchange("POST", url, to_json(beacon_for(impostor, Attestation::token, 5)), k_json)
                .status,
            401);
  // Rate limit 5: a batch of 6 stores 4 more (5 in all), then 429 saying how many it kept.
  r = http_exchange("POST", url, lines(f.install, Attestation::token, 10, 16), k_ndjson);
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find(R"("stored":4)"), std::string::npos) << r.body;
  EXPECT_NE(r.headers.find("Retry-After:"), std::string::npos) << r.headers;
  EXPECT_EQ(stored(f.options.db_path), 5);
  // Forget: the wrong proof is refused; the right one deletes the install's rows.
  EXPECT_EQ(http_exchange("POST", c.base_url() + "/v1/forget",
                          R"({"install_id":")" + f.install.install_id + R"(","install_hmac":")" +
                              std::string(64, 'e') + "\"}",
                          k_json)
                .status,
            401);
  const auto forgot = forget_install(c.base_url(), f.install, Attestation::token);
  EXPECT_EQ(forgot.status, 202) << forgot.error;
  ASSERT_TRUE(forgot.deleted);  // done at once here, and said so
  EXPECT_EQ(*forgot.deleted, 5);
  EXPECT_FALSE(forgot.queued);
  EXPECT_EQ(stored(f.options.db_path), 0);
}

TEST(Collector, MessageModeVerifiesEveryBeacon) {
  Fixture f;
  f.options.attestation = Attestation::message;
  Collector c(f.options);
  c.start();
  const std::string url = c.base_url() + "/v1/beacon";
  const std::string signed_beacon = to_json(beacon_for(f.install, Attestation::message, 1));
  // Unknown install: register first.
  EXPECT_EQ(http_exchange("POST", url, signed_beacon, k_json).status, 401);
  const std::string reg =
      R"({"install_id":")" + f.install.install_id + R"(","secret":")" + f.install.secret + "\"}";
  EXPECT_EQ(http_exchange("POST", c.base_url() + "/v1/register", reg, k_json).status, 200);
  EXPECT_EQ(http_exchange("POST", url, signed_beacon, k_json).status, 202);
  // Any altered field breaks the signature.
  std::string altered = signed_beacon;
  altered.replace(altered.find("\"latency_ms_total\":1001"), 23, "\"latency_ms_total\":1002");
  EXPECT_EQ(http_exchange("POST", url, altered, k_json).status, 401);
  // The token alone does not sign anything in message mode.
  EXPECT_EQ(
      http_exchange("POST", url, to_json(beacon_for(f.install, Attestation::token, 2)), k_json)
          .status,
      401);
  // Registration is trust on first contact: another secret for the same install is refused.
  Install other = create_install(f.dir.file("other.json"));
  other.install_id = f.install.install_id;
  EXPECT_EQ(http_exchange(
                "POST", c.base_url() + "/v1/register",
                R"({"install_id":")" + other.install_id + R"(","secret":")" + other.secret + "\"}",
                k_json)
                .status,
            401);
  EXPECT_EQ(stored(f.options.db_path), 1);
  EXPECT_EQ(forget_install(c.base_url(), other, Attestation::message).status, 401);
  EXPECT_EQ(forget_install(c.base_url(), f.install, Attestation::message).status, 202);
  EXPECT_EQ(stored(f.options.db_path), 0);
}

TEST(Sender, EveryBeaconExactlyOnceThrough429sAnd5xx) {
  Fixture f;
  f.options.rate_limit = 10;  // per second here, to keep the test short
  f.options.window = std::chrono::milliseconds(1000);
  // Injected failures on some posts (nothing stored for those), on top of real 429s: the
  // sender below believes it may send 25 a second, so the collector cuts its batches.
  f.options.inject = [](std::uint64_t n) -> std::optional<int> {
    if (n == 0) {
      return 503;
    }
    if (n == 2) {
      return 500;
    }
    if (n == 3) {
      return 429;
    }
    return std::nullopt;
  };
  Collector c(f.options);
  c.start();
  const std::string run_db = f.dir.file("runs.db");
  enqueue(run_db, f.install, bodies(f.install, 30));
  SenderOptions o;
  o.url = c.base_url();
  o.install = f.install;
  o.per_minute = 25;
  o.window = std::chrono::milliseconds(1000);
  o.wait = std::chrono::milliseconds(30'000);
  o.backoff_first = std::chrono::milliseconds(50);
  const auto r = send_outbox(run_db, o);
  EXPECT_EQ(r.sent, 30);
  EXPECT_EQ(r.left, 0);
  EXPECT_EQ(r.dropped, 0);
  EXPECT_GE(c.beacon_posts(), 5u);
  // Exactly once: 30 rows, 30 distinct beacons.
  EXPECT_EQ(stored(f.options.db_path), 30);
  llmbench::store::OpenOptions raw;
  raw.run_schema = false;
  auto cdb = Database::open(f.options.db_path, raw);
  auto st = cdb.prepare("SELECT COUNT(DISTINCT total_ms) FROM beacons");
  st.step();
  EXPECT_EQ(st.int64(0), 30);
  auto db = Database::open(run_db);
  EXPECT_EQ(outbox_counts(db).sent, 30);
  // Nothing queued: another send posts nothing.
  const auto again = send_outbox(run_db, o);
  EXPECT_EQ(again.posts, 0);
}

TEST(Sender, A400DropsTheBatchAndA401Stops) {
  Fixture f;
  Collector c(f.options);
  c.start();
  const std::string run_db = f.dir.file("runs.db");
  enqueue(run_db, f.install, {R"({"schema_version":"v1"})"});
  SenderOptions o;
  o.url = c.base_url();
  o.install = f.install;
  o.wait = std::chrono::milliseconds(5000);
  auto r = send_outbox(run_db, o);
  EXPECT_EQ(r.dropped, 1);
  ASSERT_TRUE(r.last_error);
  EXPECT_NE(r.last_error->find("HTTP 400"), std::string::npos) << *r.last_error;
  auto db = Database::open(run_db);
  EXPECT_EQ(outbox_counts(db).dropped, 1);
  EXPECT_TRUE(outbox_counts(db).last_error);
  // Pin the install under another token, then send: 401 stops the sender and says so.
  Install impostor = f.install;
  impostor.install_hmac = std::string(64, 'e');
  ASSERT_EQ(http_exchange("POST", c.base_url() + "/v1/beacon",
                          to_json(beacon_for(impostor, Attestation::token, 0)), k_json)
                .status,
            202);
  enqueue(run_db, f.install, {to_json(beacon_for(f.install, Attestation::token, 1))});
  r = send_outbox(run_db, o);
  EXPECT_TRUE(r.unauthorized);
  EXPECT_EQ(r.left, 1);
  EXPECT_TRUE(outbox_counts(db).stopped);
  const auto posts = c.beacon_posts();
  EXPECT_TRUE(send_outbox(run_db, o).unauthorized);  // stays stopped without posting
  EXPECT_EQ(c.beacon_posts(), posts);
}

TEST(Dashboard, KAnonymityIsExactAtKMinusOneAndK) {
  Fixture f;
  Collector c(f.options);
  c.start();
  const std::string url = c.base_url() + "/v1/beacon";
  // Bucket A (model a, hour 03): 4 beacons; bucket B (model b, hour 03): 5 beacons.
  std::string batch;
  for (int i = 0; i < 4; ++i) {
    batch += to_json(beacon_for(f.install, Attestation::token, i, "model-a")) + "\n";
  }
  for (int i = 0; i < 5; ++i) {
    batch += to_json(beacon_for(f.install, Attestation::token, 10 + i, "model-b")) + "\n";
  }
  ASSERT_EQ(http_exchange("POST", url, batch, k_ndjson).status, 202);
  c.stop();
  const auto at5 = build_dashboard(f.options.db_path, 5);
  EXPECT_EQ(at5.beacons, 9);
  EXPECT_EQ(at5.buckets, 2);
  EXPECT_EQ(at5.suppressed_buckets, 1);
  EXPECT_EQ(at5.suppressed_beacons, 4);
  ASSERT_EQ(at5.latency.size(), 1u);
  EXPECT_EQ(at5.latency[0].model, "model-b");
  EXPECT_EQ(at5.latency[0].n, 5);
  EXPECT_EQ(at5.latency[0].p50, 1012);
  ASSERT_EQ(at5.cost.size(), 1u);
  EXPECT_EQ(at5.cost[0].model, "model-b");
  ASSERT_EQ(at5.errors.size(), 1u);
  EXPECT_EQ(at5.errors[0].n, 5);
  const std::string md = dashboard_markdown(at5);
  EXPECT_EQ(md.find("model-a"), std::string::npos);  // suppressed everywhere
  const auto at4 = build_dashboard(f.options.db_path, 4);
  EXPECT_EQ(at4.suppressed_buckets, 0);
  ASSERT_EQ(at4.latency.size(), 2u);
  EXPECT_EQ(at4.latency[0].model, "model-a");
  EXPECT_EQ(build_dashboard(f.options.db_path, 6).latency.size(), 0u);
}

TEST(Sender, A413MakesBatchesSmaller) {
  Fixture f;
  f.options.max_batch = 5;  // stricter than the public ingest's 100
  Collector c(f.options);
  c.start();
  const std::string run_db = f.dir.file("runs.db");
  enqueue(run_db, f.install, bodies(f.install, 12));
  SenderOptions o;
  o.url = c.base_url();
  o.install = f.install;
  o.wait = std::chrono::milliseconds(5000);
  const auto r = send_outbox(run_db, o);
  EXPECT_EQ(r.sent, 12);
  EXPECT_EQ(r.left, 0);
  EXPECT_EQ(stored(f.options.db_path), 12);
}

// -- against the public ingest's semantics (collect --compat f3dx-worker) --------------------

TEST(WorkerCompat, AnswersAsThePublicIngestDoes) {
  Fixture f;
  f.options.compat = Compat::f3dx_worker;
  f.options.rate_limit = 3;
  Collector c(f.options);
  c.start();
  const std::string url = c.base_url() + "/v1/beacon";
  // A batch over the limit: stored beacon by beacon up to it, then a 429 with no count.
  auto r = http_exchange("POST", url, lines(f.install, Attestation::token, 0, 5), k_ndjson);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body, R"({"ok":false,"error":"rate limit exceeded for install_id"})");
  EXPECT_EQ(stored(f.options.db_path), 3);
  // No registration; health offers no partial counts.
  EXPECT_EQ(http_exchange("POST", c.base_url() + "/v1/register", "{}", k_json).status, 404);
  EXPECT_EQ(http_exchange("GET", c.base_url() + "/v1/health").body.find("partial_counts"),
            std::string::npos);
  // Forget is recorded, not done: the rows stay.
  const auto forgot = forget_install(c.base_url(), f.install, Attestation::token);
  EXPECT_EQ(forgot.status, 202) << forgot.error;
  EXPECT_TRUE(forgot.queued);
  EXPECT_FALSE(forgot.deleted);
  EXPECT_EQ(stored(f.options.db_path), 3);
  // The first install_hmac is pinned: any other is 401 (message HMACs differ per beacon).
  Fixture other;
  Install same_id = other.install;
  same_id.install_id = f.install.install_id;
  EXPECT_EQ(forget_install(c.base_url(), same_id, Attestation::token).status, 401);
}

TEST(WorkerCompat, TheSenderPostsOneBeaconPerRequestAndNeverTwice) {
  Fixture f;
  f.options.compat = Compat::f3dx_worker;
  f.options.rate_limit = 10;
  f.options.window = std::chrono::milliseconds(1000);
  Collector c(f.options);
  c.start();
  const std::string run_db = f.dir.file("runs.db");
  enqueue(run_db, f.install, bodies(f.install, 25));
  SenderOptions o;
  o.url = c.base_url();
  o.install = f.install;
  o.per_minute = 12;  // more than the collector takes: 429s will come, one beacon at a time
  o.window = std::chrono::milliseconds(1000);
  o.wait = std::chrono::milliseconds(30'000);
  o.backoff_first = std::chrono::milliseconds(100);
  const auto r = send_outbox(run_db, o);
  EXPECT_EQ(r.sent, 25);
  EXPECT_EQ(r.uncertain, 0);
  EXPECT_EQ(r.left, 0);
  EXPECT_GE(c.beacon_posts(), 25u);  // one per request, plus the refused ones
  EXPECT_EQ(stored(f.options.db_path), 25);
  llmbench::store::OpenOptions raw;
  raw.run_schema = false;
  auto cdb = Database::open(f.options.db_path, raw);
  auto st = cdb.prepare("SELECT COUNT(DISTINCT total_ms) FROM beacons");
  st.step();
  EXPECT_EQ(st.int64(0), 25);
}

TEST(WorkerCompat, MessageAttestationFallsBackToTokenAndNothingIsRefused) {
  Fixture f;
  f.options.compat = Compat::f3dx_worker;
  Collector c(f.options);
  c.start();
  const std::string run_db = f.dir.file("runs.db");
  std::vector<std::string> signed_bodies;
  for (int i = 0; i < 8; ++i) {
    signed_bodies.push_back(to_json(beacon_for(f.install, Attestation::message, i)));
  }
  enqueue(run_db, f.install, signed_bodies);
  SenderOptions o;
  o.url = c.base_url();
  o.install = f.install;
  o.attestation = Attestation::message;
  o.wait = std::chrono::milliseconds(5000);
  const auto r = send_outbox(run_db, o);
  EXPECT_FALSE(r.unauthorized);
  EXPECT_EQ(r.sent, 8);
  EXPECT_EQ(r.attestation, Attestation::token);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("has no /v1/register"), std::string::npos);
  EXPECT_EQ(stored(f.options.db_path), 8);
  EXPECT_EQ(stored(f.options.db_path,
                   "body LIKE '%\"install_hmac\":\"" + f.install.install_hmac + "\"%'"),
            8);  // every one carries the token
}

// A request whose answer never came, and one a killed sender left mid-post, may be stored:
// they are marked uncertain and never sent again.
TEST(Sender, BeaconsOfUncertainFateAreNeverResent) {
  Fixture f;
  Collector c(f.options);
  c.start();
  const std::string run_db = f.dir.file("runs.db");
  enqueue(run_db, f.install, bodies(f.install, 4));
  {
    auto db = Database::open(run_db);
    db.exec("UPDATE beacon_outbox SET state = 'posting' WHERE id <= 2");
  }
  SenderOptions o;
  o.url = c.base_url();
  o.install = f.install;
  o.wait = std::chrono::milliseconds(5000);
  const auto r = send_outbox(run_db, o);
  EXPECT_EQ(r.uncertain, 2);
  EXPECT_EQ(r.sent, 2);
  EXPECT_EQ(stored(f.options.db_path), 2);
  auto db = Database::open(run_db);
  EXPECT_EQ(outbox_counts(db).uncertain, 2);
  EXPECT_EQ(send_outbox(run_db, o).posts, 0);  // nothing left to send
}

TEST(Sender, ARequestThatGotNoAnswerIsUncertainAndOneThatNeverLeftIsRetried) {
  for (const std::string& no_answer : {std::string("RESET"), std::string()}) {
    SCOPED_TRACE(no_answer.empty() ? "empty reply" : "reset");
    Fixture f;
    // Request 0 is the health probe; then the server reads each beacon and hangs up.
    llmbench::testing::ScriptedServer server([&](int n) {
      return n == 0 ? llmbench::testing::ScriptedServer::json_response(200, "OK", R"({"ok":true})")
                    : no_answer;
    });
    const std::string run_db = f.dir.file("runs.db");
    enqueue(run_db, f.install, bodies(f.install, 3));
    SenderOptions o;
    o.url = server.url();
    o.install = f.install;
    o.wait = std::chrono::milliseconds(3000);
    o.backoff_first = std::chrono::milliseconds(50);
    const auto r = send_outbox(run_db, o);
    EXPECT_EQ(r.sent, 0);
    EXPECT_EQ(r.uncertain, 3);  // one per request, each possibly stored
    EXPECT_EQ(r.left, 0);
    EXPECT_EQ(server.served(), 4);  // never twice
  }
  // A collector that is not there: nothing can have been stored, so it stays queued.
  Fixture f;
  const std::string run_db = f.dir.file("runs.db");
  enqueue(run_db, f.install, bodies(f.install, 2));
  SenderOptions o;
  o.url = "http://127.0.0.1:9";
  o.install = f.install;
  o.wait = std::chrono::milliseconds(200);
  o.backoff_first = std::chrono::milliseconds(50);
  const auto r = send_outbox(run_db, o);
  EXPECT_EQ(r.uncertain, 0);
  EXPECT_EQ(r.left, 2);
}
