#pragma once
// Whether a run sends beacons, and with which identity, endpoint and attestation: shared by
// `llmbench run` and `llmbench beacon` (docs/privacy.md).

#include <chrono>
#include <optional>
#include <string>

#include "llmbench/beacon/builder.hpp"
#include "llmbench/beacon/identity.hpp"
#include "llmbench/beacon/outbox.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::cli {

struct BeaconFlags {
  bool beacon = false;       // run --beacon: opt in for this run
  std::string url;           // --beacon-url
  std::string install_file;  // --install-file
  std::string wait = "10s";  // run --beacon-wait
};

// Where beacons go: --beacon-url, else $LLMBENCH_BEACON_URL, else the public ingest.
std::string beacon_url(const BeaconFlags& f);
std::string install_path(const BeaconFlags& f);
// The marker `beacon optout` leaves: opt-ins from the environment and suites are ignored.
std::string optout_marker_path();

// Opted in by --beacon, [beacon] enabled = true, LLMBENCH_BEACON_OPTIN=1 or
// F3DX_BENCH_OPTIN=1 (the last three not after `beacon optout`, which --beacon undoes).
bool opted_in(const BeaconFlags& f, const suite::Suite* suite);

// How to send for this install: endpoint, identity, attestation, and the send budget shared
// by every process and database using the identity (beside the install file). The window
// is the collector's minute, or LLMBENCH_BEACON_WINDOW_MS (for tests against a collector
// started with a shorter --window).
beacon::SenderOptions sender_options(const BeaconFlags& f, const beacon::Install& install,
                                     beacon::Attestation attestation);
// Prints what a send did that the user must know: fallbacks, beacons of uncertain fate.
void print_send_notes(const beacon::SendReport& r);

// The install identity, made on first use; the first time, prints what is sent, where and
// how to forget (to stderr).
beacon::Install ensure_install(const BeaconFlags& f, bool quiet);

}  // namespace llmbench::cli
