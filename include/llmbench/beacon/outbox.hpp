#pragma once
// The beacon outbox (table `beacon_outbox` in the run database) and its sender.
//
// Beacons enter the outbox in the same transaction as their request rows (the store's batch
// writer does it), so a crash loses neither. The sender drains it in batches sized to what
// the per-minute limit still allows (so a 429 cannot split a batch), marks a batch sent only
// after the collector's 202, backs off on 429 / 5xx / network errors, drops a batch the
// collector refuses with 400 (recording why: it is a bug to report), and stops on 401 until
// the user acts. What is left waits for the next run or `llmbench beacon send`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "llmbench/beacon/identity.hpp"
#include "llmbench/store/database.hpp"

namespace llmbench::beacon {

// Where beacons go unless --beacon-url or LLMBENCH_BEACON_URL says otherwise: the public
// f3dx-bench ingest.
inline constexpr std::string_view k_default_url = "https://f3dx-bench.smigolsmigol.workers.dev";

struct OutboxCounts {
  std::int64_t queued = 0;
  std::int64_t sent = 0;
  std::int64_t dropped = 0;
  std::optional<std::string> last_error;
  std::optional<std::string> stopped;  // why sending stopped (a 401), until `beacon send`
};

OutboxCounts outbox_counts(store::Database& db);
// Queued beacons (id, JSON), oldest first; only `run_id`'s when given.
std::vector<std::pair<std::int64_t, std::string>> queued_beacons(
    store::Database& db, const std::optional<std::string>& run_id = std::nullopt);
// Deletes every queued beacon (forget, opt-out); returns how many.
std::int64_t clear_queued(store::Database& db);

struct SenderOptions {
  std::string url;  // the collector's base URL (endpoints /v1/...)
  Install install;
  Attestation attestation = Attestation::token;
  std::int64_t per_minute = 60;  // the collector's limit per install
  std::chrono::milliseconds window{60'000};
  std::int64_t max_batch = 100;
  std::chrono::milliseconds wait{10'000};  // give up (leaving the rest queued) after this
  std::chrono::milliseconds backoff_first{500};
  std::chrono::milliseconds backoff_max{30'000};
  bool retry_after_unauthorized = false;  // `beacon send`: try again after an earlier 401
};

struct SendReport {
  std::int64_t sent = 0;
  std::int64_t dropped = 0;
  std::int64_t left = 0;
  std::int64_t posts = 0;
  bool unauthorized = false;
  std::optional<std::string> last_error;
};

SendReport send_outbox(const std::string& db_path, const SenderOptions& options);

// POST /v1/forget for the install. Returns the collector's status (202 on success) and a
// message for anything else.
std::pair<long, std::string> forget_install(const std::string& url, const Install& install,
                                            Attestation attestation);

// The proof of identity for /v1/forget: the token itself (token mode), or
// HMAC(secret, canonical {"install_id": ...}) (message mode).
std::string forget_proof(const Install& install, Attestation attestation);

}  // namespace llmbench::beacon
