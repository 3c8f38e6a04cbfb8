#include "llmbench/beacon/outbox.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <thread>

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
      "COALESCE(SUM(state = 'dropped'), 0) FROM beacon_outbox");
  st.step();
  c.queued = st.int64(0);
  c.sent = st.int64(1);
  c.dropped = st.int64(2);
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

std::pair<long, std::string> forget_install(const std::string& url, const Install& install,
                                            Attestation attestation) {
  std::string body;
  util::JsonObject o(body);
  o.str("install_id", install.install_id);
  o.str("install_hmac", forget_proof(install, attestation));
  o.close();
  const auto reply = net::http_call(post(url, "/v1/forget", body, "application/json"));
  return {reply.status, reply.status == 202 ? "" : error_of(reply)};
}

SendReport send_outbox(const std::string& db_path, const SenderOptions& o) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + o.wait;
  auto db = store::Database::open(db_path);
  SendReport report;
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
  if (o.attestation == Attestation::message && !queued_beacons(db).empty()) {
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
  }
  auto backoff = o.backoff_first;
  std::int64_t max_batch = o.max_batch;
  for (;;) {
    const std::int64_t now = util::unix_ms_now();
    auto used_st = db.prepare(
        "SELECT COUNT(*), MIN(sent_at_ms) FROM beacon_outbox WHERE state = 'sent' AND "
        "install_id = ? AND sent_at_ms > ?");
    used_st.bind(1, o.install.install_id).bind(2, now - o.window.count());
    used_st.step();
    const std::int64_t budget = o.per_minute - used_st.int64(0);
    if (budget <= 0) {
      // Wait until the oldest send in the window leaves it, if that is before the deadline.
      const auto free_at = std::chrono::milliseconds(used_st.int64(1) + o.window.count() - now + 5);
      if (Clock::now() + free_at > deadline) {
        break;
      }
      std::this_thread::sleep_for(free_at);
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
      ndjson += st.text(1);
      ndjson += '\n';
    }
    if (ids.empty()) {
      break;
    }
    ++report.posts;
    const auto reply = net::http_call(post(o.url, "/v1/beacon", ndjson, "application/x-ndjson"));
    const std::int64_t at = util::unix_ms_now();
    if (reply.status == 202) {
      mark(db, ids, "sent", at, std::nullopt);
      report.sent += static_cast<std::int64_t>(ids.size());
      backoff = o.backoff_first;
      if (report.last_error && report.dropped == 0) {
        clear_state(db, "last_error");  // it went through after all
        report.last_error.reset();
      }
      continue;
    }
    if (reply.status == 400) {
      // Our beacon was refused as invalid: a bug to report, not something a retry fixes.
      mark(db, ids, "dropped", at, error_of(reply));
      report.dropped += static_cast<std::int64_t>(ids.size());
      give_up(error_of(reply));
      continue;
    }
    if (reply.status == 401) {
      refused(reply);
      break;
    }
    if (reply.status == 429) {
      // Counted beacon by beacon: the collector may have kept the first part of the batch.
      simdjson::dom::parser parser;
      simdjson::dom::element doc;
      std::int64_t stored = 0;
      if (parser.parse(simdjson::padded_string(reply.body)).get(doc) == simdjson::SUCCESS &&
          doc["stored"].get_int64().get(stored) == simdjson::SUCCESS && stored > 0) {
        stored = std::min<std::int64_t>(stored, static_cast<std::int64_t>(ids.size()));
        mark(db, std::vector<std::int64_t>(ids.begin(), ids.begin() + stored), "sent", at,
             std::nullopt);
        report.sent += stored;
      }
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
