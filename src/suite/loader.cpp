#include "llmbench/suite/loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "llmbench/suite/gate.hpp"
#include "llmbench/suite/prompt_file.hpp"
#include "llmbench/suite/toml_reader.hpp"
#include "llmbench/util/distribution.hpp"
#include "llmbench/util/env.hpp"
#include "llmbench/util/sha256.hpp"
#include "llmbench/util/strings.hpp"

namespace llmbench::suite {

namespace {

using detail::TableReader;
using std::string_view_literals::operator""sv;

constexpr std::array k_root_keys = {"suite"sv,   "defaults"sv, "load"sv, "targets"sv, "routes"sv,
                                    "prompts"sv, "slo"sv,      "gate"sv, "cache"sv,   "beacon"sv};
constexpr std::array k_route_keys = {"name"sv,    "policy"sv,      "members"sv,
                                     "hedge_k"sv, "hedge_delay"sv, "max_extra_load"sv,
                                     "commit"sv,  "timeout"sv,     "measure_members"sv};
constexpr std::array k_route_policies = {"sequential"sv, "hedged"sv};
constexpr std::array k_route_commits = {"first_token"sv, "complete"sv};
constexpr std::array k_beacon_keys = {"enabled"sv, "sample"sv, "max_per_run"sv, "attestation"sv};
constexpr std::array k_attestations = {"token"sv, "message"sv};
constexpr std::array k_cache_keys = {"mode"sv, "path"sv, "replay_timing"sv, "key"sv};
constexpr std::array k_cache_modes = {"off"sv, "record"sv, "replay"sv, "auto"sv};
constexpr std::array k_cache_key_modes = {"semantic"sv, "full"sv};
constexpr std::array k_gate_keys = {"fail_on"sv, "fail_on_regression"sv};
constexpr std::array k_suite_keys = {"name"sv, "description"sv, "store_content"sv};
#define LLMBENCH_REQUEST_KEYS \
  "model"sv, "max_tokens"sv, "temperature"sv, "top_p"sv, "stop"sv, "system"sv, "stream"sv, "extra"sv
constexpr std::array k_defaults_keys = {LLMBENCH_REQUEST_KEYS};
constexpr std::array k_target_keys = {
    "name"sv,  "provider"sv, "base_url"sv, "api_key_env"sv, "headers"sv,
    "price"sv, "region"sv,   "mock"sv,     "beacon"sv,      LLMBENCH_REQUEST_KEYS};
constexpr std::array k_prompt_keys = {"id"sv,         "messages"sv,    "prompt"sv, "file"sv,
                                      "max_tokens"sv, "temperature"sv, "top_p"sv,  "stop"sv,
                                      "system"sv,     "stream"sv,      "extra"sv};
#undef LLMBENCH_REQUEST_KEYS
constexpr std::array k_load_keys = {"mode"sv,          "concurrency"sv,     "max_in_flight"sv,
                                    "rate"sv,          "rates"sv,           "steps"sv,
                                    "requests"sv,      "duration"sv,        "warmup"sv,
                                    "timeout"sv,       "connect_timeout"sv, "ttft_timeout"sv,
                                    "order"sv,         "prompt_order"sv,    "seed"sv,
                                    "retry"sv,         "max_retries"sv,     "abort_after_errors"sv,
                                    "engine_threads"sv};
constexpr std::array k_message_keys = {"role"sv, "content"sv};
constexpr std::array k_mock_keys = {"ttft"sv, "itl"sv,    "output_tokens"sv,
                                    "seed"sv, "faults"sv, "timings"sv};
constexpr std::array k_providers = {"openai"sv, "anthropic"sv, "mock"sv};
constexpr std::array k_modes = {"concurrency"sv, "rate"sv, "poisson"sv, "sweep"sv};
constexpr std::array k_orders = {"sequential"sv, "interleaved"sv};
constexpr std::array k_prompt_orders = {"round_robin"sv, "shuffle"sv};
constexpr std::array k_roles = {"system"sv, "developer"sv, "user"sv, "assistant"sv, "tool"sv};

// Long enough for any real endpoint; checked before the URL is looked at.
constexpr std::size_t k_max_url_length = 2048;

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// http:// or https://, a host (name, IPv4, or [IPv6]) with an optional port, then an
// optional path without spaces. A scan, not a regex: outside input gets linear time.
bool is_http_url(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return false;
  }
  const std::size_t slash = rest.find('/');
  const std::string_view host = rest.substr(0, slash);
  if (host.empty()) {
    return false;
  }
  for (const char c : host) {
    if (!is_ascii_alnum(c) && std::string_view(".-_~[]:").find(c) == std::string_view::npos) {
      return false;
    }
  }
  if (slash != std::string_view::npos) {
    for (const char c : rest.substr(slash)) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        return false;
      }
    }
  }
  return true;
}

// A POSIX-shell variable name: a letter or underscore, then letters, digits, underscores.
bool is_env_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || (name[0] >= '0' && name[0] <= '9')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_ascii_alnum(c) || c == '_'; });
}

const std::vector<std::string_view>& slo_keys() {
  static const std::vector<std::string_view> keys = [] {
    static std::vector<std::string> storage;
    for (const char* metric : {"ttft", "e2e", "itl", "tpot"}) {
      for (const char* p : {"p50", "p90", "p95", "p99", "max"}) {
        storage.push_back(fmt::format("{}_{}_ms", metric, p));
      }
    }
    storage.emplace_back("error_rate_max");
    storage.emplace_back("enforce");
    return std::vector<std::string_view>(storage.begin(), storage.end());
  }();
  return keys;
}

class Loader {
 public:
  Loader(const std::string& path, const LoadOptions& options, Diagnostics& diags)
      : m_path(path), m_options(options), m_diags(diags) {}

  std::optional<Suite> load(const std::string& text) {
    toml::table root;
    try {
      root = toml::parse(text, m_path);
    } catch (const toml::parse_error& e) {
      m_diags.error(detail::pos_of(m_path, e.source()),
                    fmt::format("TOML syntax: {}", e.description()));
      return std::nullopt;
    }
    Suite suite;
    suite.path = m_path;
    suite.text = text;
    m_hash_parts.push_back(text);

    TableReader top(root, "the suite", m_path, m_diags, k_root_keys);
    top.check_unknown_keys();
    read_suite_table(top, suite);
    if (const auto* t = top.table("defaults")) {
      TableReader r(*t, "[defaults]", m_path, m_diags, k_defaults_keys);
      read_request_params(r, suite.defaults);
      r.check_unknown_keys();
    }
    if (const auto* t = top.table("load")) {
      read_load(*t, suite.load);
    } else {
      m_diags.error(top.pos(),
                    "the suite has no [load] table (e.g. mode = \"concurrency\", "
                    "concurrency = 4, requests = 100)");
    }
    read_targets(top, suite);
    read_routes(top, suite);
    read_prompts(top, suite);
    if (const auto* t = top.table("slo")) {
      read_slo(*t, suite.slo);
    }
    if (const auto* t = top.table("gate")) {
      TableReader r(*t, "[gate]", m_path, m_diags, k_gate_keys);
      r.check_unknown_keys();
      suite.gates.pos = r.pos("fail_on");
      if (const auto* a = r.array("fail_on")) {
        for (const auto& n : *a) {
          if (const auto v = n.value<std::string>()) {
            if (const auto gate = parse_gate(*v); !gate) {
              r.error("fail_on", "[gate] fail_on " + gate.error());
            }
            suite.gates.fail_on.push_back(*v);
          } else {
            r.error("fail_on", "fail_on holds strings such as \"ttft.p95>+10%\"");
          }
        }
      }
      suite.gates.fail_on_regression = r.boolean("fail_on_regression").value_or(false);
    }
    warn_unmeasured(suite);
    if (const auto* t = top.table("cache")) {
      read_cache(*t, suite.cache);
    }
    if (const auto* t = top.table("beacon")) {
      TableReader r(*t, "[beacon]", m_path, m_diags, k_beacon_keys);
      r.check_unknown_keys();
      suite.beacon.enabled = r.boolean("enabled").value_or(false);
      suite.beacon.sample = r.number("sample", 0.0, 1.0).value_or(1.0);
      suite.beacon.max_per_run = r.integer("max_per_run", 1, 1'000'000'000);
      if (auto a = r.choice("attestation", k_attestations)) {
        suite.beacon.attestation = *a;
      }
    }
    suite.hash = util::sha256_hex(m_hash_parts);
    if (m_diags.has_errors()) {
      return std::nullopt;
    }
    return suite;
  }

 private:
  void read_suite_table(TableReader& top, Suite& suite) {
    const auto* t = top.table("suite");
    if (t == nullptr) {
      if (!top.has("suite")) {
        m_diags.error(top.pos(), "the suite has no [suite] table with a name");
      }
      return;
    }
    TableReader r(*t, "[suite]", m_path, m_diags, k_suite_keys);
    r.require("name");
    suite.name = r.string("name").value_or("");
    if (r.has("name") && suite.name.empty()) {
      r.error("name", "name in [suite] must not be empty");
    }
    suite.description = r.string("description").value_or("");
    suite.store_content = r.boolean("store_content").value_or(false);
    r.check_unknown_keys();
  }

  void read_request_params(TableReader& r, RequestParams& p) {
    if (auto model = r.string("model")) {
      p.model = detail::expand_env(*model, r.pos("model"), m_diags, allowed_env());
    }
    p.max_tokens = r.integer("max_tokens", 1, k_max_tokens_limit);
    p.temperature = r.number("temperature", 0.0, 2.0);
    p.top_p = r.number("top_p", 0.0, 1.0);
    p.system = r.string("system");
    p.stream = r.boolean("stream");
    if (const auto* n = r.node("stop")) {
      std::vector<std::string> stops;
      if (const auto s = n->value<std::string>()) {
        stops.push_back(*s);
      } else if (const auto* a = n->as_array(); a && a->is_homogeneous(toml::node_type::string)) {
        for (const auto& item : *a) {
          stops.push_back(*item.value<std::string>());
        }
      } else {
        r.error("stop",
                fmt::format("stop in {} must be a string or an array of strings", r.what()));
      }
      p.stop = std::move(stops);
    }
    if (const auto* extra = r.table("extra")) {
      for (const auto& [k, v] : *extra) {
        p.extra.emplace_back(std::string(k.str()), detail::toml_to_json(v));
      }
    }
  }

  void read_load(const toml::table& t, LoadProfile& load) {
    TableReader r(t, "[load]", m_path, m_diags, k_load_keys);
    r.check_unknown_keys();
    r.require("mode");
    if (const auto mode = r.choice("mode", k_modes)) {
      load.mode = *mode == "concurrency" ? LoadMode::concurrency
                  : *mode == "rate"      ? LoadMode::rate
                  : *mode == "poisson"   ? LoadMode::poisson
                                         : LoadMode::sweep;
    }
    load.concurrency = r.integer("concurrency", 1, 1'000'000).value_or(1);
    load.max_in_flight = r.integer("max_in_flight", 1, 1'000'000);
    load.rate = r.number("rate", 1e-6, 1e7).value_or(0.0);
    if (const auto* rates = r.array("rates")) {
      for (const auto& n : *rates) {
        const auto v = n.value<double>();
        if (!v || *v <= 0) {
          m_diags.error(detail::pos_of(m_path, n.source()),
                        "rates in [load] must be positive numbers (requests/s)");
          continue;
        }
        load.rates.push_back(*v);
      }
    }
    load.steps = r.integer("steps", 1, 1000).value_or(0);
    load.requests = r.integer("requests", 1, INT64_MAX);
    load.duration = r.duration("duration");
    load.warmup = r.integer("warmup", 0, 1'000'000).value_or(0);
    load.timeout = r.duration("timeout").value_or(load.timeout);
    load.connect_timeout = r.duration("connect_timeout").value_or(load.connect_timeout);
    load.ttft_timeout = r.duration("ttft_timeout");
    if (const auto order = r.choice("order", k_orders)) {
      load.order = *order == "interleaved" ? TargetOrder::interleaved : TargetOrder::sequential;
    }
    if (const auto order = r.choice("prompt_order", k_prompt_orders)) {
      load.prompt_order = *order == "shuffle" ? PromptOrder::shuffle : PromptOrder::round_robin;
    }
    load.seed = static_cast<std::uint64_t>(r.integer("seed", 0, INT64_MAX).value_or(0));
    load.retry = r.boolean("retry").value_or(false);
    load.max_retries = r.integer("max_retries", 0, 100).value_or(3);
    load.abort_after_errors =
        r.integer("abort_after_errors", 0, 1'000'000).value_or(load.abort_after_errors);
    load.engine_threads = static_cast<int>(r.integer("engine_threads", 0, 64).value_or(0));

    if (!r.has("requests") && !r.has("duration")) {
      m_diags.error(r.pos(), "[load] needs requests = N or duration = \"2m\" (when to stop)");
    }
    if (load.ttft_timeout && load.ttft_timeout->count() <= 0) {
      r.error("ttft_timeout", "ttft_timeout in [load] must be longer than 0");
    }
    if (load.timeout.count() <= 0 || load.connect_timeout.count() <= 0) {
      r.error(load.timeout.count() <= 0 ? "timeout" : "connect_timeout",
              "timeouts in [load] must be longer than 0");
    }
    const bool open_loop = load.mode == LoadMode::rate || load.mode == LoadMode::poisson;
    if (open_loop && !r.has("rate")) {
      r.error("mode", fmt::format("mode \"{}\" needs rate = <requests per second> in [load]",
                                  to_string(load.mode)));
    }
    if (load.mode == LoadMode::sweep && !r.has("rates") && !r.has("steps")) {
      r.error("mode", "mode \"sweep\" needs rates = [..] or steps = N (up to saturation)");
    }
    const auto unused = [&](std::string_view key, std::string_view used_by) {
      if (r.has(key)) {
        r.warning(key, fmt::format("{} is ignored in mode \"{}\" (it is for {})", key,
                                   to_string(load.mode), used_by));
      }
    };
    if (load.mode == LoadMode::concurrency) {
      unused("rate", "rate and poisson");
      unused("max_in_flight", "open-loop modes");
    }
    if (load.mode != LoadMode::sweep) {
      unused("rates", "sweep");
      unused("steps", "sweep");
    }
    if (open_loop || load.mode == LoadMode::sweep) {
      unused("concurrency", "concurrency mode; open loops take max_in_flight");
    }
  }

  void read_targets(TableReader& top, Suite& suite) {
    const auto* targets = top.array("targets");
    if (targets == nullptr || targets->empty()) {
      if (!top.has("targets") || targets != nullptr) {
        m_diags.error(top.pos(), "the suite has no [[targets]] (each needs name and provider)");
      }
      return;
    }
    std::map<std::string, SourcePos> seen;
    int index = 0;
    for (const auto& node : *targets) {
      ++index;
      const auto* t = node.as_table();
      if (t == nullptr) {
        m_diags.error(detail::pos_of(m_path, node.source()),
                      "each [[targets]] entry must be a table");
        continue;
      }
      Target target;
      if (read_target(*t, index, suite, target)) {
        if (const auto it = seen.find(target.name); it != seen.end()) {
          m_diags.error(target.pos, fmt::format("duplicate target name \"{}\" (first at line {})",
                                                target.name, it->second.line));
          continue;
        }
        seen.emplace(target.name, target.pos);
        suite.targets.push_back(std::move(target));
      }
    }
  }

  void read_routes(TableReader& top, Suite& suite) {
    const auto* routes = top.array("routes");
    if (routes == nullptr) {
      return;
    }
    int index = 0;
    for (const auto& node : *routes) {
      ++index;
      const auto* t = node.as_table();
      if (t == nullptr) {
        m_diags.error(detail::pos_of(m_path, node.source()),
                      "each [[routes]] entry must be a table");
        continue;
      }
      Route route;
      if (!read_route(*t, index, suite, route)) {
        continue;
      }
      for (const auto& other : suite.routes) {
        if (other.name == route.name) {
          m_diags.error(route.pos, fmt::format("duplicate route name \"{}\" (first at line {})",
                                               route.name, other.pos.line));
        }
      }
      suite.routes.push_back(std::move(route));
    }
  }

  bool read_route(const toml::table& t, int index, const Suite& suite, Route& route) {
    TableReader r(t, fmt::format("[[routes]] #{}", index), m_path, m_diags, k_route_keys);
    const std::size_t errors_before = m_diags.error_count();
    r.check_unknown_keys();
    r.require("name");
    r.require("policy");
    r.require("members");
    route.pos = r.pos();
    route.name = r.string("name").value_or("");
    if (r.has("name") && route.name.empty()) {
      r.error("name", "a route needs a name");
    }
    if (suite.find_target(route.name) != nullptr) {
      r.error("name", fmt::format("\"{}\" is a target's name already: a route needs a name of "
                                  "its own (reports list both)",
                                  route.name));
    }
    if (const auto policy = r.choice("policy", k_route_policies)) {
      route.policy = *policy == "hedged" ? RoutePolicy::hedged : RoutePolicy::sequential;
    }
    if (const auto* members = r.array("members")) {
      for (const auto& m : *members) {
        const auto name = m.value<std::string>();
        if (!name) {
          r.error("members", "members holds target names, e.g. members = [\"a\", \"b\"]");
          break;
        }
        if (*name == route.name) {
          r.error("members", fmt::format("route \"{}\" names itself as a member", *name));
          continue;
        }
        const Target* target = suite.find_target(*name);
        if (target == nullptr) {
          std::vector<std::string_view> names;
          for (const auto& known : suite.targets) {
            names.push_back(known.name);
          }
          const auto near = util::closest_match(*name, names);
          r.error("members",
                  fmt::format("unknown member \"{}\": members are targets of this suite{}", *name,
                              near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
          continue;
        }
        if (std::find(route.members.begin(), route.members.end(), *name) != route.members.end()) {
          r.error("members", fmt::format("\"{}\" is a member twice", *name));
          continue;
        }
        route.members.push_back(*name);
        route.members_index.push_back(static_cast<std::size_t>(target - suite.targets.data()));
      }
      if (members->empty()) {
        r.error("members", "a route needs at least one member");
      }
    }
    const bool hedged = route.policy == RoutePolicy::hedged;
    for (const std::string_view key : {"hedge_k"sv, "hedge_delay"sv, "max_extra_load"sv}) {
      if (!hedged && r.has(key)) {
        r.warning(key, fmt::format("{} applies to policy = \"hedged\" only", key));
      }
    }
    if (const auto k = r.integer("hedge_k", 1, 64)) {
      route.hedge_k = *k;
      if (hedged && !route.members.empty() &&
          *k > static_cast<std::int64_t>(route.members.size())) {
        r.error("hedge_k", fmt::format("hedge_k = {} is more than the route's {} member{}", *k,
                                       route.members.size(), route.members.size() == 1 ? "" : "s"));
      }
    }
    route.hedge_k =
        std::min<std::int64_t>(route.hedge_k, std::max<std::size_t>(1, route.members.size()));
    if (const auto* n = r.node("hedge_delay"); n != nullptr) {
      const auto text = n->value<std::string>();
      if (text && text->size() > 1 && (*text)[0] == 'p') {
        double q = 0;
        const auto [ptr, ec] = std::from_chars(text->data() + 1, text->data() + text->size(), q);
        if (ec != std::errc() || ptr != text->data() + text->size() || q <= 0 || q >= 100) {
          r.error("hedge_delay", fmt::format("hedge_delay \"{}\": a quantile is p50 .. p99.9 of "
                                             "the route's own TTFT",
                                             *text));
        } else {
          route.hedge_quantile = q;
        }
      } else {
        route.hedge_delay = r.duration("hedge_delay");
      }
    } else {
      route.hedge_delay = util::Nanos(0);  // f3dx-router's race
    }
    route.max_extra_load = r.number("max_extra_load", 0.0, 1.0);
    if (const auto commit = r.choice("commit", k_route_commits)) {
      route.commit = *commit == "complete" ? RouteCommit::complete : RouteCommit::first_token;
    }
    route.timeout = r.duration("timeout");
    route.measure_members = r.boolean("measure_members").value_or(false);
    return m_diags.error_count() == errors_before;
  }

  bool read_target(const toml::table& t, int index, const Suite& suite, Target& target) {
    TableReader r(t, fmt::format("[[targets]] #{}", index), m_path, m_diags, k_target_keys);
    const std::size_t errors_before = m_diags.error_count();
    r.claim("api_key");
    r.check_unknown_keys();
    if (r.has("api_key")) {
      r.error("api_key",
              "API keys never go in a suite file: set api_key_env = \"NAME\" and put "
              "the key in that environment variable");
    }
    r.require("name");
    r.require("provider");
    target.pos = r.pos();
    target.name = r.string("name").value_or("");
    if (r.has("name") && target.name.empty()) {
      r.error("name", "a target name must not be empty");
    }
    const auto provider = r.choice("provider", k_providers);
    if (provider) {
      target.provider = *provider_from_string(*provider);
      if (m_options.untrusted && m_options.untrusted->mock_only &&
          target.provider != Provider::mock) {
        r.error("provider", fmt::format("this service runs mock targets only (--mock-only): "
                                        "set provider = \"mock\" on {}",
                                        r.what()));
      }
    }
    read_request_params(r, target.params);
    if (!target.params.model && suite.defaults.model) {
      target.params.model = suite.defaults.model;
    }
    if (!target.params.model) {
      if (target.provider == Provider::mock) {
        target.params.model = target.name;
      } else if (provider) {
        r.error("provider", fmt::format("{} has no model (set model = \"...\" on the target or in "
                                        "[defaults])",
                                        r.what()));
      }
    }
    read_base_url(r, target);
    read_api_key_env(r, target);
    if (const auto* headers = r.table("headers")) {
      for (const auto& [k, v] : *headers) {
        const auto value = v.value<std::string>();
        if (!value) {
          m_diags.error(detail::pos_of(m_path, v.source()),
                        fmt::format("header \"{}\" must be a string", k.str()));
        } else if (value->find("${") != std::string::npos) {
          m_diags.error(detail::pos_of(m_path, v.source()),
                        fmt::format("header \"{}\" may not use ${{...}}: secrets belong in "
                                    "api_key_env, and other headers are written out in full",
                                    k.str()));
        } else {
          target.headers.emplace_back(std::string(k.str()), *value);
        }
      }
    }
    target.price = r.price("price");
    if (auto region = r.string("region")) {
      target.region = detail::expand_env(*region, r.pos("region"), m_diags, allowed_env());
      if (target.region && target.region->size() > 32) {
        r.error("region", "region must be at most 32 characters (a code such as \"us-east-1\")");
      }
    }
    target.beacon = r.boolean("beacon");
    if (const auto* mock = r.table("mock")) {
      if (target.provider != Provider::mock) {
        r.warning("mock", "mock settings are ignored unless provider = \"mock\"");
      }
      TableReader mr(*mock, fmt::format("mock of {}", r.what()), m_path, m_diags, k_mock_keys);
      mr.check_unknown_keys();
      read_mock_delay(mr, "ttft", target.mock.ttft, target.mock.ttft_spec);
      read_mock_delay(mr, "itl", target.mock.itl, target.mock.itl_spec);
      if (const auto* n = mr.node("output_tokens"); n != nullptr && n->is_string()) {
        // A distribution of counts, as `llmbench mock --output-tokens` takes.
        const std::string text = *n->value<std::string>();
        if (auto d = util::Distribution::parse(text, false); !d) {
          mr.error("output_tokens", "output_tokens " + d.error());
        } else if (d->kind() == util::Distribution::Kind::fixed && d->spike_probability() == 0) {
          mr.error("output_tokens", "output_tokens: write a fixed count as a number (64)");
        } else {
          target.mock.output_tokens_spec = text;
          target.mock.output_tokens =
              std::clamp<std::int64_t>(std::llround(d->mean()), 1, 1'000'000);
        }
      } else {
        target.mock.output_tokens =
            mr.integer("output_tokens", 1, 1'000'000).value_or(target.mock.output_tokens);
      }
      target.mock.seed = static_cast<std::uint64_t>(mr.integer("seed", 0, INT64_MAX).value_or(1));
      static constexpr std::array k_timings = {"llama.cpp"sv, "none"sv};
      target.mock.llamacpp_timings = mr.choice("timings", k_timings) == "llama.cpp";
      if (const auto* faults = mr.table("faults")) {
        const auto& names = mock_fault_names();
        TableReader fr(*faults, fmt::format("mock faults of {}", r.what()), m_path, m_diags, names);
        double total = 0;
        for (const auto name : names) {
          if (const auto p = fr.number(name, 0.0, 1.0)) {
            target.mock.faults.emplace_back(std::string(name), *p);
            total += *p;
          }
        }
        fr.check_unknown_keys();
        if (total > 1.0 + 1e-9) {
          mr.error("faults", fmt::format("fault probabilities add up to {}, more than 1", total));
        }
      }
    }
    return m_diags.error_count() == errors_before;
  }

  void read_base_url(TableReader& r, Target& target) {
    auto url = r.string("base_url");
    if (!url) {
      if (target.provider == Provider::openai) {
        target.base_url = "https://api.openai.com/v1";
      } else if (target.provider == Provider::anthropic) {
        target.base_url = "https://api.anthropic.com/v1";
      }
      return;
    }
    if (target.provider == Provider::mock) {
      r.warning("base_url",
                "base_url is ignored for provider \"mock\" (it runs in-process on a "
                "loopback port)");
      return;
    }
    const auto expanded = detail::expand_env(*url, r.pos("base_url"), m_diags, allowed_env());
    if (!expanded) {
      return;
    }
    if (expanded->size() > k_max_url_length) {
      r.error("base_url", fmt::format("base_url is {} characters long; at most {} are allowed",
                                      expanded->size(), k_max_url_length));
      return;
    }
    if (!is_http_url(*expanded)) {
      r.error("base_url", fmt::format("base_url \"{}\" is not an http:// or https:// URL with a "
                                      "host (e.g. \"https://api.openai.com/v1\")",
                                      *expanded));
      return;
    }
    target.base_url = *expanded;
    while (!target.base_url.empty() && target.base_url.back() == '/') {
      target.base_url.pop_back();
    }
  }

  void read_api_key_env(TableReader& r, Target& target) {
    const auto name = r.string("api_key_env");
    if (!name) {
      return;
    }
    if (!is_env_name(*name)) {
      r.error("api_key_env", fmt::format("api_key_env names an environment variable (e.g. "
                                         "\"OPENAI_API_KEY\"), not \"{}\"",
                                         name->size() > 12 ? name->substr(0, 4) + "..." : *name));
      return;
    }
    target.api_key_env = *name;
    if (const auto* allowed = allowed_env();
        allowed != nullptr &&
        std::find(allowed->begin(), allowed->end(), *name) == allowed->end()) {
      r.error("api_key_env",
              fmt::format("api_key_env {} is not a variable this service lets suites use "
                          "(allowed: {}; the service's --allow-key-env lists them)",
                          *name, allowed->empty() ? "none" : util::join(*allowed, ", ")));
      return;
    }
    if (target.provider == Provider::mock || util::getenv_str(name->c_str())) {
      return;
    }
    const std::string message = fmt::format(
        "api_key_env: environment variable {} is not set (export it before "
        "`llmbench run`)",
        *name);
    if (m_options.require_api_keys) {
      r.error("api_key_env", message);
    } else {
      r.warning("api_key_env", message);
    }
  }

  void read_prompts(TableReader& top, Suite& suite) {
    const auto* prompts = top.array("prompts");
    const std::size_t errors_before = m_diags.error_count();
    std::map<std::string, SourcePos> seen;
    const auto add = [&](Prompt&& p) {
      if (const auto it = seen.find(p.id); it != seen.end()) {
        m_diags.error(p.pos, fmt::format("duplicate prompt id \"{}\" (first at {}:{})", p.id,
                                         it->second.file, it->second.line));
        return;
      }
      seen.emplace(p.id, p.pos);
      suite.prompts.push_back(std::move(p));
    };
    int index = 0;
    if (prompts != nullptr) {
      for (const auto& node : *prompts) {
        ++index;
        const auto* t = node.as_table();
        if (t == nullptr) {
          m_diags.error(detail::pos_of(m_path, node.source()),
                        "each [[prompts]] entry must be a table");
          continue;
        }
        read_prompt_entry(*t, index, add);
      }
    }
    if (prompts == nullptr && !top.has("prompts")) {
      m_diags.error(top.pos(),
                    "the suite has no prompts: add [[prompts]] with messages, or file = "
                    "\"prompts.jsonl\"");
    } else if (prompts != nullptr && suite.prompts.empty() &&
               m_diags.error_count() == errors_before) {
      m_diags.error(detail::pos_of(m_path, prompts->source()), "the prompt set is empty");
    }
  }

  const std::vector<std::string>* allowed_env() const {
    return m_options.untrusted ? &m_options.untrusted->allowed_env : nullptr;
  }

  // Where a prompt file is: beside the suite, or for an untrusted suite inside the data
  // folder only (nullopt, with an error, when it may not be read).
  std::optional<std::string> prompt_file_path(TableReader& r, const std::string& file) {
    if (!m_options.untrusted) {
      const std::filesystem::path base = std::filesystem::path(m_path).parent_path();
      return (base / file).lexically_normal().string();
    }
    const std::string& root = m_options.untrusted->data_dir;
    if (root.empty()) {
      r.error("file",
              "this service reads no prompt files (start it with --data-dir DIR to "
              "allow files under DIR), or write the prompts into the suite");
      return std::nullopt;
    }
    const std::filesystem::path rel = std::filesystem::path(file).lexically_normal();
    std::error_code ec;
    const auto canonical_root = std::filesystem::weakly_canonical(root, ec);
    const auto full = std::filesystem::weakly_canonical(std::filesystem::path(root) / rel, ec);
    const auto inside = [&] {
      auto f = full.begin();
      for (auto it = canonical_root.begin(); it != canonical_root.end(); ++it, ++f) {
        if (it->empty()) {
          continue;  // a trailing separator
        }
        if (f == full.end() || *f != *it) {
          return false;
        }
      }
      return true;
    };
    if (rel.is_absolute() || rel.empty() || *rel.begin() == ".." || ec || !inside()) {
      r.error("file", fmt::format("file \"{}\" is outside the service's data folder: give a "
                                  "path relative to --data-dir that stays inside it",
                                  file));
      return std::nullopt;
    }
    return full.string();
  }

  template <typename Add>
  void read_prompt_entry(const toml::table& t, int index, const Add& add) {
    TableReader r(t, fmt::format("[[prompts]] #{}", index), m_path, m_diags, k_prompt_keys);
    r.check_unknown_keys();
    const std::size_t errors_before = m_diags.error_count();
    const int sources = int{r.has("messages")} + int{r.has("prompt")} + int{r.has("file")};
    if (sources != 1) {
      m_diags.error(r.pos(),
                    fmt::format("{} needs exactly one of messages, prompt or file", r.what()));
      return;
    }
    Prompt shared;
    read_request_params(r, shared.params);
    if (r.has("file")) {
      if (r.has("id")) {
        r.warning("id", "id is ignored with file = (each line has its own id)");
      }
      const auto file = r.string("file");
      if (!file || m_diags.error_count() != errors_before) {
        return;
      }
      const auto full_path = prompt_file_path(r, *file);
      if (!full_path) {
        return;
      }
      const std::string& full = *full_path;
      std::string content;
      auto prompts = read_prompt_file(full, r.pos("file"), m_diags, content);
      m_hash_parts.push_back(content);
      for (auto& p : prompts) {
        RequestParams params = shared.params;
        params.overlay(p.params);  // a line's own fields beat the [[prompts]] entry's
        p.params = std::move(params);
        add(std::move(p));
      }
      return;
    }
    Prompt p = std::move(shared);
    p.pos = r.pos();
    r.require("id");
    if (const auto* id = r.node("id")) {
      if (const auto s = id->value<std::string>(); s && id->is_string()) {
        p.id = *s;
      } else if (const auto* i = id->as_integer()) {
        p.id = std::to_string(i->get());
      } else {
        r.error("id", "id must be a string or an integer");
      }
    }
    if (const auto text = r.string("prompt")) {
      p.messages.push_back({"user", *text, ""});
    } else if (const auto* messages = r.array("messages")) {
      read_messages(*messages, r.what(), p);
    }
    if (r.has("messages") && p.messages.empty() && m_diags.error_count() == errors_before) {
      r.error("messages", "messages is empty");
    }
    if (m_diags.error_count() == errors_before) {
      add(std::move(p));
    }
  }

  void read_messages(const toml::array& messages, const std::string& what, Prompt& p) {
    int index = 0;
    for (const auto& node : messages) {
      ++index;
      const auto* m = node.as_table();
      if (m == nullptr) {
        m_diags.error(detail::pos_of(m_path, node.source()),
                      fmt::format("message {} of {} must be a table {{ role = \"user\", content = "
                                  "\"...\" }}",
                                  index, what));
        continue;
      }
      TableReader r(*m, fmt::format("message {} of {}", index, what), m_path, m_diags,
                    k_message_keys);
      r.check_unknown_keys();
      r.require("role");
      r.require("content");
      Message msg;
      if (const auto role = r.choice("role", k_roles)) {
        msg.role = *role;
      }
      if (const auto* content = r.node("content")) {
        if (const auto s = content->value<std::string>(); s && content->is_string()) {
          msg.text = *s;
        } else if (const auto* parts = content->as_array()) {
          msg.content_json = detail::toml_to_json(*parts);
          for (const auto& part : *parts) {
            if (const auto* pt = part.as_table()) {
              msg.text += (*pt)["text"].value_or(std::string());
            }
          }
        } else {
          r.error("content", "content must be a string or an array of content parts");
        }
      }
      p.messages.push_back(std::move(msg));
    }
  }

  void read_cache(const toml::table& t, CacheConfig& cache) {
    TableReader r(t, "[cache]", m_path, m_diags, k_cache_keys);
    r.check_unknown_keys();
    if (const auto mode = r.choice("mode", k_cache_modes)) {
      cache.mode = cache_mode_from_string(*mode).value_or(CacheMode::off);
      if (m_options.untrusted && cache.mode != CacheMode::off) {
        r.error("mode",
                "this service does not use the response cache: remove [cache] or set "
                "mode = \"off\"");
      }
    }
    if (auto path = r.string("path")) {
      if (path->empty()) {
        r.error("path", "path in [cache] must not be empty (default: .llmbench/cache.db)");
      } else {
        if (auto expanded = detail::expand_env(*path, r.pos("path"), m_diags, allowed_env())) {
          cache.path = *expanded;
        }
      }
    }
    if (auto timing = r.string("replay_timing")) {
      if (auto parsed = replay_timing_from_string(*timing)) {
        cache.timing = *parsed;
      } else {
        r.error("replay_timing", fmt::format("replay_timing \"{}\" is not one of \"none\", "
                                             "\"recorded\" or \"scale:F\" (e.g. \"scale:0.5\")",
                                             *timing));
      }
    }
    if (const auto key = r.choice("key", k_cache_key_modes)) {
      cache.full_key = *key == "full";
    }
  }

  // A mock delay: a duration as before ("20ms"), or a distribution spec
  // ("lognormal:20ms,0.8", "spike:20ms,2%,800ms"), which the mock draws per request.
  void read_mock_delay(TableReader& r, std::string_view key, util::Nanos& fixed,
                       std::string& spec) {
    const auto* n = r.node(key);
    if (n == nullptr || !n->is_string() || util::parse_duration(*n->value<std::string>())) {
      fixed = r.duration(key).value_or(fixed);  // (a wrong type is reported here)
      return;
    }
    const std::string text = *n->value<std::string>();
    if (auto d = util::Distribution::parse(text, true); !d) {
      r.error(key, std::string(key) + " " + d.error());
    } else {
      spec = text;
      fixed = util::Nanos(std::llround(d->mean()));
    }
  }

  // An SLO or gate on TTFT, ITL, TPOT or tokens/s cannot judge a target that asks for
  // non-streaming answers: those figures are not measured for them (docs/metrics.md).
  void warn_unmeasured(const Suite& suite) {
    std::vector<std::string> unstreamed;
    for (const auto& target : suite.targets) {
      for (const auto& prompt : suite.prompts) {
        if (!suite.effective_params(target, prompt).stream.value_or(true)) {
          unstreamed.push_back(target.name);
          break;
        }
      }
    }
    if (unstreamed.empty()) {
      return;
    }
    std::string names;
    for (const auto& n : unstreamed) {
      names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", n);
    }
    const auto message = [&](std::string_view what, std::string_view metric) {
      return fmt::format(
          "{} needs {}, which is not measured for non-streaming requests (stream = false) of "
          "{}: it will not judge them; set stream = true there, or judge e2e instead",
          what, metric, names);
    };
    for (const auto& s : suite.slo.latency) {
      if (s.metric == "ttft" || s.metric == "tpot" || s.metric == "itl") {
        m_diags.warning(m_slo_pos[s.key], message(fmt::format("[slo] {}", s.key), s.metric));
      }
    }
    for (const auto& text : suite.gates.fail_on) {
      const auto gate = parse_gate(text);
      if (gate && (gate->metric == "ttft" || gate->metric == "tpot" || gate->metric == "itl" ||
                   gate->metric == "tps")) {
        m_diags.warning(suite.gates.pos,
                        message(fmt::format("[gate] fail_on \"{}\"", text), gate->metric));
      }
    }
  }

  void read_slo(const toml::table& t, Slo& slo) {
    const auto& keys = slo_keys();
    TableReader r(t, "[slo]", m_path, m_diags, keys);
    r.check_unknown_keys();
    for (const auto key : keys) {
      if (!key.ends_with("_ms") || !r.has(key)) {
        continue;
      }
      const auto limit = r.number(key, 1e-6, 1e9);
      if (!limit) {
        continue;
      }
      const auto parts = util::split(key, '_');  // metric, pNN|max, ms
      const double percentile = parts[1] == "max" ? 100.0 : std::stod(parts[1].substr(1));
      slo.latency.push_back({std::string(key), parts[0], percentile, *limit});
      m_slo_pos[std::string(key)] = r.pos(key);
    }
    slo.error_rate_max = r.number("error_rate_max", 0.0, 1.0);
    slo.enforce = r.boolean("enforce").value_or(false);
  }

  const std::string& m_path;
  const LoadOptions& m_options;
  std::map<std::string, SourcePos> m_slo_pos;  // where each [slo] latency key was written
  Diagnostics& m_diags;
  std::vector<std::string> m_hash_parts;
};

}  // namespace

LoadResult load_suite_text(const std::string& text, const std::string& path,
                           const LoadOptions& options) {
  LoadResult result;
  Loader loader(path, options, result.diagnostics);
  result.suite = loader.load(text);
  result.diagnostics.sort();
  return result;
}

LoadResult load_suite(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec)) {
    LoadResult result;
    result.diagnostics.error(SourcePos{path, 1, 1},
                             fmt::format("cannot read suite file {} (check the path)", path));
    return result;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return load_suite_text(buf.str(), path, options);
}

}  // namespace llmbench::suite
