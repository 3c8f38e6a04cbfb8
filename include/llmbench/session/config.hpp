#pragma once
// The proxy and session config (docs/proxy.md): one TOML file that says where the proxy
// listens, which model aliases it forwards to which upstream, and what a harness benchmark is
// made of: harness profiles (how a harness is pointed at a base URL), variants (a model alias
// + a harness + its settings), experiments (sets of variants) and task cards (goal, starting
// prompt, stop condition, timebox). Read like a suite: every problem with file:line:column,
// unknown keys with the closest known one, API keys only by the name of their variable.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "llmbench/pricing/pricing.hpp"
#include "llmbench/route/router.hpp"
#include "llmbench/suite/diagnostics.hpp"
#include "llmbench/suite/suite.hpp"
#include "llmbench/util/duration.hpp"

namespace llmbench::session {

struct ProxySettings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4000;
  std::string public_url;  // what harnesses are told to use; default http://HOST:PORT
  std::uint64_t max_body = 32u << 20;
  util::Nanos connect_timeout = std::chrono::seconds(10);
  util::Nanos timeout = std::chrono::minutes(10);  // one upstream request, end to end
  bool store_content = false;
  bool allow_anonymous = false;
};

// One model alias: what clients ask for, and the upstream that answers it.
struct ModelAlias {
  std::string alias;
  suite::Provider provider = suite::Provider::openai;  // the upstream's protocol
  std::string base_url;                                // up to and including the version (…/v1)
  std::string model;  // the upstream's own name; the body's `model` is rewritten to it
  std::string api_key_env;
  std::vector<std::pair<std::string, std::string>> headers;  // sent upstream as given
  std::optional<pricing::Price> price;
  suite::SourcePos pos;
};

// A model name that is a route over aliases (docs/proxy.md, docs/routes.md): each request
// goes to its members under the policy, as a suite's [[routes]] does.
struct ProxyRoute {
  std::string name;
  route::Policy policy = route::Policy::sequential;
  std::vector<std::string> members;  // aliases, the primary first
  std::size_t hedge_k = 2;
  util::Nanos hedge_delay{0};
  route::Commit commit = route::Commit::first_token;
  suite::SourcePos pos;
};

// The harnesses `session env` knows how to point at the proxy.
enum class HarnessKind { claude_code, codex, opencode, openhands, openai_sdk, anthropic_sdk };
std::string_view to_string(HarnessKind kind);
std::optional<HarnessKind> harness_kind_from_string(std::string_view text);
const std::vector<std::string_view>& harness_kind_names();

struct Harness {
  std::string name;
  HarnessKind kind = HarnessKind::claude_code;
  std::vector<std::pair<std::string, std::string>> env;  // added to the snippet as given
  suite::SourcePos pos;
};

struct Variant {
  std::string name;
  std::string model;    // a model alias
  std::string harness;  // a harness profile (or a built-in kind's name)
  std::vector<std::pair<std::string, std::string>> env;  // the harness's settings, as env
  std::string settings_json = "{}";                      // free-form settings, recorded
  suite::SourcePos pos;
};

struct Experiment {
  std::string name;
  std::string description;
  std::vector<std::string> variants;
  suite::SourcePos pos;
};

struct TaskCard {
  std::string name;
  std::string goal;
  std::string prompt;  // the starting prompt
  std::string stop;    // the stop condition
  std::optional<util::Nanos> timebox;
  suite::SourcePos pos;
};

struct Config {
  std::string path;
  std::string hash;  // sha256 of the text
  ProxySettings proxy;
  std::vector<ModelAlias> models;
  std::vector<ProxyRoute> routes;
  std::vector<Harness> harnesses;
  std::vector<Variant> variants;
  std::vector<Experiment> experiments;
  std::vector<TaskCard> task_cards;

  const ModelAlias* model(std::string_view alias) const;
  const ProxyRoute* route(std::string_view name) const;
  // A harness profile of the file, or a built-in one named like its kind ("claude-code").
  std::optional<Harness> harness(std::string_view name) const;
  const Variant* variant(std::string_view name) const;
  const Experiment* experiment(std::string_view name) const;
  const TaskCard* task_card(std::string_view name) const;
  std::string base_url() const;  // public_url, or http://host:port
};

struct ConfigResult {
  std::optional<Config> config;  // set only when there are no errors
  suite::Diagnostics diagnostics;
};

ConfigResult load_config(const std::string& path);
ConfigResult load_config_text(const std::string& text, const std::string& path);

// Loads or throws InputError with every located problem (the commands' way).
Config load_config_or_throw(const std::string& path);

}  // namespace llmbench::session
