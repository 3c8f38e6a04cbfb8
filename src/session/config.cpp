#include "llmbench/session/config.hpp"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <map>
#include <sstream>

#include "llmbench/suite/toml_reader.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/sha256.hpp"
#include "llmbench/util/size.hpp"
#include "llmbench/util/strings.hpp"

namespace llmbench::session {

namespace {

using suite::Diagnostics;
using suite::SourcePos;
using suite::detail::TableReader;

constexpr std::array<std::string_view, 7> k_root_keys = {
    "proxy", "models", "routes", "harnesses", "variants", "experiments", "task_cards"};
constexpr std::array<std::string_view, 6> k_route_keys = {"name",    "policy",      "members",
                                                          "hedge_k", "hedge_delay", "commit"};
constexpr std::array<std::string_view, 2> k_policies = {"sequential", "hedged"};
constexpr std::array<std::string_view, 2> k_commits = {"first_token", "complete"};
constexpr std::array<std::string_view, 8> k_proxy_keys = {
    "host",    "port",          "public_url",     "max_body", "connect_timeout",
    "timeout", "store_content", "allow_anonymous"};
constexpr std::array<std::string_view, 7> k_model_keys = {
    "alias", "provider", "base_url", "model", "api_key_env", "headers", "price"};
constexpr std::array<std::string_view, 3> k_harness_keys = {"name", "kind", "env"};
constexpr std::array<std::string_view, 5> k_variant_keys = {"name", "model", "harness", "env",
                                                            "settings"};
constexpr std::array<std::string_view, 3> k_experiment_keys = {"name", "description", "variants"};
constexpr std::array<std::string_view, 5> k_task_keys = {"name", "goal", "prompt", "stop",
                                                         "timebox"};
constexpr std::array<std::string_view, 3> k_providers = {"openai", "anthropic", "mock"};

const std::vector<std::pair<HarnessKind, std::string_view>>& kinds() {
  static const std::vector<std::pair<HarnessKind, std::string_view>> k = {
      {HarnessKind::claude_code, "claude-code"}, {HarnessKind::codex, "codex"},
      {HarnessKind::opencode, "opencode"},       {HarnessKind::openhands, "openhands"},
      {HarnessKind::openai_sdk, "openai-sdk"},   {HarnessKind::anthropic_sdk, "anthropic-sdk"}};
  return k;
}

bool valid_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
    return false;
  }
  for (const char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
      return false;
    }
  }
  return true;
}

class Loader {
 public:
  Loader(std::string path, Diagnostics& diags) : m_path(std::move(path)), m_diags(diags) {}

  std::optional<Config> load(const std::string& text) {
    toml::table root;
    try {
      root = toml::parse(text, m_path);
    } catch (const toml::parse_error& e) {
      m_diags.error(suite::detail::pos_of(m_path, e.source()),
                    fmt::format("TOML syntax: {}", e.description()));
      return std::nullopt;
    }
    Config c;
    c.path = m_path;
    c.hash = util::sha256_hex({text});
    TableReader top(root, "the config", m_path, m_diags, k_root_keys);
    top.check_unknown_keys();
    if (const auto* proxy = top.table("proxy")) {
      read_proxy(*proxy, c.proxy);
    }
    each(top, "models", [&](const toml::table& t, int i) { read_model(t, i, c); });
    if (c.models.empty() && !m_diags.has_errors()) {
      m_diags.error(top.pos(),
                    "the config has no [[models]] (each needs alias, provider, base_url and "
                    "model): the proxy would have nothing to forward to");
    }
    each(top, "routes", [&](const toml::table& t, int i) { read_route(t, i, c); });
    each(top, "harnesses", [&](const toml::table& t, int i) { read_harness(t, i, c); });
    each(top, "variants", [&](const toml::table& t, int i) { read_variant(t, i, c); });
    each(top, "experiments", [&](const toml::table& t, int i) { read_experiment(t, i, c); });
    each(top, "task_cards", [&](const toml::table& t, int i) { read_task(t, i, c); });
    if (m_diags.has_errors()) {
      return std::nullopt;
    }
    return c;
  }

 private:
  template <typename Fn>
  void each(TableReader& top, std::string_view key, Fn&& fn) {
    const auto* array = top.array(key);
    if (array == nullptr) {
      return;
    }
    int index = 0;
    for (const auto& node : *array) {
      ++index;
      const auto* t = node.as_table();
      if (t == nullptr) {
        m_diags.error(suite::detail::pos_of(m_path, node.source()),
                      fmt::format("each [[{}]] entry must be a table", key));
        continue;
      }
      fn(*t, index);
    }
  }

  // A name that must be present, not empty and not taken by another entry of its kind.
  std::string name(TableReader& r, std::string_view key, std::map<std::string, int>& seen) {
    r.require(key);
    std::string n = r.string(key).value_or("");
    if (r.has(key) && n.empty()) {
      r.error(key, fmt::format("{} must not be empty", key));
    } else if (!n.empty()) {
      if (const auto it = seen.find(n); it != seen.end()) {
        r.error(key, fmt::format("duplicate {} \"{}\" (first at line {})", key, n, it->second));
      } else {
        seen.emplace(n, static_cast<int>(r.pos(key).line));
      }
    }
    return n;
  }

  std::vector<std::pair<std::string, std::string>> env_table(TableReader& r) {
    std::vector<std::pair<std::string, std::string>> out;
    const auto* env = r.table("env");
    if (env == nullptr) {
      return out;
    }
    for (const auto& [k, v] : *env) {
      const auto value = v.value<std::string>();
      const auto pos = suite::detail::pos_of(m_path, v.source());
      if (!valid_env_name(k.str())) {
        m_diags.error(pos, fmt::format("\"{}\" is not an environment variable name (letters, "
                                       "digits and _)",
                                       k.str()));
      } else if (!value) {
        m_diags.error(pos, fmt::format("env \"{}\" must be a string", k.str()));
      } else {
        out.emplace_back(std::string(k.str()), *value);
      }
    }
    return out;
  }

  void read_proxy(const toml::table& t, ProxySettings& p) {
    TableReader r(t, "[proxy]", m_path, m_diags, k_proxy_keys);
    r.check_unknown_keys();
    p.host = r.string("host").value_or(p.host);
    p.port = static_cast<std::uint16_t>(r.integer("port", 0, 65535).value_or(p.port));
    p.public_url = r.string("public_url").value_or("");
    if (!p.public_url.empty() && p.public_url.rfind("http://", 0) != 0 &&
        p.public_url.rfind("https://", 0) != 0) {
      r.error("public_url", "must start with http:// or https://");
    }
    if (const auto size = r.string("max_body")) {
      const auto bytes = util::parse_size(*size);
      if (!bytes || *bytes < 1024) {
        r.error("max_body",
                fmt::format("\"{}\" is not a size of at least 1KiB (like \"32MiB\")", *size));
      } else {
        p.max_body = static_cast<std::uint64_t>(*bytes);
      }
    }
    p.connect_timeout = r.duration("connect_timeout").value_or(p.connect_timeout);
    p.timeout = r.duration("timeout").value_or(p.timeout);
    p.store_content = r.boolean("store_content").value_or(false);
    p.allow_anonymous = r.boolean("allow_anonymous").value_or(false);
  }

  void read_model(const toml::table& t, int index, Config& c) {
    TableReader r(t, fmt::format("[[models]] #{}", index), m_path, m_diags, k_model_keys);
    r.claim("api_key");
    r.check_unknown_keys();
    if (r.has("api_key")) {
      r.error("api_key",
              "API keys never go in the config: set api_key_env = \"NAME\" and start the proxy "
              "with the key in that environment variable");
    }
    ModelAlias m;
    m.pos = r.pos();
    m.alias = name(r, "alias", m_aliases);
    r.require("provider");
    if (const auto p = r.choice("provider", k_providers)) {
      m.provider = *suite::provider_from_string(*p);
    }
    r.require("base_url");
    m.base_url = r.string("base_url").value_or("");
    if (r.has("base_url") && m.base_url.rfind("http://", 0) != 0 &&
        m.base_url.rfind("https://", 0) != 0) {
      r.error("base_url",
              "must start with http:// or https:// (and end with the API version, "
              "like https://api.openai.com/v1)");
    }
    while (!m.base_url.empty() && m.base_url.back() == '/') {
      m.base_url.pop_back();
    }
    m.model = r.string("model").value_or(m.alias);
    m.api_key_env = r.string("api_key_env").value_or("");
    if (!m.api_key_env.empty() && !valid_env_name(m.api_key_env)) {
      r.error("api_key_env", "must name an environment variable (letters, digits and _)");
    }
    if (m.api_key_env.empty() && m.provider != suite::Provider::mock && r.has("provider")) {
      r.warning("provider", fmt::format("\"{}\" has no api_key_env: requests go upstream "
                                        "without a key",
                                        m.alias));
    }
    if (const auto* headers = r.table("headers")) {
      for (const auto& [k, v] : *headers) {
        const auto value = v.value<std::string>();
        if (!value) {
          m_diags.error(suite::detail::pos_of(m_path, v.source()),
                        fmt::format("header \"{}\" must be a string", k.str()));
        } else {
          m.headers.emplace_back(std::string(k.str()), *value);
        }
      }
    }
    m.price = r.price("price");
    c.models.push_back(std::move(m));
  }

  void read_route(const toml::table& t, int index, Config& c) {
    TableReader r(t, fmt::format("[[routes]] #{}", index), m_path, m_diags, k_route_keys);
    r.check_unknown_keys();
    ProxyRoute route;
    route.pos = r.pos();
    route.name = name(r, "name", m_aliases);  // one namespace with the aliases
    r.require("policy");
    if (const auto p = r.choice("policy", k_policies)) {
      route.policy = *p == "hedged" ? route::Policy::hedged : route::Policy::sequential;
    }
    if (const auto cm = r.choice("commit", k_commits)) {
      route.commit = *cm == "complete" ? route::Commit::complete : route::Commit::first_token;
    }
    r.require("members");
    std::optional<suite::Provider> wire;
    if (const auto* members = r.array("members")) {
      for (const auto& node : *members) {
        const auto m = node.value<std::string>();
        const auto pos = suite::detail::pos_of(m_path, node.source());
        const ModelAlias* alias = m ? c.model(*m) : nullptr;
        if (!m) {
          m_diags.error(pos, "each of members must be a string (a [[models]] alias)");
        } else if (alias == nullptr) {
          m_diags.error(pos, fmt::format("no [[models]] entry has alias \"{}\" (a route's "
                                         "members are aliases, defined before it)",
                                         *m));
        } else {
          if (alias->provider != suite::Provider::mock) {
            if (wire && *wire != alias->provider) {
              m_diags.error(
                  pos, fmt::format("\"{}\" speaks {}, another member {}: a route's "
                                   "members must speak one protocol",
                                   *m, suite::to_string(alias->provider), suite::to_string(*wire)));
            }
            wire = alias->provider;
          }
          route.members.push_back(*m);
        }
      }
      if (members->empty()) {
        r.error("members", "a route needs at least one member");
      }
    }
    route.hedge_k = static_cast<std::size_t>(
        r.integer("hedge_k", 1,
                  std::max<std::int64_t>(1, static_cast<std::int64_t>(route.members.size())))
            .value_or(std::min<std::size_t>(2, std::max<std::size_t>(1, route.members.size()))));
    if (r.has("hedge_delay")) {
      const auto* node = r.node("hedge_delay");
      if (node != nullptr && node->is_string() && node->value<std::string>()->front() == 'p') {
        r.error("hedge_delay",
                "the proxy hedges after a fixed delay (\"50ms\"); a quantile of "
                "the route's own TTFT is for suites (docs/routes.md)");
      } else {
        route.hedge_delay = r.duration("hedge_delay").value_or(route.hedge_delay);
      }
    }
    if (route.policy == route::Policy::sequential && (r.has("hedge_k") || r.has("hedge_delay"))) {
      r.warning(r.has("hedge_k") ? "hedge_k" : "hedge_delay",
                "a sequential route does not hedge: this key has no effect");
    }
    c.routes.push_back(std::move(route));
  }

  void read_harness(const toml::table& t, int index, Config& c) {
    TableReader r(t, fmt::format("[[harnesses]] #{}", index), m_path, m_diags, k_harness_keys);
    r.check_unknown_keys();
    Harness h;
    h.pos = r.pos();
    h.name = name(r, "name", m_harnesses);
    r.require("kind");
    if (const auto k = r.choice("kind", harness_kind_names())) {
      h.kind = *harness_kind_from_string(*k);
    }
    h.env = env_table(r);
    c.harnesses.push_back(std::move(h));
  }

  void read_variant(const toml::table& t, int index, Config& c) {
    TableReader r(t, fmt::format("[[variants]] #{}", index), m_path, m_diags, k_variant_keys);
    r.check_unknown_keys();
    Variant v;
    v.pos = r.pos();
    v.name = name(r, "name", m_variants);
    r.require("model");
    r.require("harness");
    v.model = r.string("model").value_or("");
    if (!v.model.empty() && c.model(v.model) == nullptr && c.route(v.model) == nullptr) {
      std::vector<std::string_view> aliases;
      for (const auto& m : c.models) {
        aliases.push_back(m.alias);
      }
      const auto near = util::closest_match(v.model, aliases);
      r.error("model", fmt::format("no [[models]] entry has alias \"{}\"{}", v.model,
                                   near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
    }
    v.harness = r.string("harness").value_or("");
    if (!v.harness.empty() && !c.harness(v.harness)) {
      std::vector<std::string_view> names(harness_kind_names());
      for (const auto& h : c.harnesses) {
        names.push_back(h.name);
      }
      const auto near = util::closest_match(v.harness, names);
      r.error("harness", fmt::format("no harness \"{}\": name a [[harnesses]] entry or one of {}{}",
                                     v.harness, fmt::join(harness_kind_names(), ", "),
                                     near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
    }
    v.env = env_table(r);
    if (const auto* settings = r.table("settings")) {
      v.settings_json = suite::detail::toml_to_json(*settings);
    }
    c.variants.push_back(std::move(v));
  }

  void read_experiment(const toml::table& t, int index, Config& c) {
    TableReader r(t, fmt::format("[[experiments]] #{}", index), m_path, m_diags, k_experiment_keys);
    r.check_unknown_keys();
    Experiment e;
    e.pos = r.pos();
    e.name = name(r, "name", m_experiments);
    e.description = r.string("description").value_or("");
    r.require("variants");
    if (const auto* variants = r.array("variants")) {
      for (const auto& node : *variants) {
        const auto v = node.value<std::string>();
        const auto pos = suite::detail::pos_of(m_path, node.source());
        if (!v) {
          m_diags.error(pos, "each of variants must be a string (a [[variants]] name)");
        } else if (c.variant(*v) == nullptr) {
          m_diags.error(pos, fmt::format("no [[variants]] entry is named \"{}\"", *v));
        } else {
          e.variants.push_back(*v);
        }
      }
      if (variants->empty()) {
        r.error("variants", "an experiment needs at least one variant");
      }
    }
    c.experiments.push_back(std::move(e));
  }

  void read_task(const toml::table& t, int index, Config& c) {
    TableReader r(t, fmt::format("[[task_cards]] #{}", index), m_path, m_diags, k_task_keys);
    r.check_unknown_keys();
    TaskCard k;
    k.pos = r.pos();
    k.name = name(r, "name", m_tasks);
    r.require("goal");
    k.goal = r.string("goal").value_or("");
    k.prompt = r.string("prompt").value_or("");
    k.stop = r.string("stop").value_or("");
    k.timebox = r.duration("timebox");
    if (k.timebox && k.timebox->count() <= 0) {
      r.error("timebox", "must be longer than zero");
    }
    c.task_cards.push_back(std::move(k));
  }

  std::string m_path;
  Diagnostics& m_diags;
  std::map<std::string, int> m_aliases, m_harnesses, m_variants, m_experiments, m_tasks;
};

template <typename T>
const T* find_named(const std::vector<T>& items, std::string_view name, std::string T::*field) {
  for (const auto& item : items) {
    if (item.*field == name) {
      return &item;
    }
  }
  return nullptr;
}

}  // namespace

std::string_view to_string(HarnessKind kind) {
  for (const auto& [k, name] : kinds()) {
    if (k == kind) {
      return name;
    }
  }
  return "?";
}

std::optional<HarnessKind> harness_kind_from_string(std::string_view text) {
  for (const auto& [k, name] : kinds()) {
    if (name == text) {
      return k;
    }
  }
  return std::nullopt;
}

const std::vector<std::string_view>& harness_kind_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& [k, name] : kinds()) {
      out.push_back(name);
    }
    return out;
  }();
  return names;
}

const ModelAlias* Config::model(std::string_view alias) const {
  return find_named(models, alias, &ModelAlias::alias);
}

const ProxyRoute* Config::route(std::string_view name) const {
  return find_named(routes, name, &ProxyRoute::name);
}

std::optional<Harness> Config::harness(std::string_view name) const {
  if (const auto* h = find_named(harnesses, name, &Harness::name)) {
    return *h;
  }
  if (const auto kind = harness_kind_from_string(name)) {
    Harness h;
    h.name = std::string(name);
    h.kind = *kind;
    return h;
  }
  return std::nullopt;
}

const Variant* Config::variant(std::string_view name) const {
  return find_named(variants, name, &Variant::name);
}

const Experiment* Config::experiment(std::string_view name) const {
  return find_named(experiments, name, &Experiment::name);
}

const TaskCard* Config::task_card(std::string_view name) const {
  return find_named(task_cards, name, &TaskCard::name);
}

std::string Config::base_url() const {
  if (!proxy.public_url.empty()) {
    std::string url = proxy.public_url;
    while (!url.empty() && url.back() == '/') {
      url.pop_back();
    }
    return url;
  }
  return fmt::format("http://{}:{}", proxy.host, proxy.port);
}

ConfigResult load_config_text(const std::string& text, const std::string& path) {
  ConfigResult result;
  Loader loader(path, result.diagnostics);
  result.config = loader.load(text);
  result.diagnostics.sort();
  return result;
}

ConfigResult load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigResult result;
    result.diagnostics.error({path, 1, 1},
                             "cannot read the config file (does it exist? pass --config PATH)");
    return result;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_config_text(ss.str(), path);
}

Config load_config_or_throw(const std::string& path) {
  auto result = load_config(path);
  if (!result.config) {
    std::string message;
    for (const auto& d : result.diagnostics.items()) {
      message += d.to_string();
      message += '\n';
    }
    message += fmt::format("{} has {} error{}", path, result.diagnostics.error_count(),
                           result.diagnostics.error_count() == 1 ? "" : "s");
    throw InputError(message);
  }
  return *result.config;
}

}  // namespace llmbench::session
