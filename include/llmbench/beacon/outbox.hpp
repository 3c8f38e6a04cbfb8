#pragma once
// The beacon outbox (table `beacon_outbox` in the run database) and its sender.
//
// Beacons enter the outbox in the same transaction as their request rows (the store's batch
// writer does it), so a crash loses neither. The sender posts them so that every beacon's
// fate is certain, and none is ever sent twice (docs/privacy.md, "Exactly once"):
//   - the per-install limit is one budget for every process and database on the machine
//     (ledger.hpp), so senders sharing an identity do not overrun it together;
//   - batches go only to a collector that says, in GET /v1/health ("partial_counts": true),
//     how much of a batch it stored before a 429; any other collector (the public ingest
//     stores beacon by beacon and answers 429 with no count) gets one beacon per request, so
//     a 429 means "not stored";
//   - a beacon is marked sent only after the collector's 202; a 400 drops it (recording why:
//     a bug to report); a 401 stops sending until the user acts; a 429, 5xx or a connection
//     that never reached the collector leaves it queued for a retry after a backoff;
//   - beacons are `posting` while their request is out (under the ledger's lock); a request
//     that reached the collector but got no answer (a timeout, a reset), and one whose sender
//     was killed while it was out, may or may not have been stored: those beacons become
//     `uncertain` and are never resent.
// Message attestation needs POST /v1/register; a collector without it (404) gets the beacons
// with token attestation instead, and a warning says so. What is left waits for the next
// run or `llmbench beacon send`.

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
  std::int64_t uncertain = 0;  // posted, but no answer came: maybe stored, never resent
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
  // The shared send budget (ledger.hpp): "<install file>.sends"; "" keeps it in this process.
  std::string ledger_path;
  std::int64_t max_batch = 100;
  std::chrono::milliseconds wait{10'000};  // give up (leaving the rest queued) after this
  std::chrono::milliseconds backoff_first{500};
  std::chrono::milliseconds backoff_max{30'000};
  bool retry_after_unauthorized = false;  // `beacon send`: try again after an earlier 401
};

struct SendReport {
  std::int64_t sent = 0;
  std::int64_t dropped = 0;
  std::int64_t uncertain = 0;
  std::int64_t left = 0;
  std::int64_t posts = 0;
  bool unauthorized = false;
  std::optional<std::string> last_error;
  std::vector<std::string> warnings;             // e.g. message attestation fell back to token
  Attestation attestation = Attestation::token;  // what the beacons were sent with
};

SendReport send_outbox(const std::string& db_path, const SenderOptions& options);

// POST /v1/forget for the install.
struct ForgetReply {
  long status = 0;                      // 202 when accepted
  std::string error;                    // the collector's words for anything else
  bool queued = false;                  // only recorded, deleted later (the public ingest)
  std::optional<std::int64_t> deleted;  // deleted at once, how many (llmbench collect)
};
ForgetReply forget_install(const std::string& url, const Install& install, Attestation attestation);

// The proof of identity for /v1/forget: the token itself (token mode), or
// HMAC(secret, canonical {"install_id": ...}) (message mode).
std::string forget_proof(const Install& install, Attestation attestation);

}  // namespace llmbench::beacon
