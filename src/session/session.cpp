#include "llmbench/session/session.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <map>
#include <vector>

#include "llmbench/util/error.hpp"
#include "llmbench/util/hex.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/sha256.hpp"

namespace llmbench::session {

namespace {

constexpr std::string_view k_prefix = "lbsk_";

// One harness's setup: environment to set and unset, and config files to write.
struct Setup {
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> unset;
  std::vector<std::pair<std::string, std::string>> files;  // path, text
  std::string run;                                         // the command to start it
};

std::string toml_string(std::string_view text) {
  std::string out;
  util::append_json_string(out, text);  // a JSON string is a TOML basic string
  return out;
}

std::string codex_config(const EnvInput& in) {
  return fmt::format(
      "# Codex through the llmbench proxy, session {id}\n"
      "model = {model}\n"
      "model_provider = \"llmbench\"\n"
      "\n"
      "[model_providers.llmbench]\n"
      "name = \"llmbench proxy\"\n"
      "base_url = {url}\n"
      "env_key = \"{key_env}\"\n"
      "wire_api = \"responses\"\n",
      fmt::arg("id", in.session_id), fmt::arg("model", toml_string(in.model->alias)),
      fmt::arg("url", toml_string(in.base_url + "/v1")), fmt::arg("key_env", k_key_env));
}

std::string opencode_config(const EnvInput& in) {
  std::string alias;
  util::append_json_string(alias, in.model->alias);
  std::string url;
  util::append_json_string(url, in.base_url + "/v1");
  std::string model;
  util::append_json_string(model, "llmbench/" + in.model->alias);
  return fmt::format(
      "{{\n"
      "  \"$schema\": \"https://opencode.ai/config.json\",\n"
      "  \"provider\": {{\n"
      "    \"llmbench\": {{\n"
      "      \"npm\": \"@ai-sdk/openai-compatible\",\n"
      "      \"name\": \"llmbench proxy\",\n"
      "      \"options\": {{\n"
      "        \"baseURL\": {url},\n"
      "        \"apiKey\": \"{{env:{key_env}}}\"\n"
      "      }},\n"
      "      \"models\": {{\n"
      "        {alias}: {{ \"name\": {alias} }}\n"
      "      }}\n"
      "    }}\n"
      "  }},\n"
      "  \"model\": {model}\n"
      "}}\n",
      fmt::arg("url", url), fmt::arg("key_env", k_key_env), fmt::arg("alias", alias),
      fmt::arg("model", model));
}

Setup setup_for(const EnvInput& in) {
  Setup s;
  const std::string v1 = in.base_url + "/v1";
  const std::string dir = ".llmbench/sessions/" + in.session_id;
  const bool anthropic_wire = in.model->provider == suite::Provider::anthropic;
  switch (in.harness.kind) {
    case HarnessKind::claude_code:
      // Claude Code sends ANTHROPIC_AUTH_TOKEN as `Authorization: Bearer`; an API key in the
      // environment would take precedence, so it is unset. Its background requests (titles,
      // summaries) use the small/fast model: pointed at the same alias, so every request is
      // one the proxy serves and the session measures.
      s.env = {{"ANTHROPIC_BASE_URL", in.base_url},
               {"ANTHROPIC_AUTH_TOKEN", in.key},
               {"ANTHROPIC_MODEL", in.model->alias},
               {"ANTHROPIC_SMALL_FAST_MODEL", in.model->alias},
               {"ANTHROPIC_DEFAULT_HAIKU_MODEL", in.model->alias}};
      s.unset = {"ANTHROPIC_API_KEY"};
      s.run = "claude";
      break;
    case HarnessKind::codex:
      s.env = {{std::string(k_key_env), in.key}, {"CODEX_HOME", dir + "/codex"}};
      s.files = {{dir + "/codex/config.toml", codex_config(in)}};
      s.run = "codex";
      break;
    case HarnessKind::opencode:
      s.env = {{std::string(k_key_env), in.key}, {"OPENCODE_CONFIG", dir + "/opencode.json"}};
      s.files = {{dir + "/opencode.json", opencode_config(in)}};
      s.run = "opencode";
      break;
    case HarnessKind::openhands:
      // OpenHands reaches models through LiteLLM: the prefix names the wire protocol.
      s.env = {{"LLM_BASE_URL", anthropic_wire ? in.base_url : v1},
               {"LLM_API_KEY", in.key},
               {"LLM_MODEL", (anthropic_wire ? "anthropic/" : "openai/") + in.model->alias}};
      s.run = "openhands";
      break;
    case HarnessKind::openai_sdk:
      s.env = {
          {"OPENAI_BASE_URL", v1}, {"OPENAI_API_KEY", in.key}, {"OPENAI_MODEL", in.model->alias}};
      break;
    case HarnessKind::anthropic_sdk:
      s.env = {{"ANTHROPIC_BASE_URL", in.base_url},
               {"ANTHROPIC_API_KEY", in.key},
               {"ANTHROPIC_MODEL", in.model->alias}};
      s.unset = {"ANTHROPIC_AUTH_TOKEN"};
      break;
  }
  for (const auto& kv : in.harness.env) {
    s.env.push_back(kv);
  }
  if (in.variant != nullptr) {
    for (const auto& kv : in.variant->env) {
      s.env.push_back(kv);
    }
  }
  return s;
}

// A value in single quotes for sh (a quote inside is closed, escaped and reopened).
std::string sh_quote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  out += "'";
  return out;
}

// A path under the working folder, made absolute when the snippet runs (a harness started
// elsewhere still finds its config).
std::string sh_path(std::string_view path) {
  return "\"$PWD\"/" + sh_quote(path);
}

std::string render_sh(const EnvInput& in, const Setup& s) {
  std::string out = fmt::format("# llmbench session {} ({} via {}, model {})\n", in.session_id,
                                in.harness.name, in.base_url, in.model->alias);
  for (const auto& name : s.unset) {
    out += "unset " + name + "\n";
  }
  for (const auto& [k, v] : s.env) {
    const bool local = v.rfind(".llmbench/", 0) == 0;
    out += "export " + k + "=" + (local ? sh_path(v) : sh_quote(v)) + "\n";
  }
  for (const auto& [path, text] : s.files) {
    const auto slash = path.rfind('/');
    out += "mkdir -p " + sh_path(path.substr(0, slash)) + "\n";
    out += "cat > " + sh_path(path) + " <<'LLMBENCH_EOF'\n" + text + "LLMBENCH_EOF\n";
  }
  if (!s.run.empty()) {
    out += "# then start it here: " + s.run + "\n";
  }
  return out;
}

std::string render_json(const Setup& s) {
  std::string out = "{\"env\":{";
  for (std::size_t i = 0; i < s.env.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    util::append_json_string(out, s.env[i].first);
    out += ':';
    util::append_json_string(out, s.env[i].second);
  }
  out += "},\"unset\":[";
  for (std::size_t i = 0; i < s.unset.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    util::append_json_string(out, s.unset[i]);
  }
  out += "],\"files\":{";
  for (std::size_t i = 0; i < s.files.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    util::append_json_string(out, s.files[i].first);
    out += ':';
    util::append_json_string(out, s.files[i].second);
  }
  out += "}}\n";
  return out;
}

std::string render_toml(const EnvInput& in, const Setup& s) {
  if (in.harness.kind == HarnessKind::codex) {
    return codex_config(in);
  }
  std::string out = "[env]\n";
  for (const auto& [k, v] : s.env) {
    out += k + " = " + toml_string(v) + "\n";
  }
  if (!s.unset.empty()) {
    out += "\n[unset]\nnames = [";
    for (std::size_t i = 0; i < s.unset.size(); ++i) {
      out += (i > 0 ? ", " : "") + toml_string(s.unset[i]);
    }
    out += "]\n";
  }
  return out;
}

}  // namespace

std::string new_session_key() {
  std::string raw(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1) {
    throw RunError("the system's random source failed (OpenSSL RAND_bytes)");
  }
  return std::string(k_prefix) + util::to_hex(raw);
}

std::string key_hash(std::string_view key) {
  return util::sha256_hex({std::string(key)});
}

bool is_session_key(std::string_view text) {
  return text.size() == k_prefix.size() + 64 && text.substr(0, k_prefix.size()) == k_prefix &&
         util::is_lower_hex(text.substr(k_prefix.size()), 64);
}

std::string render_env(const EnvInput& in, EnvFormat format) {
  const Setup s = setup_for(in);
  switch (format) {
    case EnvFormat::json:
      return render_json(s);
    case EnvFormat::toml:
      return render_toml(in, s);
    case EnvFormat::sh:
      break;
  }
  return render_sh(in, s);
}

}  // namespace llmbench::session
