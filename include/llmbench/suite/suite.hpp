#pragma once
// The validated, immutable model of a suite file (docs/suite.md is the user reference).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llmbench/pricing/pricing.hpp"
#include "llmbench/suite/diagnostics.hpp"

namespace llmbench::suite {

using Nanos = std::chrono::nanoseconds;

struct Message {
  std::string role;          // system | developer | user | assistant | tool
  std::string text;          // the text of the content (parts joined), for token estimates
  std::string content_json;  // the content as JSON when it is structured (parts); else empty
};

// The largest max_tokens a suite, prompt file or trace bundle may ask for.
inline constexpr std::int64_t k_max_tokens_limit = 10'000'000;

// Request fields; any may be unset. Layered: [defaults] < prompt < target.
struct RequestParams {
  std::optional<std::string> model;
  std::optional<std::int64_t> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<std::vector<std::string>> stop;
  std::optional<std::string> system;
  std::optional<bool> stream;
  // Extra body fields passed through unchanged, as (key, JSON value text); later layers win
  // key by key.
  std::vector<std::pair<std::string, std::string>> extra;

  void overlay(const RequestParams& over);
};

enum class Provider { openai, anthropic, mock };
std::string_view to_string(Provider p);
std::optional<Provider> provider_from_string(std::string_view s);

// What an in-process mock target scripts (the mock server grows distributions later).
struct MockScript {
  Nanos ttft{std::chrono::milliseconds(20)};
  Nanos itl{std::chrono::milliseconds(5)};
  std::int64_t output_tokens = 64;
  // A distribution spec (util/distribution.hpp: "lognormal:20ms,0.8", "spike:20ms,2%,800ms")
  // in place of the fixed value above, when the suite wrote one; output_tokens then holds
  // its mean, for the plan's estimates.
  std::string ttft_spec;
  std::string itl_spec;
  std::string output_tokens_spec;
  std::uint64_t seed = 1;
  // Fault name (as `llmbench mock --fault`) and probability per request.
  std::vector<std::pair<std::string, double>> faults;
  // timings = "llama.cpp": answers carry llama-server's `timings` with the scripted times.
  bool llamacpp_timings = false;
};

// The fault names the mock server injects (server/mock_profile.hpp keeps the same list).
const std::vector<std::string_view>& mock_fault_names();

struct Target {
  std::string name;
  Provider provider = Provider::openai;
  std::string base_url;     // ${ENV} expanded; empty for mock (it picks a loopback port)
  std::string api_key_env;  // the variable holding the key; the key itself is never stored
  std::vector<std::pair<std::string, std::string>> headers;
  RequestParams params;  // per-target overrides; params.model is always set after loading
  std::optional<pricing::Price> price;  // overrides the price book
  std::optional<std::string> region;
  // Beacons from a target at a loopback or private address need `beacon = true`; `false`
  // keeps any target out of beacons.
  std::optional<bool> beacon;
  MockScript mock;
  SourcePos pos;

  const std::string& model() const { return *params.model; }
};

struct Prompt {
  std::string id;
  std::vector<Message> messages;
  RequestParams params;
  SourcePos pos;
};

enum class LoadMode { concurrency, rate, poisson, sweep };
enum class TargetOrder { sequential, interleaved };
enum class PromptOrder { round_robin, shuffle };
std::string_view to_string(LoadMode m);

struct LoadProfile {
  LoadMode mode = LoadMode::concurrency;
  std::int64_t concurrency = 1;               // closed loop: requests kept in flight
  std::optional<std::int64_t> max_in_flight;  // open loop: optional cap
  double rate = 0;                            // open loop: requests per second
  std::vector<double> rates;                  // sweep: explicit steps
  std::int64_t steps = 0;                     // sweep: steps up to measured saturation
  std::optional<std::int64_t> requests;       // per target (per step in a sweep)
  std::optional<Nanos> duration;              // per target (per step in a sweep)
  std::int64_t warmup = 0;                    // per target, sent and stored, not measured
  Nanos timeout{std::chrono::seconds(60)};    // whole request
  Nanos connect_timeout{std::chrono::seconds(10)};
  std::optional<Nanos> ttft_timeout;  // unset: only `timeout` applies
  TargetOrder order = TargetOrder::sequential;
  PromptOrder prompt_order = PromptOrder::round_robin;
  std::uint64_t seed = 0;
  bool retry = false;  // honour Retry-After on 429 (off: a benchmark wants to see the 429s)
  std::int64_t max_retries = 3;
  // A target whose first N requests all failed with one hard class (connection refused or
  // unresolved, HTTP 401, 403, 404) stops sending; the rest of the run goes on. 0 = never.
  std::int64_t abort_after_errors = 20;
  // The engine's event-loop threads (net::EngineOptions::threads); 0: chosen from the core
  // count (net::default_engine_threads). How the client runs, not what load it offers.
  int engine_threads = 0;
};

struct SloThreshold {
  std::string key;     // as written, e.g. "ttft_p95_ms"
  std::string metric;  // ttft | e2e | itl | tpot
  double percentile;   // 50, 90, 95, 99, or 100 for max
  double limit_ms;
};

struct Slo {
  std::vector<SloThreshold> latency;
  std::optional<double> error_rate_max;
  bool enforce = false;
  bool empty() const { return latency.empty() && !error_rate_max; }
};

// [gate]: what `run --baseline` (and `report diff` of this suite's runs) fails on. The gate
// expressions are checked by report::parse_gate when a run starts.
struct Gates {
  std::vector<std::string> fail_on;  // "ttft.p95>+10%", "errors>+1pp", ...
  bool fail_on_regression = false;
  SourcePos pos;
};

// [cache]: the response cache (docs/cache.md). `run` flags override each field.
enum class CacheMode { off, record, replay, automatic };  // "auto" in the suite and on flags
std::string_view to_string(CacheMode m);
std::optional<CacheMode> cache_mode_from_string(std::string_view s);

// How a replayed stream is paced: at once, at its recorded offsets, or at offsets x scale.
struct ReplayTiming {
  enum class Kind { none, recorded, scaled };
  Kind kind = Kind::none;
  double scale = 1.0;  // offsets are multiplied by this (recorded: 1)
};
// "none" | "recorded" | "scale:F" (F > 0); nothing when the text is none of these.
std::optional<ReplayTiming> replay_timing_from_string(std::string_view s);

struct CacheConfig {
  CacheMode mode = CacheMode::off;
  std::string path = ".llmbench/cache.db";
  ReplayTiming timing;
  bool full_key = false;  // key = "full": hash the body unchanged
};

// [beacon]: opt-in anonymized latency beacons (docs/privacy.md).
struct BeaconConfig {
  bool enabled = false;
  double sample = 1.0;  // the share of eligible requests beaconed (deterministic per request)
  std::optional<std::int64_t> max_per_run;
  std::string attestation = "token";  // token | message
};

// [[routes]]: one request sent over several targets of the suite (docs/routes.md), measured
// like a target. The members are targets by name (members_index: their places in
// Suite::targets, set by the loader).
enum class RoutePolicy { sequential, hedged };
enum class RouteCommit { first_token, complete };
struct Route {
  std::string name;
  RoutePolicy policy = RoutePolicy::sequential;
  std::vector<std::string> members;
  std::vector<std::size_t> members_index;
  std::int64_t hedge_k = 2;              // hedged: attempts at most, 1..members
  std::optional<Nanos> hedge_delay;      // hedged: after this long without a commit
  std::optional<double> hedge_quantile;  // ... or this quantile of the route's own TTFT
  std::optional<double> max_extra_load;  // hedged: hedges per request at most (a budget)
  RouteCommit commit = RouteCommit::first_token;
  std::optional<Nanos> timeout;  // of each member's attempt ([load] timeout if unset)
  bool measure_members = false;  // the members are also measured alone
  SourcePos pos;
};
std::string_view to_string(RoutePolicy p);

struct Suite {
  std::string path;  // as given
  std::string text;  // the suite file's text, as read
  std::string hash;  // sha256 of the suite text and every prompt file it reads (hex)
  std::string name;
  std::string description;
  bool store_content = false;
  RequestParams defaults;
  LoadProfile load;
  std::vector<Target> targets;
  std::vector<Route> routes;
  std::vector<Prompt> prompts;
  Slo slo;
  Gates gates;
  CacheConfig cache;
  BeaconConfig beacon;

  // The fields sent for `prompt` to `target`: [defaults], then the prompt's, then the target's.
  RequestParams effective_params(const Target& target, const Prompt& prompt) const;
  const Target* find_target(std::string_view target_name) const;
  // Whether target `index` is measured on its own: unless it is a member of a route and no
  // route it belongs to asks for measure_members.
  bool measured_alone(std::size_t index) const;
};

}  // namespace llmbench::suite
