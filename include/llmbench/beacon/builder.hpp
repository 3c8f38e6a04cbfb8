#pragma once
// Turns a run's stored request rows into beacons: which requests may be beaconed, and the
// exact fields each gets (docs/privacy.md).
//
// Never beaconed: warmup requests, requests answered from the response cache, requests to
// `mock` targets (synthetic numbers must not reach a public dataset), requests that got no
// HTTP status (nothing to report a status for), failures whose status is not an error status
// (a timeout or cut-off stream after a 200), and targets at a loopback or private address
// unless the suite says `beacon = true` on them (or any target with `beacon = false`).
// Optional sampling ([beacon] sample, deterministic per request) and a per-run cap.

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "llmbench/beacon/beacon.hpp"
#include "llmbench/beacon/identity.hpp"
#include "llmbench/store/batch_writer.hpp"
#include "llmbench/store/records.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::beacon {

struct TargetPlan {
  bool eligible = false;
  std::string why_not;   // when not eligible, for the run's notice
  std::string provider;  // the schema's provider
  std::string model;
  std::optional<std::string> region;
};

// What a target contributes, decided from the suite alone.
TargetPlan plan_target(const suite::Target& target);

class Builder {
 public:
  Builder(const suite::Suite& suite, std::string run_id, std::int64_t run_started_ms,
          Install install, Attestation attestation);

  // The beacon for one row, or nothing; thread-safe (the store's writer thread calls it).
  std::optional<Beacon> beacon_for(const store::RequestRow& row);
  std::optional<store::OutboxEntry> outbox_entry(const store::RequestRow& row);

  const std::map<std::string, TargetPlan>& targets() const { return m_targets; }

 private:
  std::map<std::string, TargetPlan> m_targets;
  std::set<std::pair<std::string, std::string>> m_unstreamed;  // (target, prompt) not streamed
  std::string m_run_id;
  std::int64_t m_run_started_ms;
  Install m_install;
  Attestation m_attestation;
  double m_sample;
  std::optional<std::int64_t> m_cap;
  std::atomic<std::int64_t> m_made{0};
};

}  // namespace llmbench::beacon
