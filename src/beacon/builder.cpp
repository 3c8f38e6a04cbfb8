#include "llmbench/beacon/builder.hpp"

#include <cmath>

#include "llmbench/util/time.hpp"

namespace llmbench::beacon {

namespace {

// A number in [0, 1) fixed by (run, request): sampling that a re-render would repeat.
double unit_hash(std::string_view run_id, std::int64_t seq) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (const char c : run_id) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  for (int i = 0; i < 8; ++i) {
    h = (h ^ ((static_cast<std::uint64_t>(seq) >> (8 * i)) & 0xFF)) * 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<double>(h >> 11) / 9007199254740992.0;
}

}  // namespace

TargetPlan plan_target(const suite::Target& t) {
  TargetPlan p;
  p.model = t.model();
  p.region = t.region;
  if (t.provider == suite::Provider::mock) {
    p.why_not = "a mock target (synthetic numbers are never beaconed)";
    return p;
  }
  if (t.beacon == std::optional<bool>(false)) {
    p.why_not = "beacon = false on the target";
    return p;
  }
  if (is_private_host(t.base_url) && t.beacon != std::optional<bool>(true)) {
    p.why_not = "a loopback or private address (say beacon = true on the target to include it)";
    return p;
  }
  p.provider = classify_provider(suite::to_string(t.provider), t.base_url);
  p.eligible = true;
  return p;
}

Builder::Builder(const suite::Suite& suite, std::string run_id, std::int64_t run_started_ms,
                 Install install, Attestation attestation)
    : m_run_id(std::move(run_id)),
      m_run_started_ms(run_started_ms),
      m_install(std::move(install)),
      m_attestation(attestation),
      m_sample(suite.beacon.sample),
      m_cap(suite.beacon.max_per_run) {
  for (const auto& t : suite.targets) {
    m_targets[t.name] = plan_target(t);
    for (const auto& p : suite.prompts) {
      if (!suite.effective_params(t, p).stream.value_or(true)) {
        m_unstreamed.emplace(t.name, p.id);
      }
    }
  }
}

std::optional<Beacon> Builder::beacon_for(const store::RequestRow& r) {
  const auto it = m_targets.find(r.target);
  if (it == m_targets.end() || !it->second.eligible || r.warmup || r.replayed || !r.status_code ||
      *r.status_code < 100 || *r.status_code > 599 || !r.t_send_ns || !r.t_done_ns) {
    return std::nullopt;
  }
  // A failure is reported only when its HTTP status says so: a timeout, a cut-off stream,
  // an error event inside a 200 stream or a cancelled request would pass for a success with
  // a wrong latency.
  if (r.error_class && *r.status_code < 400) {
    return std::nullopt;
  }
  if (m_sample < 1.0 && unit_hash(m_run_id, r.seq) >= m_sample) {
    return std::nullopt;
  }
  if (m_cap && m_made.fetch_add(1) >= *m_cap) {
    return std::nullopt;
  }
  const TargetPlan& t = it->second;
  Beacon b;
  b.ts = util::iso8601_utc_ms(m_run_started_ms + *r.t_send_ns / 1'000'000);
  b.model = t.model;
  b.provider = t.provider;
  b.region = t.region;
  b.status_code = *r.status_code;
  b.latency_ms_total = std::llround(static_cast<double>(*r.t_done_ns - *r.t_send_ns) / 1e6);
  if (r.t_first_token_ns && !m_unstreamed.contains({r.target, r.prompt_id})) {
    b.latency_ms_to_first_token =
        std::llround(static_cast<double>(*r.t_first_token_ns - *r.t_send_ns) / 1e6);
  }
  b.input_tokens = std::max<std::int64_t>(0, r.input_tokens.value_or(0));
  b.output_tokens = std::max<std::int64_t>(0, r.output_tokens.value_or(0));
  if (r.cost_usd && *r.cost_usd >= 0 && !r.error_class) {
    b.cost_usd_estimate = *r.cost_usd;
  }
  attest(b, m_install, m_attestation);
  if (validate(b)) {
    return std::nullopt;  // e.g. a model name longer than the schema allows
  }
  return b;
}

std::optional<store::OutboxEntry> Builder::outbox_entry(const store::RequestRow& row) {
  auto b = beacon_for(row);
  if (!b) {
    return std::nullopt;
  }
  return store::OutboxEntry{b->install_id, to_json(*b)};
}

}  // namespace llmbench::beacon
