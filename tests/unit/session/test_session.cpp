#include "llmbench/session/session.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <toml++/toml.h>

#include "llmbench/session/config.hpp"
#include "support/golden.hpp"

using namespace llmbench;
namespace lt = llmbench::testing;

namespace {

constexpr const char* k_config = R"(
[proxy]
host = "127.0.0.1"
port = 4000

[[models]]
alias = "sonnet"
provider = "anthropic"
base_url = "https://api.anthropic.com/v1"
model = "claude-sonnet-4-5"
api_key_env = "ANTHROPIC_API_KEY"

[[models]]
alias = "gpt"
provider = "openai"
base_url = "https://api.openai.com/v1"
model = "gpt-5-codex"
api_key_env = "OPENAI_API_KEY"

[[harnesses]]
name = "claude-quiet"
kind = "claude-code"
env = { DISABLE_TELEMETRY = "1" }

[[variants]]
name = "cc-sonnet"
model = "sonnet"
harness = "claude-quiet"
env = { MAX_THINKING_TOKENS = "4000" }
settings = { effort = "high" }

[[variants]]
name = "codex-gpt"
model = "gpt"
harness = "codex"

[[experiments]]
name = "fastest"
variants = ["cc-sonnet", "codex-gpt"]

[[task_cards]]
name = "fix-flaky"
goal = "Make the flaky test pass ten times in a row"
prompt = "The test X fails one run in five; find out why and fix it"
stop = "ten green runs"
timebox = "45m"
)";

session::Config config() {
  auto r = session::load_config_text(k_config, "proxy.toml");
  for (const auto& d : r.diagnostics.items()) {
    ADD_FAILURE() << d.to_string();
  }
  return *r.config;
}

const std::string k_key = "lbsk_" + std::string(64, 'a');

std::string snippet(const session::Config& c, std::string_view harness, std::string_view alias,
                    session::EnvFormat format, const session::Variant* variant = nullptr) {
  session::EnvInput in;
  in.session_id = "01930000-0000-7000-8000-000000000001";
  in.key = k_key;
  in.base_url = c.base_url();
  in.model = c.model(alias);
  in.harness = *c.harness(harness);
  in.variant = variant;
  return session::render_env(in, format);
}

}  // namespace

TEST(SessionConfig, ReadsEveryTable) {
  const auto c = config();
  EXPECT_EQ(c.models.size(), 2u);
  EXPECT_EQ(c.model("sonnet")->provider, suite::Provider::anthropic);
  EXPECT_EQ(c.model("gpt")->model, "gpt-5-codex");
  EXPECT_EQ(c.harness("claude-quiet")->kind, session::HarnessKind::claude_code);
  EXPECT_EQ(c.harness("opencode")->kind, session::HarnessKind::opencode);  // built in
  EXPECT_EQ(c.variant("cc-sonnet")->settings_json, R"({"effort":"high"})");
  EXPECT_EQ(c.experiment("fastest")->variants.size(), 2u);
  EXPECT_EQ(c.task_card("fix-flaky")->timebox, std::chrono::minutes(45));
  EXPECT_EQ(c.base_url(), "http://127.0.0.1:4000");
}

TEST(SessionConfig, ErrorsNameTheirPlace) {
  const auto r = session::load_config_text(R"([[models]]
alias = "fast"
provider = "openai"
base_url = "https://x/v1"
api_key = "sk-oops"

[[variants]]
name = "v"
model = "fsat"
harnes = "codex"

[[experiments]]
name = "e"
variants = ["v", "w"]
)",
                                           "p.toml");
  EXPECT_FALSE(r.config);
  std::string all;
  for (const auto& d : r.diagnostics.items()) {
    all += d.to_string() + "\n";
  }
  EXPECT_NE(all.find("p.toml:5:11: API keys never go in the config"), std::string::npos) << all;
  EXPECT_NE(all.find("p.toml:9:9: no [[models]] entry has alias \"fsat\" (did you mean \"fast\"?)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("p.toml:10:1: unknown key \"harnes\" in [[variants]] #1 (did you mean "
                     "\"harness\"?)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("no [[variants]] entry is named \"w\""), std::string::npos) << all;
}

TEST(SessionKeys, AreRandomAndOnlyTheirHashIsKept) {
  const std::string a = session::new_session_key();
  const std::string b = session::new_session_key();
  EXPECT_NE(a, b);
  EXPECT_TRUE(session::is_session_key(a));
  EXPECT_FALSE(session::is_session_key("sk-proj-abc"));
  EXPECT_EQ(session::key_hash(a).size(), 64u);
  EXPECT_EQ(session::key_hash(a).find(a.substr(5, 16)), std::string::npos);
}

TEST(SessionEnv, ClaudeCodeGolden) {
  const auto c = config();
  const std::string sh =
      snippet(c, "claude-quiet", "sonnet", session::EnvFormat::sh, c.variant("cc-sonnet"));
  lt::check_golden("session_env/claude-code.sh", sh);
  EXPECT_NE(sh.find("unset ANTHROPIC_API_KEY\n"), std::string::npos);
  EXPECT_NE(sh.find("export ANTHROPIC_AUTH_TOKEN='" + k_key + "'\n"), std::string::npos);
  const std::string json =
      snippet(c, "claude-quiet", "sonnet", session::EnvFormat::json, c.variant("cc-sonnet"));
  lt::check_golden("session_env/claude-code.json", json);
  simdjson::dom::parser parser;
  const auto doc = parser.parse(json);
  EXPECT_EQ(std::string_view(doc.at_pointer("/env/ANTHROPIC_BASE_URL").get_string().value()),
            "http://127.0.0.1:4000");
  EXPECT_EQ(std::string_view(doc.at_pointer("/env/MAX_THINKING_TOKENS").get_string().value()),
            "4000");
}

TEST(SessionEnv, CodexGoldenAndItsConfigParses) {
  const auto c = config();
  lt::check_golden("session_env/codex.sh", snippet(c, "codex", "gpt", session::EnvFormat::sh));
  const std::string toml_text = snippet(c, "codex", "gpt", session::EnvFormat::toml);
  lt::check_golden("session_env/codex.toml", toml_text);
  const toml::table t = toml::parse(toml_text);
  EXPECT_EQ(t["model"].value<std::string>(), "gpt");
  EXPECT_EQ(t["model_provider"].value<std::string>(), "llmbench");
  const auto provider = t["model_providers"]["llmbench"];
  EXPECT_EQ(provider["base_url"].value<std::string>(), "http://127.0.0.1:4000/v1");
  EXPECT_EQ(provider["env_key"].value<std::string>(), "LLMBENCH_SESSION_KEY");
  EXPECT_EQ(provider["wire_api"].value<std::string>(), "responses");
}

TEST(SessionEnv, OpenCodeGoldenAndItsConfigParses) {
  const auto c = config();
  const std::string json = snippet(c, "opencode", "gpt", session::EnvFormat::json);
  lt::check_golden("session_env/opencode.json", json);
  lt::check_golden("session_env/opencode.sh",
                   snippet(c, "opencode", "gpt", session::EnvFormat::sh));
  simdjson::dom::parser outer;
  const auto doc = outer.parse(json);
  std::string_view file;
  ASSERT_EQ(
      doc.at_pointer(
             "/files/.llmbench~1sessions~101930000-0000-7000-8000-000000000001~1opencode.json")
          .get_string()
          .get(file),
      simdjson::SUCCESS);
  simdjson::dom::parser inner;
  const auto cfg = inner.parse(simdjson::padded_string(file));
  EXPECT_EQ(std::string_view(cfg.at_pointer("/provider/llmbench/npm").get_string().value()),
            "@ai-sdk/openai-compatible");
  EXPECT_EQ(
      std::string_view(cfg.at_pointer("/provider/llmbench/options/baseURL").get_string().value()),
      "http://127.0.0.1:4000/v1");
  EXPECT_EQ(std::string_view(cfg["model"].get_string().value()), "llmbench/gpt");
}

TEST(SessionEnv, OpenHandsAndSdkGoldens) {
  const auto c = config();
  lt::check_golden("session_env/openhands.sh",
                   snippet(c, "openhands", "gpt", session::EnvFormat::sh));
  lt::check_golden("session_env/openai-sdk.sh",
                   snippet(c, "openai-sdk", "gpt", session::EnvFormat::sh));
  lt::check_golden("session_env/anthropic-sdk.sh",
                   snippet(c, "anthropic-sdk", "sonnet", session::EnvFormat::sh));
  const std::string toml_text = snippet(c, "openhands", "gpt", session::EnvFormat::toml);
  const toml::table t = toml::parse(toml_text);
  EXPECT_EQ(t["env"]["LLM_MODEL"].value<std::string>(), "openai/gpt");
  EXPECT_EQ(t["env"]["LLM_BASE_URL"].value<std::string>(), "http://127.0.0.1:4000/v1");
}

TEST(SessionConfig, RoutesNameAliasesOfOneProtocol) {
  const auto ok = session::load_config_text(R"([[models]]
alias = "a"
provider = "openai"
base_url = "https://a/v1"
[[models]]
alias = "b"
provider = "mock"
base_url = "http://127.0.0.1:1/v1"
[[routes]]
name = "ab"
policy = "hedged"
members = ["a", "b"]
hedge_delay = "80ms"
[[variants]]
name = "v"
model = "ab"
harness = "codex"
)",
                                            "p.toml");
  ASSERT_TRUE(ok.config);
  const auto* r = ok.config->route("ab");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->policy, route::Policy::hedged);
  EXPECT_EQ(r->hedge_delay, std::chrono::milliseconds(80));
  EXPECT_EQ(r->hedge_k, 2u);
  const auto bad = session::load_config_text(R"([[models]]
alias = "a"
provider = "openai"
base_url = "https://a/v1"
[[models]]
alias = "c"
provider = "anthropic"
base_url = "https://c/v1"
[[routes]]
name = "a"
policy = "hedged"
members = ["a", "c", "zz"]
hedge_delay = "p95"
)",
                                             "p.toml");
  ASSERT_FALSE(bad.config);
  std::string all;
  for (const auto& d : bad.diagnostics.items()) {
    all += d.to_string() + "\n";
  }
  EXPECT_NE(all.find("duplicate name \"a\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"c\" speaks anthropic, another member openai"), std::string::npos) << all;
  EXPECT_NE(all.find("no [[models]] entry has alias \"zz\""), std::string::npos) << all;
  EXPECT_NE(all.find("the proxy hedges after a fixed delay"), std::string::npos) << all;
}
