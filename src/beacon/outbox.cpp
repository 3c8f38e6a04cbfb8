#include "llmbench/beacon/outbox.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <thread>

#include "llmbench/beacon/ledger.hpp"
#include "llmbench/cache/jcs.hpp"
#include "llmbench/net/http_call.hpp"
#include "llmbench/util/hex.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::beacon {

namespace {

std::string state_value(store::Database& db, std::string_view key) {
  auto st = db.prepare("SELECT value FROM beacon_state WHERE key = ?");
  st.bind(1, std::string(key));
  return st.step() ? st.text(0) : "";
}

void set_state(store::Database& db, std::string_view key, const std::string& value) {
  auto st = db.prepare(
      "INSERT INTO beacon_state (key, value) VALUES (?, ?) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  st.bind(1, std::string(key)).bind(2, value);
  st.step();
}

void clear_state(store::Database& db, std::string_view key) {
  auto st = db.prepare("DELETE FROM beacon_state WHERE key = ?");
  st.bind(1, std::string(key));
  st.step();
}

void mark(store::Database& db, const std::vector<std::int64_t>& ids, std::string_view state,
          std::int64_t at_ms, const std::optional<std::string>& error) {
  if (ids.empty()) {
    return;
  }
  db.transaction([&] {
    auto st =
        db.prepare("UPDATE beacon_outbox SET state = ?, sent_at_ms = ?, error = ? WHERE id = ?");
    for (const auto id : ids) {
      st.reset();
      st.bind(1, std::string(state)).bind(2, at_ms).bind(3, error).bind(4, id);
      st.step();
    }
  });
}

// The collector's {"error": ...} (or the body itself, shortened).
std::string error_of(const net::HttpReply& reply) {
  if (reply.status == 0) {
    return fmt::format("no answer: {}", reply.message);
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view text;
  if (parser.parse(simdjson::padded_string(reply.body)).get(doc) == simdjson::SUCCESS &&
      doc["error"].get_string().get(text) == simdjson::SUCCESS) {
    return fmt::format("HTTP {}: {}", reply.status, text);
  }
  return fmt::format("HTTP {}: {}", reply.status, reply.body.substr(0, 200));
}

net::HttpRequest post(const std::string& url, std::string_view path, std::string body,
                      std::string_view content_type) {
  net::HttpRequest req;
  req.method = "POST";
  std::string base = url;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  req.url = base + std::string(path);
  req.headers.emplace_back("content-type", std::string(content_type));
  req.body = std::move(body);
  req.connect_timeout = std::chrono::seconds(5);
  req.total_timeout = std::chrono::seconds(20);
  return req;
}

}  // namespace

OutboxCounts outbox_counts(store::Database& db) {
  OutboxCounts c;
  auto st = db.prepare(
      "SELECT COALESCE(SUM(state = 'queued'), 0), COALESCE(SUM(state = 'sent'), 0), "
      "COALESCE(SUM(state = 'dropped'), 0), COALESCE(SUM(state = 'uncertain'), 0) "
      "FROM beacon_outbox");
  st.step();
  c.queued = st.int64(0);
  c.sent = st.int64(1);
  c.dropped = st.int64(2);
  c.uncertain = st.int64(3);
  if (auto e = state_value(db, "last_error"); !e.empty()) {
    c.last_error = e;
  }
  if (auto s = state_value(db, "stopped"); !s.empty()) {
    c.stopped = s;
  }
  return c;
}

std::vector<std::pair<std::int64_t, std::string>> queued_beacons(
    store::Database& db, const std::optional<std::string>& run_id) {
  auto st = db.prepare(run_id ? "SELECT id, body FROM beacon_outbox WHERE state = 'queued' AND "
                                "run_id = ? ORDER BY id"
                              : "SELECT id, body FROM beacon_outbox WHERE state = 'queued' "
                                "ORDER BY id");
  if (run_id) {
    st.bind(1, *run_id);
  }
  std::vector<std::pair<std::int64_t, std::string>> out;
  while (st.step()) {
    out.emplace_back(st.int64(0), st.text(1));
  }
  return out;
}

std::int64_t clear_queued(store::Database& db) {
  db.exec("DELETE FROM beacon_outbox WHERE state = 'queued'");
  return db.changes();
}

std::string forget_proof(const Install& install, Attestation attestation) {
  if (attestation == Attestation::token) {
    return install.install_hmac;
  }
  std::string body;
  util::JsonObject o(body);
  o.str("install_id", install.install_id);
  o.close();
  return hmac_sha256_hex(util::from_hex(install.secret), *cache::canonicalize(body));
}

ForgetReply forget_install(const std::string& url, const Install& install,
                           Attestation attestation) {
  std::string body;
  util::JsonObject o(body);
  o.str("install_id", install.install_id);
  o.str("install_hmac", forget_proof(install, attestation));
  o.close();
  const auto reply = net::http_call(post(url, "/v1/forget", body, "application/json"));
  ForgetReply out;
  out.status = reply.status;
  if (reply.status != 202) {
    out.error = error_of(reply);
    return out;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(simdjson::padded_string(reply.body)).get(doc) == simdjson::SUCCESS) {
    bool queued = false;
    std::int64_t deleted = 0;
    if (doc["deleted"].get_int64().get(deleted) == simdjson::SUCCESS) {
      out.deleted = deleted;
    } else if (doc["queued"].get_bool().get(queued) == simdjson::SUCCESS) {
      out.queued = queued;
    }
  }
  return out;
}

namespace {

// Whether the collector reports how much of a batch it stored before a 429 (GET /v1/health
// says "partial_counts": true). Without that, a batch cut short by the limit leaves an
// unknown prefix stored, so such a collector gets one beacon per request.
bool reports_partial_counts(const std::string& url) {
  net::HttpRequest req = post(url, "/v1/health", "", "application/json");
  req.method = "GET";
  req.body.clear();
  const auto reply = net::http_call(req);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  bool yes = false;
  return reply.status == 200 &&
         parser.parse(simdjson::padded_string(reply.body)).get(doc) == simdjson::SUCCESS &&
         doc["partial_counts"].get_bool().get(yes) == simdjson::SUCCESS && yes;
}

// The queued beacon as it goes out: attested now, with the mode in use (a fallback from
// message to token changes it after the beacon was queued).
std::string attested(const std::string& body, const Install& install, Attestation mode) {
  auto b = parse(body);
  if (!b || b->install_id != install.install_id) {
    return body;
  }
  attest(*b, install, mode);
  return to_json(*b);
}

// No answer, but was the request ever on the wire? A connection that was never made means
// the collector cannot have the beacons; anything later (a timeout after sending, a reset)
// may hide a stored batch.
bool never_reached(const net::HttpReply& reply) {
  return reply.status == 0 &&
         (reply.error == net::ErrorClass::connection ||
          reply.error == net::ErrorClass::timeout_connect) &&
         reply.message.find("reset") == std::string::npos &&
         reply.message.find("Recv failure") == std::string::npos &&
         reply.message.find("Send failure") == std::string::npos &&
         reply.message.find("Empty reply") == std::string::npos;
}

}  // namespace

SendReport send_outbox(const std::string& db_path, const SenderOptions& o) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + o.wait;
  auto db = store::Database::open(db_path);
  SendReport report;
  report.attestation = o.attestation;
  if (!state_value(db, "stopped").empty()) {
    if (!o.retry_after_unauthorized) {
      report.unauthorized = true;
      report.last_error = state_value(db, "stopped");
      report.left = outbox_counts(db).queued;
      return report;
    }
    clear_state(db, "stopped");
  }
  const auto give_up = [&](std::string why) {
    report.last_error = why;
    set_state(db, "last_error", why);
  };
  // 401: the collector refuses this install; nothing more is sent until the user acts.
  const auto refused = [&](const net::HttpReply& reply) {
    report.unauthorized = true;
    give_up(error_of(reply));
    set_state(db, "stopped", error_of(reply));
  };
  if (outbox_counts(db).queued == 0) {
    report.left = 0;
    return report;
  }
  Attestation mode = o.attestation;
  if (mode == Attestation::message) {
    // The collector learns the install's secret on first contact (docs/privacy.md).
    std::string body;
    util::JsonObject j(body);
    j.str("install_id", o.install.install_id);
    j.str("secret", o.install.secret);
    j.close();
    const auto reply = net::http_call(post(o.url, "/v1/register", body, "application/json"));
    if (reply.status == 401) {
      refused(reply);
      report.left = outbox_counts(db).queued;
      return report;
    }
    if (reply.status == 404 || reply.status == 405) {
      // No registration (the public ingest): it could never check a message HMAC, and would
      // pin the first one and refuse the rest. Send with the install's token instead.
      mode = Attestation::token;
      report.warnings.push_back(fmt::format(
          "the collector at {} has no /v1/register, so it cannot check message attestation: "
          "these beacons went with token attestation (the install's token) instead",
          o.url));
    } else if (reply.status != 200) {
      give_up(error_of(reply));
      report.left = outbox_counts(db).queued;
      return report;
    }
  }
  report.attestation = mode;
  SendLedger ledger(o.ledger_path, o.per_minute, o.window);
  std::int64_t max_batch = reports_partial_counts(o.url) ? o.max_batch : 1;
  auto backoff = o.backoff_first;
  for (;;) {
    // The whole exchange happens under the ledger's lock: the budget check, marking the
    // beacons `posting`, the POST, and booking its answer.
    auto turn = ledger.acquire();
    // Beacons a sender left `posting` were in a request when it was killed: they may be
    // stored, so they are never resent. (A live sender of this install holds the lock while
    // it posts, so every `posting` row of the install seen here is a dead one's.)
    {
      auto st = db.prepare(
          "UPDATE beacon_outbox SET state = 'uncertain', error = 'the sender stopped while "
          "posting it' WHERE state = 'posting' AND install_id = ?");
      st.bind(1, o.install.install_id);
      st.step();
      report.uncertain += db.changes();
    }
    const std::int64_t budget = turn.budget();
    if (budget <= 0) {
      // Wait until the oldest send in the window leaves it, if that is before the deadline.
      const auto free_in = std::chrono::milliseconds(
          std::max<std::int64_t>(1, turn.frees_at_ms() - util::unix_ms_now()));
      { auto released = std::move(turn); }
      if (Clock::now() + free_in > deadline) {
        break;
      }
      std::this_thread::sleep_for(free_in);
      continue;
    }
    auto st = db.prepare(
        "SELECT id, body FROM beacon_outbox WHERE state = 'queued' AND install_id = ? "
        "ORDER BY id LIMIT ?");
    st.bind(1, o.install.install_id).bind(2, std::min(budget, max_batch));
    std::vector<std::int64_t> ids;
    std::string ndjson;
    while (st.step()) {
      ids.push_back(st.int64(0));
      ndjson += attested(st.text(1), o.install, mode);
      ndjson += '\n';
    }
    if (ids.empty()) {
      break;
    }
    mark(db, ids, "posting", util::unix_ms_now(), std::nullopt);
    ++report.posts;
    const auto reply = net::http_call(post(o.url, "/v1/beacon", ndjson, "application/x-ndjson"));
    const std::int64_t at = util::unix_ms_now();
    // It counts against the limit unless it never got there or was refused whole before any
    // beacon was looked at (a malformed or oversized request).
    if (!never_reached(reply) && reply.status != 400 && reply.status != 413) {
      turn.record(static_cast<std::int64_t>(ids.size()));
    }
    const auto n = static_cast<std::int64_t>(ids.size());
    // What the answer makes certain: how many of the batch (from its start) are stored, and
    // what the rest is.
    std::int64_t stored = 0;
    std::string rest = "queued";  // not stored: sent again later
    std::optional<std::string> why;
    if (reply.status == 202) {
      stored = n;
    } else if (reply.status == 400) {
      rest = "dropped";  // an invalid beacon: a bug to report, not something a retry fixes
      why = error_of(reply);
    } else if (reply.status == 429 && n > 1) {
      // Stored beacon by beacon: the collector kept the part of the batch before the limit.
      simdjson::dom::parser parser;
      simdjson::dom::element doc;
      if (parser.parse(simdjson::padded_string(reply.body)).get(doc) == simdjson::SUCCESS &&
          doc["stored"].get_int64().get(stored) == simdjson::SUCCESS) {
        stored = std::clamp<std::int64_t>(stored, 0, n);
      } else {
        // It said nothing of what it kept: some prefix may be stored. Resending could store
        // it twice, so none of it is resent; from now on one beacon per request.
        rest = "uncertain";
        why = error_of(reply);
        max_batch = 1;
      }
    } else if (reply.status == 0 && !never_reached(reply)) {
      rest = "uncertain";  // sent, never answered: the collector may have stored it
      why = error_of(reply);
    }
    mark(db, std::vector<std::int64_t>(ids.begin(), ids.begin() + stored), "sent", at,
         std::nullopt);
    mark(db, std::vector<std::int64_t>(ids.begin() + stored, ids.end()), rest, at, why);
    { auto released = std::move(turn); }
    report.sent += stored;
    if (rest == "dropped") {
      report.dropped += n - stored;
    } else if (rest == "uncertain") {
      report.uncertain += n - stored;
    }
    if (reply.status == 202) {
      backoff = o.backoff_first;
      if (report.last_error && report.dropped == 0) {
        clear_state(db, "last_error");  // it went through after all
        report.last_error.reset();
      }
      continue;
    }
    if (reply.status == 400) {
      give_up(error_of(reply));
      continue;
    }
    if (reply.status == 401) {
      refused(reply);
      break;
    }
    if (reply.status == 413 && max_batch > 1) {
      max_batch = std::max<std::int64_t>(1, max_batch / 2);  // a stricter collector
      continue;
    }
    // 429, 5xx, or no answer: back off (honouring Retry-After) and try again.
    give_up(error_of(reply));
    auto pause = backoff;
    if (!reply.retry_after.empty()) {
      try {
        pause = std::max(pause, std::chrono::milliseconds(std::stoll(reply.retry_after) * 1000));
      } catch (const std::exception&) {
      }
    }
    if (Clock::now() + pause > deadline) {
      break;
    }
    std::this_thread::sleep_for(pause);
    backoff = std::min(backoff * 2, o.backoff_max);
  }
  report.left = outbox_counts(db).queued;
  return report;
}

}  // namespace llmbench::beacon
