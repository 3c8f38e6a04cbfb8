#include "llmbench/suite/loader.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "llmbench/providers/mock.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench::suite;
using llmbench::testing::TempDir;

namespace {

// A minimal valid suite; tests append or replace parts of it.
const std::string k_valid = R"([suite]
name = "t"

[load]
mode = "concurrency"
concurrency = 2
requests = 10

[[targets]]
name = "m"
provider = "mock"

[[prompts]]
id = "p1"
messages = [{ role = "user", content = "hi" }]
)";

std::vector<std::string> lines_of(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.items()) {
    out.push_back(d.to_string());
  }
  return out;
}

// Loads `text` as s.toml and expects exactly one error, equal to `expected`.
void expect_one_error(const std::string& text, const std::string& expected,
                      const LoadOptions& options = {}) {
  const auto r = load_suite_text(text, "s.toml", options);
  EXPECT_FALSE(r.suite.has_value());
  const auto lines = lines_of(r);
  ASSERT_EQ(r.diagnostics.error_count(), 1U) << ::testing::PrintToString(lines);
  bool found = false;
  for (const auto& l : lines) {
    found = found || l == expected;
  }
  EXPECT_TRUE(found) << "expected: " << expected << "\n got: " << ::testing::PrintToString(lines);
}

}  // namespace

TEST(SuiteLoader, LoadsAValidSuite) {
  const auto r = load_suite_text(k_valid, "s.toml");
  ASSERT_TRUE(r.suite.has_value()) << ::testing::PrintToString(lines_of(r));
  EXPECT_TRUE(r.diagnostics.items().empty());
  const Suite& s = *r.suite;
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.load.mode, LoadMode::concurrency);
  EXPECT_EQ(s.load.concurrency, 2);
  EXPECT_EQ(*s.load.requests, 10);
  ASSERT_EQ(s.targets.size(), 1U);
  EXPECT_EQ(s.targets[0].provider, Provider::mock);
  EXPECT_EQ(s.targets[0].model(), "m");  // a mock's model defaults to its name
  ASSERT_EQ(s.prompts.size(), 1U);
  EXPECT_EQ(s.prompts[0].messages[0].text, "hi");
  EXPECT_EQ(s.hash.size(), 64U);
  EXPECT_EQ(s.text, k_valid);
}

TEST(SuiteLoader, UnknownKeyWithSuggestionAtItsPlace) {
  std::string text = k_valid;
  text.replace(text.find("concurrency = 2"), 15, "concurency = 2");
  expect_one_error(text,
                   "s.toml:6:1: unknown key \"concurency\" in [load] (did you mean "
                   "\"concurrency\"?)");
}

TEST(SuiteLoader, UnknownTableWithSuggestion) {
  expect_one_error(k_valid + "\n[slos]\nttft_p95_ms = 5\n",
                   "s.toml:17:2: unknown key \"slos\" in the suite (did you mean \"slo\"?)");
}

TEST(SuiteLoader, UnknownKeyFarFromAnyHasNoSuggestion) {
  std::string text = k_valid;
  text.replace(text.find("requests = 10"), 13, "requests = 10\nbanana = 1");
  expect_one_error(text, "s.toml:8:1: unknown key \"banana\" in [load]");
}

TEST(SuiteLoader, WrongType) {
  std::string text = k_valid;
  text.replace(text.find("concurrency = 2"), 15, "concurrency = \"2\"");
  expect_one_error(text, "s.toml:6:15: concurrency in [load] must be an integer, not a string");
}

TEST(SuiteLoader, OutOfRangeValue) {
  std::string text = k_valid;
  text.replace(text.find("requests = 10"), 13, "requests = 0");
  expect_one_error(text, "s.toml:7:12: requests in [load] must be at least 1, not 0");
  expect_one_error(k_valid + "\n[defaults]\ntemperature = 3.5\n",
                   "s.toml:18:15: temperature in [defaults] must be between 0 and 2, not 3.5");
}

TEST(SuiteLoader, MissingRequiredFields) {
  std::string no_name = k_valid;
  no_name.replace(no_name.find("name = \"t\""), 10, "description = \"x\"");
  expect_one_error(no_name, "s.toml:1:1: [suite] is missing name");

  std::string no_provider = k_valid;
  no_provider.replace(no_provider.find("provider = \"mock\""), 17, "");
  expect_one_error(no_provider, "s.toml:9:1: [[targets]] #1 is missing provider");

  std::string no_mode = k_valid;
  no_mode.replace(no_mode.find("mode = \"concurrency\""), 20, "");
  expect_one_error(no_mode, "s.toml:4:1: [load] is missing mode");

  std::string no_stop = k_valid;
  no_stop.replace(no_stop.find("requests = 10"), 13, "");
  expect_one_error(no_stop,
                   "s.toml:4:1: [load] needs requests = N or duration = \"2m\" (when to "
                   "stop)");

  std::string no_model = k_valid;
  no_model.replace(no_model.find("provider = \"mock\""), 17,
                   "provider = \"openai\"\nbase_url = \"http://127.0.0.1:8000/v1\"");
  expect_one_error(no_model,
                   "s.toml:11:12: [[targets]] #1 has no model (set model = \"...\" on "
                   "the target or in [defaults])");
}

TEST(SuiteLoader, MissingSectionsAreEachReported) {
  const auto r = load_suite_text("[suite]\nname = \"x\"\n", "s.toml");
  EXPECT_FALSE(r.suite);
  const auto lines = lines_of(r);
  ASSERT_EQ(lines.size(), 3U) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find("no [load]"), std::string::npos);
  EXPECT_NE(lines[1].find("no [[targets]]"), std::string::npos);
  EXPECT_NE(lines[2].find("no prompts"), std::string::npos);
}

TEST(SuiteLoader, DuplicateTargetNamesAndPromptIds) {
  expect_one_error(k_valid + "\n[[targets]]\nname = \"m\"\nprovider = \"mock\"\n",
                   "s.toml:17:1: duplicate target name \"m\" (first at line 9)");
  expect_one_error(k_valid + "\n[[prompts]]\nid = \"p1\"\nprompt = \"again\"\n",
                   "s.toml:17:1: duplicate prompt id \"p1\" (first at s.toml:13)");
}

TEST(SuiteLoader, UnknownProviderWithSuggestion) {
  std::string text = k_valid;
  text.replace(text.find("provider = \"mock\""), 17, "provider = \"openia\"\nmodel = \"x\"");
  expect_one_error(text,
                   "s.toml:11:12: unknown provider \"openia\" in [[targets]] #1 (did you "
                   "mean \"openai\"?) (one of: openai, anthropic, mock)");
}

TEST(SuiteLoader, BadUrl) {
  std::string text = k_valid;
  text.replace(text.find("provider = \"mock\""), 17,
               "provider = \"openai\"\nmodel = \"x\"\nbase_url = \"api.openai.com/v1\"");
  expect_one_error(text,
                   "s.toml:13:12: base_url \"api.openai.com/v1\" is not an http:// or "
                   "https:// URL with a host (e.g. \"https://api.openai.com/v1\")");
}

TEST(SuiteLoader, BadDurations) {
  std::string bare = k_valid;
  bare.replace(bare.find("requests = 10"), 13, "requests = 10\ntimeout = 60");
  expect_one_error(bare, "s.toml:8:11: timeout in [load] needs a unit: write \"60s\" or \"60ms\"");
  std::string unit = k_valid;
  unit.replace(unit.find("requests = 10"), 13, "requests = 10\ntimeout = \"5 parsecs\"");
  expect_one_error(unit,
                   "s.toml:8:11: timeout in [load]: bad duration \"5 parsecs\": unknown "
                   "unit \" parsecs\" (use ns, us, ms, s, m, h or d) (write e.g. \"500ms\", "
                   "\"60s\", \"2m\")");
  std::string zero = k_valid;
  zero.replace(zero.find("requests = 10"), 13, "requests = 10\ntimeout = \"0s\"");
  expect_one_error(zero, "s.toml:8:11: timeouts in [load] must be longer than 0");
}

TEST(SuiteLoader, DurationsAreParsed) {
  std::string text = k_valid;
  text.replace(text.find("requests = 10"), 13,
               "duration = \"2m\"\ntimeout = \"500ms\"\nttft_timeout = \"1.5s\"");
  const auto r = load_suite_text(text, "s.toml");
  ASSERT_TRUE(r.suite) << ::testing::PrintToString(lines_of(r));
  EXPECT_EQ(*r.suite->load.duration, std::chrono::minutes(2));
  EXPECT_EQ(r.suite->load.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(*r.suite->load.ttft_timeout, std::chrono::milliseconds(1500));
  EXPECT_FALSE(r.suite->load.requests);
}

TEST(SuiteLoader, EmptyPromptSet) {
  std::string text = k_valid.substr(0, k_valid.find("[[prompts]]"));
  expect_one_error(text,
                   "s.toml:1:1: the suite has no prompts: add [[prompts]] with messages, or "
                   "file = \"prompts.jsonl\"");
  TempDir dir;
  dir.write("empty.jsonl", "\n\n");
  const std::string path = dir.write("s.toml", text + "[[prompts]]\nfile = \"empty.jsonl\"\n");
  const auto r = load_suite(path);
  ASSERT_EQ(r.diagnostics.error_count(), 1U);
  EXPECT_EQ(r.diagnostics.items()[0].to_string(),
            path + ":14:8: prompt file " + dir.file("empty.jsonl") + " has no prompts");
}

TEST(SuiteLoader, UnreadablePromptFile) {
  TempDir dir;
  const std::string text =
      k_valid.substr(0, k_valid.find("[[prompts]]")) + "[[prompts]]\nfile = \"missing.jsonl\"\n";
  const std::string path = dir.write("s.toml", text);
  const auto r = load_suite(path);
  ASSERT_EQ(r.diagnostics.error_count(), 1U);
  EXPECT_EQ(r.diagnostics.items()[0].to_string(), path + ":14:8: cannot read prompt file " +
                                                      dir.file("missing.jsonl") +
                                                      " (paths are relative to the suite file)");
}

TEST(SuiteLoader, MalformedJsonlReportsItsOwnFileAndLine) {
  TempDir dir;
  dir.write("p.jsonl",
            "{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}\n"
            "{\"id\": \"b\", \"messages\": [\n"
            "{\"id\": \"c\", \"mesages\": []}\n");
  const std::string text =
      k_valid.substr(0, k_valid.find("[[prompts]]")) + "[[prompts]]\nfile = \"p.jsonl\"\n";
  const std::string path = dir.write("s.toml", text);
  const auto r = load_suite(path);
  EXPECT_FALSE(r.suite);
  const auto lines = lines_of(r);
  ASSERT_EQ(lines.size(), 2U) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0].rfind(dir.file("p.jsonl") + ":2:1: malformed JSON: ", 0), 0U) << lines[0];
  EXPECT_EQ(lines[1],
            dir.file("p.jsonl") + ":3:13: unknown key \"mesages\" (did you mean \"messages\"?)");
}

TEST(SuiteLoader, JsonlPromptsLoadWithTheirFields) {
  TempDir dir;
  dir.write("p.jsonl",
            "{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"hello there\"}], "
            "\"max_tokens\": 12}\n"
            "\n"
            "{\"prompt\": \"bare prompt\", \"system\": \"be brief\", \"stop\": [\"\\n\"], "
            "\"extra\": {\"seed\": 3}}\n"
            "{\"id\": 7, \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", "
            "\"text\": \"parts\"}]}]}\n");
  const std::string text = k_valid.substr(0, k_valid.find("[[prompts]]")) +
                           "[[prompts]]\nfile = \"p.jsonl\"\ntemperature = 0.5\n";
  const auto r = load_suite(dir.write("s.toml", text));
  ASSERT_TRUE(r.suite) << ::testing::PrintToString(lines_of(r));
  const auto& p = r.suite->prompts;
  ASSERT_EQ(p.size(), 3U);
  EXPECT_EQ(p[0].id, "a");
  EXPECT_EQ(*p[0].params.max_tokens, 12);
  EXPECT_EQ(*p[0].params.temperature, 0.5);  // from the [[prompts]] entry
  EXPECT_EQ(p[1].id, "p:3");                 // file stem and line when a line has no id
  EXPECT_EQ(p[1].messages[0].role, "user");
  EXPECT_EQ(*p[1].params.system, "be brief");
  EXPECT_EQ((*p[1].params.stop)[0], "\n");
  ASSERT_EQ(p[1].params.extra.size(), 1U);
  EXPECT_EQ(p[1].params.extra[0].second, "3");
  EXPECT_EQ(p[2].id, "7");
  EXPECT_EQ(p[2].messages[0].text, "parts");
  EXPECT_EQ(p[2].messages[0].content_json, R"([{"type":"text","text":"parts"}])");
}

TEST(SuiteLoader, ApiKeyEnvUnsetWarnsInValidateAndFailsAtRunTime) {
  ::unsetenv("LLMBENCH_TEST_UNSET_KEY");
  std::string text = k_valid;
  text.replace(text.find("provider = \"mock\""), 17,
               "provider = \"openai\"\nmodel = \"gpt-4o-mini\"\napi_key_env = "
               "\"LLMBENCH_TEST_UNSET_KEY\"");
  const auto warn = load_suite_text(text, "s.toml");
  ASSERT_TRUE(warn.suite);
  ASSERT_EQ(warn.diagnostics.items().size(), 1U);
  EXPECT_EQ(warn.diagnostics.items()[0].to_string(),
            "s.toml:13:15: warning: api_key_env: environment variable LLMBENCH_TEST_UNSET_KEY is "
            "not set (export it before `llmbench run`)");
  expect_one_error(text,
                   "s.toml:13:15: api_key_env: environment variable LLMBENCH_TEST_UNSET_KEY is not "
                   "set (export it before `llmbench run`)",
                   LoadOptions{.require_api_keys = true, .untrusted = {}});
  ::setenv("LLMBENCH_TEST_UNSET_KEY", "sk-test", 1);
  EXPECT_TRUE(load_suite_text(text, "s.toml", {.require_api_keys = true, .untrusted = {}}).suite);
  ::unsetenv("LLMBENCH_TEST_UNSET_KEY");
}

TEST(SuiteLoader, MockTargetsNeedNoKey) {
  std::string text = k_valid;
  text.replace(text.find("provider = \"mock\""), 17,
               "provider = \"mock\"\napi_key_env = \"LLMBENCH_TEST_UNSET_KEY\"");
  ::unsetenv("LLMBENCH_TEST_UNSET_KEY");
  const auto r = load_suite_text(text, "s.toml", {.require_api_keys = true, .untrusted = {}});
  EXPECT_TRUE(r.suite);
  EXPECT_TRUE(r.diagnostics.items().empty());
}

TEST(SuiteLoader, SecretsNeverInTheFile) {
  std::string literal = k_valid;
  literal.replace(literal.find("provider = \"mock\""), 17,
                  "provider = \"mock\"\napi_key = \"sk-abc\"");
  expect_one_error(literal,
                   "s.toml:12:11: API keys never go in a suite file: set api_key_env = "
                   "\"NAME\" and put the key in that environment variable");
  std::string header = k_valid;
  header.replace(header.find("provider = \"mock\""), 17,
                 "provider = \"mock\"\nheaders = { Authorization = \"Bearer ${KEY}\" }");
  expect_one_error(header,
                   "s.toml:12:29: header \"Authorization\" may not use ${...}: secrets "
                   "belong in api_key_env, and other headers are written out in full");
}

TEST(SuiteLoader, EnvExpansionInNonSecretFields) {
  ::setenv("LLMBENCH_TEST_HOST", "127.0.0.1:9999", 1);
  ::setenv("LLMBENCH_TEST_MODEL", "llama-3", 1);
  std::string text = k_valid;
  text.replace(text.find("provider = \"mock\""), 17,
               "provider = \"openai\"\nbase_url = \"http://${LLMBENCH_TEST_HOST}/v1/\"\n"
               "model = \"${LLMBENCH_TEST_MODEL}\"");
  const auto r = load_suite_text(text, "s.toml");
  ASSERT_TRUE(r.suite) << ::testing::PrintToString(lines_of(r));
  EXPECT_EQ(r.suite->targets[0].base_url, "http://127.0.0.1:9999/v1");
  EXPECT_EQ(r.suite->targets[0].model(), "llama-3");
  EXPECT_NE(r.suite->text.find("${LLMBENCH_TEST_HOST}"), std::string::npos);  // stored unexpanded
  ::unsetenv("LLMBENCH_TEST_HOST");
  expect_one_error(text,
                   "s.toml:12:12: environment variable LLMBENCH_TEST_HOST is not set (used "
                   "in \"http://${LLMBENCH_TEST_HOST}/v1/\")");
  ::unsetenv("LLMBENCH_TEST_MODEL");
}

TEST(SuiteLoader, TomlSyntaxErrorHasItsPlace) {
  const auto r = load_suite_text("[suite]\nname = \"x\n", "s.toml");
  ASSERT_EQ(r.diagnostics.error_count(), 1U);
  const std::string line = r.diagnostics.items()[0].to_string();
  EXPECT_EQ(line.rfind("s.toml:2:", 0), 0U) << line;
  EXPECT_NE(line.find("TOML syntax"), std::string::npos);
}

TEST(SuiteLoader, ReportsEveryProblemAtOnceInFileOrder) {
  std::string text = k_valid;
  text.replace(text.find("concurrency = 2"), 15, "concurency = 2");
  text.replace(text.find("provider = \"mock\""), 17, "provider = \"mok\"");
  text += "\n[slo]\nttft_p95_ms = \"fast\"\n";
  const auto r = load_suite_text(text, "s.toml");
  const auto lines = lines_of(r);
  ASSERT_EQ(lines.size(), 3U) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0].rfind("s.toml:6:1: unknown key \"concurency\"", 0), 0U);
  EXPECT_EQ(lines[1].rfind("s.toml:11:12: unknown provider \"mok\"", 0), 0U);
  EXPECT_EQ(lines[2], "s.toml:18:15: ttft_p95_ms in [slo] must be a number, not a string");
}

TEST(SuiteLoader, LoadModesNeedTheirParameters) {
  const std::string closed = "mode = \"concurrency\"\nconcurrency = 2";
  std::string rate = k_valid;
  rate.replace(rate.find(closed), closed.size(), "mode = \"rate\"");
  expect_one_error(rate, "s.toml:5:8: mode \"rate\" needs rate = <requests per second> in [load]");
  std::string sweep = k_valid;
  sweep.replace(sweep.find(closed), closed.size(), "mode = \"sweep\"");
  expect_one_error(sweep,
                   "s.toml:5:8: mode \"sweep\" needs rates = [..] or steps = N (up to "
                   "saturation)");
  std::string ok = k_valid;
  ok.replace(ok.find(closed), closed.size(),
             "mode = \"poisson\"\nrate = 12.5\nseed = 9\norder = \"interleaved\"\n"
             "prompt_order = \"shuffle\"\nretry = true");
  const auto r = load_suite_text(ok, "s.toml");
  ASSERT_TRUE(r.suite) << ::testing::PrintToString(lines_of(r));
  EXPECT_EQ(r.suite->load.mode, LoadMode::poisson);
  EXPECT_EQ(r.suite->load.rate, 12.5);
  EXPECT_EQ(r.suite->load.seed, 9U);
  EXPECT_EQ(r.suite->load.order, TargetOrder::interleaved);
  EXPECT_EQ(r.suite->load.prompt_order, PromptOrder::shuffle);
  EXPECT_TRUE(r.suite->load.retry);
}

TEST(SuiteLoader, IgnoredLoadKeysWarn) {
  std::string text = k_valid;
  text.replace(text.find("requests = 10"), 13, "requests = 10\nrate = 5");
  const auto r = load_suite_text(text, "s.toml");
  ASSERT_TRUE(r.suite);
  ASSERT_EQ(r.diagnostics.items().size(), 1U);
  EXPECT_EQ(r.diagnostics.items()[0].to_string(),
            "s.toml:8:8: warning: rate is ignored in mode \"concurrency\" (it is for rate and "
            "poisson)");
}

TEST(SuiteLoader, BadMessages) {
  std::string role = k_valid;
  role.replace(role.find("role = \"user\""), 13, "role = \"usr\"");
  expect_one_error(role,
                   "s.toml:15:22: unknown role \"usr\" in message 1 of [[prompts]] #1 (did "
                   "you mean \"user\"?) (one of: system, developer, user, assistant, tool)");
  std::string both = k_valid;
  both.replace(both.find("id = \"p1\""), 9, "id = \"p1\"\nprompt = \"x\"");
  expect_one_error(both,
                   "s.toml:13:1: [[prompts]] #1 needs exactly one of messages, prompt or "
                   "file");
}

TEST(SuiteLoader, LayersRequestParameters) {
  const std::string text = R"([suite]
name = "layers"
[defaults]
max_tokens = 100
temperature = 0.2
extra = { seed = 1, user = "bench" }
[load]
mode = "concurrency"
requests = 1
[[targets]]
name = "a"
provider = "openai"
model = "gpt-4o-mini"
base_url = "http://127.0.0.1:1/v1"
max_tokens = 300
extra = { seed = 2 }
headers = { "OpenAI-Organization" = "org-1" }
price = { input = 1.0, output = 2.0 }
[[prompts]]
id = "p"
prompt = "x"
max_tokens = 50
temperature = 0.9
)";
  const auto r = load_suite_text(text, "s.toml");
  ASSERT_TRUE(r.suite) << ::testing::PrintToString(lines_of(r));
  const auto& s = *r.suite;
  const auto p = s.effective_params(s.targets[0], s.prompts[0]);
  EXPECT_EQ(*p.max_tokens, 300);   // target beats prompt beats defaults
  EXPECT_EQ(*p.temperature, 0.9);  // prompt beats defaults
  ASSERT_EQ(p.extra.size(), 2U);
  EXPECT_EQ(p.extra[0], (std::pair<std::string, std::string>{"seed", "2"}));
  EXPECT_EQ(p.extra[1], (std::pair<std::string, std::string>{"user", "\"bench\""}));
  EXPECT_EQ(s.targets[0].headers.size(), 1U);
  ASSERT_TRUE(s.targets[0].price);
  EXPECT_EQ(s.targets[0].price->cached_input, 1.0);  // defaults to the input price
}

TEST(SuiteLoader, UnreadableSuiteFile) {
  const auto r = load_suite("/nonexistent/suite.toml");
  ASSERT_EQ(r.diagnostics.error_count(), 1U);
  EXPECT_EQ(r.diagnostics.items()[0].to_string(),
            "/nonexistent/suite.toml:1:1: cannot read suite file /nonexistent/suite.toml (check "
            "the path)");
}

TEST(SuiteLoader, HashCoversPromptFiles) {
  TempDir dir;
  const std::string text =
      k_valid.substr(0, k_valid.find("[[prompts]]")) + "[[prompts]]\nfile = \"p.jsonl\"\n";
  dir.write("p.jsonl", "{\"id\": \"a\", \"prompt\": \"one\"}\n");
  const std::string path = dir.write("s.toml", text);
  const auto first = load_suite(path);
  dir.write("p.jsonl", "{\"id\": \"a\", \"prompt\": \"two\"}\n");
  const auto second = load_suite(path);
  ASSERT_TRUE(first.suite && second.suite);
  EXPECT_NE(first.suite->hash, second.suite->hash);
}

TEST(SuiteLoader, ShippedSuitesAreValid) {
  for (const char* name : {"quickstart.toml", "openai-vs-anthropic.toml"}) {
    const auto r = load_suite(std::string(LLMBENCH_SOURCE_DIR) + "/suites/" + name);
    EXPECT_TRUE(r.suite) << name << ": " << ::testing::PrintToString(lines_of(r));
  }
}

TEST(Loader, CacheAndBeaconTables) {
  const auto r = load_suite_text(k_valid +
                                     "[cache]\nmode = \"auto\"\npath = \"c.db\"\n"
                                     "replay_timing = \"scale:0.25\"\nkey = \"full\"\n"
                                     "[beacon]\nenabled = true\nsample = 0.5\nmax_per_run = 7\n"
                                     "attestation = \"message\"\n",
                                 "s.toml");
  ASSERT_TRUE(r.suite) << ::testing::PrintToString(lines_of(r));
  EXPECT_EQ(r.suite->cache.mode, CacheMode::automatic);
  EXPECT_EQ(r.suite->cache.path, "c.db");
  EXPECT_EQ(r.suite->cache.timing.kind, ReplayTiming::Kind::scaled);
  EXPECT_EQ(r.suite->cache.timing.scale, 0.25);
  EXPECT_TRUE(r.suite->cache.full_key);
  EXPECT_TRUE(r.suite->beacon.enabled);
  EXPECT_EQ(r.suite->beacon.sample, 0.5);
  EXPECT_EQ(r.suite->beacon.max_per_run, 7);
  EXPECT_EQ(r.suite->beacon.attestation, "message");
  // Defaults: off, and nothing is sent.
  const auto plain = load_suite_text(k_valid, "s.toml");
  EXPECT_EQ(plain.suite->cache.mode, CacheMode::off);
  EXPECT_FALSE(plain.suite->beacon.enabled);

  expect_one_error(k_valid + "[cache]\nmode = \"sometimes\"\n",
                   "s.toml:17:8: unknown mode \"sometimes\" in [cache] (one of: off, record, "
                   "replay, auto)");
  expect_one_error(k_valid + "[cache]\nreplay_timing = \"scale:0\"\n",
                   "s.toml:17:17: replay_timing \"scale:0\" is not one of \"none\", \"recorded\" "
                   "or \"scale:F\" (e.g. \"scale:0.5\")");
  expect_one_error(k_valid + "[beacon]\nenable = true\n",
                   "s.toml:17:1: unknown key \"enable\" in [beacon] (did you mean \"enabled\"?)");
  expect_one_error(k_valid + "[beacon]\nsample = 2\n",
                   "s.toml:17:10: sample in [beacon] must be between 0 and 1, not 2");
}

// std::regex_match recursed once per character and overflowed the stack on 30,000+
// characters (issue 11); lengths are bounded first and the checks are linear scans.
TEST(SuiteLoader, VeryLongUrlsAndVariableNamesAreErrorsNotCrashes) {
  std::string text = k_valid;
  text.replace(text.find("provider = \"mock\""), 17,
               "provider = \"openai\"\nmodel = \"x\"\nbase_url = \"https://h/" +
                   std::string(100'000, 'a') + "\"\napi_key_env = \"" + std::string(60'000, 'K') +
                   "\"");
  const auto r = load_suite_text(text, "s.toml");
  EXPECT_FALSE(r.suite.has_value());
  const auto lines = lines_of(r);
  ASSERT_EQ(r.diagnostics.error_count(), 2U) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find("base_url is 100010 characters long; at most 2048"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("api_key_env names an environment variable"), std::string::npos)
      << lines[1];
}

TEST(SuiteLoader, UrlShapes) {
  const auto url_error = [](const std::string& url) {
    std::string text = k_valid;
    text.replace(text.find("provider = \"mock\""), 17,
                 "provider = \"openai\"\nmodel = \"x\"\nbase_url = \"" + url + "\"");
    return load_suite_text(text, "s.toml").diagnostics.error_count();
  };
  for (const std::string ok : {"http://127.0.0.1:8080/v1", "https://api.openai.com/v1",
                               "http://[::1]:9/v1", "https://h", "http://h/v1/"}) {
    EXPECT_EQ(url_error(ok), 0U) << ok;
  }
  for (const std::string bad : {"ftp://h/v1", "https://", "https:///v1", "http://h h/v1",
                                "http://h/v 1", "http://h\t/v1", "h/v1"}) {
    EXPECT_EQ(url_error(bad), 1U) << bad;
  }
}

// `validate` used to pass a [gate] that `run` then refused.
TEST(SuiteLoader, GatesAreChecked) {
  expect_one_error(k_valid + "\n[gate]\nfail_on = [\"ttft.p95>+10%\", \"nonsense\"]\n",
                   "s.toml:18:11: [gate] fail_on \"nonsense\": unknown metric \"nonsense\" "
                   "(forms: \"ttft.p95>+10%\", \"errors>+1pp\", \"e2e.p50>+50ms\", "
                   "\"e2e.p99>2500ms\"; metrics ttft, e2e, itl, tpot, tps, throughput, errors, "
                   "cost)");
  const auto r = load_suite_text(
      k_valid + "\n[gate]\nfail_on = [\"" + std::string(50'000, 'e') + "\"]\n", "s.toml");
  EXPECT_EQ(r.diagnostics.error_count(), 1U);
}

TEST(SuiteLoader, EngineThreadsIsAnIntegerUpTo64) {
  std::string text = k_valid;
  text.replace(text.find("requests = 10"), 13, "requests = 10\nengine_threads = 3");
  const auto r = load_suite_text(text, "s.toml", {});
  ASSERT_TRUE(r.suite.has_value()) << ::testing::PrintToString(lines_of(r));
  EXPECT_EQ(r.suite->load.engine_threads, 3);
  EXPECT_EQ(load_suite_text(k_valid, "s.toml", {}).suite->load.engine_threads, 0);  // auto
  text.replace(text.find("engine_threads = 3"), 18, "engine_threads = 65");
  expect_one_error(text, "s.toml:8:18: engine_threads in [load] must be between 0 and 64, not 65");
}

// A mock target's delays and lengths take the mock's distribution specs, spikes included;
// a fixed duration stays what it was.
TEST(SuiteLoader, MockScriptsTakeDistributionSpecs) {
  std::string text = k_valid;
  text.replace(text.find("provider = \"mock\""), 17,
               "provider = \"mock\"\nmock = { ttft = \"lognormal:20ms,0.8+spike:2%,800ms\", "
               "itl = \"5ms\", output_tokens = \"uniform:16..48\" }");
  const auto r = load_suite_text(text, "s.toml");
  ASSERT_TRUE(r.suite) << ::testing::PrintToString(lines_of(r));
  const auto& mock = r.suite->targets[0].mock;
  EXPECT_EQ(mock.ttft_spec, "lognormal:20ms,0.8+spike:2%,800ms");
  EXPECT_TRUE(mock.itl_spec.empty());
  EXPECT_EQ(mock.itl, std::chrono::milliseconds(5));
  EXPECT_EQ(mock.output_tokens_spec, "uniform:16..48");
  EXPECT_EQ(mock.output_tokens, 32);  // its mean, for the plan
  bool ttft = false;
  bool count = false;
  for (const auto& [k, v] : llmbench::providers::mock_script_headers(mock)) {
    ttft |= k == "x-mock-ttft" && v == "lognormal:20ms,0.8+spike:2%,800ms";
    count |= k == "x-mock-output-tokens" && v == "uniform:16..48";
  }
  EXPECT_TRUE(ttft);
  EXPECT_TRUE(count);

  std::string bad = k_valid;
  bad.replace(bad.find("provider = \"mock\""), 17,
              "provider = \"mock\"\nmock = { ttft = \"spike:20ms,2%\" }");
  const auto e = load_suite_text(bad, "s.toml");
  EXPECT_FALSE(e.suite);
  ASSERT_EQ(e.diagnostics.error_count(), 1U) << ::testing::PrintToString(lines_of(e));
  EXPECT_EQ(lines_of(e)[0].rfind("s.toml:12:17: ttft \"spike:20ms,2%\": a spike needs P%,SPIKE", 0),
            0U)
      << lines_of(e)[0];
}

// A suite POSTed to the service may name only the variables the service allows, read prompt
// files only under its data folder, and use no response cache.
TEST(SuiteLoader, UntrustedSuitesReachOnlyWhatTheServiceAllows) {
  ::setenv("LLMBENCH_TEST_ALLOWED_KEY", "sk-allowed", 1);
  ::setenv("LLMBENCH_TEST_SECRET", "planted-secret", 1);
  LoadOptions options{
      .require_api_keys = true,
      .untrusted = UntrustedRules{
          .allowed_env = {"LLMBENCH_TEST_ALLOWED_KEY"}, .data_dir = "", .mock_only = false}};
  std::string text = k_valid;
  text.replace(text.find("provider = \"mock\""), 17,
               "provider = \"openai\"\nmodel = \"x\"\napi_key_env = \"LLMBENCH_TEST_SECRET\"");
  expect_one_error(text,
                   "s.toml:13:15: api_key_env LLMBENCH_TEST_SECRET is not a variable this "
                   "service lets suites use (allowed: LLMBENCH_TEST_ALLOWED_KEY; the service's "
                   "--allow-key-env lists them)",
                   options);
  std::string allowed = k_valid;
  allowed.replace(allowed.find("provider = \"mock\""), 17,
                  "provider = \"openai\"\nmodel = \"x\"\napi_key_env = "
                  "\"LLMBENCH_TEST_ALLOWED_KEY\"");
  EXPECT_TRUE(load_suite_text(allowed, "s.toml", options).suite);
  // ${NAME} in a URL is a way out too.
  std::string url = k_valid;
  url.replace(url.find("provider = \"mock\""), 17,
              "provider = \"openai\"\nmodel = \"x\"\nbase_url = "
              "\"http://127.0.0.1:9/${LLMBENCH_TEST_SECRET}\"");
  const auto r = load_suite_text(url, "s.toml", options);
  EXPECT_FALSE(r.suite);
  ASSERT_EQ(r.diagnostics.error_count(), 1U);
  EXPECT_NE(r.diagnostics.items()[0].to_string().find("${LLMBENCH_TEST_SECRET} is not a variable"),
            std::string::npos);
  // mock-only
  options.untrusted->mock_only = true;
  expect_one_error(allowed,
                   "s.toml:11:12: this service runs mock targets only (--mock-only): set provider "
                   "= \"mock\" on [[targets]] #1",
                   options);
  // The cache.
  expect_one_error(k_valid + "[cache]\nmode = \"record\"\npath = \"/tmp/x.db\"\n",
                   "s.toml:17:8: this service does not use the response cache: remove [cache] or "
                   "set mode = \"off\"",
                   options);
  ::unsetenv("LLMBENCH_TEST_SECRET");
  ::unsetenv("LLMBENCH_TEST_ALLOWED_KEY");
}

TEST(SuiteLoader, UntrustedPromptFilesStayInsideTheDataFolder) {
  llmbench::testing::TempDir dir;
  const std::string data = dir.file("data");
  std::filesystem::create_directories(data + "/sub");
  dir.write("data/sub/prompts.jsonl", "{\"id\": \"a\", \"prompt\": \"hi\"}\n");
  dir.write("outside.jsonl", "{\"id\": \"b\", \"prompt\": \"secret\"}\n");
  std::filesystem::create_symlink(dir.file("outside.jsonl"), data + "/link.jsonl");
  const auto with_file = [](const std::string& file) {
    return "[suite]\nname = \"t\"\n[load]\nmode = \"concurrency\"\nrequests = 1\n[[targets]]\nname "
           "= \"m\"\n"
           "provider = \"mock\"\n[[prompts]]\nfile = \"" +
           file + "\"\n";
  };
  LoadOptions options{
      .require_api_keys = true,
      .untrusted = UntrustedRules{.allowed_env = {}, .data_dir = data, .mock_only = true}};
  const auto ok = load_suite_text(with_file("sub/prompts.jsonl"), "s.toml", options);
  ASSERT_TRUE(ok.suite) << ::testing::PrintToString(lines_of(ok));
  EXPECT_EQ(ok.suite->prompts.at(0).id, "a");
  for (const std::string& bad :
       std::vector<std::string>{"../outside.jsonl", dir.file("outside.jsonl"),
                                "sub/../../outside.jsonl", "link.jsonl"}) {
    expect_one_error(with_file(bad),
                     "s.toml:10:8: file \"" + bad +
                         "\" is outside the service's data folder: give a path relative to "
                         "--data-dir that stays inside it",
                     options);
  }
  options.untrusted->data_dir.clear();
  expect_one_error(with_file("sub/prompts.jsonl"),
                   "s.toml:10:8: this service reads no prompt files (start it with --data-dir DIR "
                   "to allow files under DIR), or write the prompts into the suite",
                   options);
}
