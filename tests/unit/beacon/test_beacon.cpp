// TraceBeacon v1: what we build validates against the published schema, and our validation
// (the collector's) refuses exactly what the schema refuses.

#include "llmbench/beacon/beacon.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/beacon_fixtures.hpp"
#include "support/json_schema.hpp"
#include "support/shared_testdata.hpp"

using namespace llmbench::beacon;

namespace {

Beacon sample() {
  return llmbench::testing::sample_beacon();
}

std::string schema_text() {
  const auto dir = llmbench::testing::shared_testdata();
  std::ifstream in(*dir + "/f3dx-bench/trace_beacon.schema.json");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces `"key":<value>` in a compact beacon with `"key":<replacement>` (or removes it).
std::string with(std::string json, const std::string& key, const std::optional<std::string>& v) {
  const std::string tag = "\"" + key + "\":";
  const auto at = json.find(tag);
  EXPECT_NE(at, std::string::npos) << key;
  std::size_t end = at + tag.size();
  if (json[end] == '"') {
    end = json.find('"', end + 1) + 1;
  } else {
    end = json.find_first_of(",}", end);
  }
  if (v) {
    json.replace(at + tag.size(), end - at - tag.size(), *v);
  } else {
    const bool comma_after = json[end] == ',';
    json.erase(at, end - at + (comma_after ? 1 : 0));
    if (!comma_after && json[at - 1] == ',') {
      json.erase(at - 1, 1);
    }
  }
  return json;
}

}  // namespace

TEST(Beacon, WhatWeBuildValidatesAgainstThePublishedSchema) {
  LLMBENCH_REQUIRE_SHARED_TESTDATA(testdata);
  llmbench::testing::JsonSchema schema(schema_text());
  Beacon b = sample();
  EXPECT_EQ(schema.violation(to_json(b)), std::nullopt) << to_json(b);
  // Optional fields may be absent.
  b.region.reset();
  b.latency_ms_to_first_token.reset();
  b.cost_usd_estimate.reset();
  EXPECT_EQ(schema.violation(to_json(b)), std::nullopt) << to_json(b);
  for (const auto p : providers()) {
    b.provider = std::string(p);
    EXPECT_EQ(schema.violation(to_json(b)), std::nullopt) << p;
  }
}

TEST(Beacon, OurValidationRefusesWhatTheSchemaRefuses) {
  LLMBENCH_REQUIRE_SHARED_TESTDATA(testdata);
  llmbench::testing::JsonSchema schema(schema_text());
  const std::string good = to_json(sample());
  ASSERT_TRUE(parse(good)) << parse(good).error();
  struct Case {
    std::string key;
    std::optional<std::string> value;  // nothing: the field is removed
  };
  const std::vector<Case> bad = {
      // every required field, missing
      {"schema_version", std::nullopt},
      {"ts", std::nullopt},
      {"install_id", std::nullopt},
      {"install_hmac", std::nullopt},
      {"model", std::nullopt},
      {"provider", std::nullopt},
      {"status_code", std::nullopt},
      {"latency_ms_total", std::nullopt},
      {"input_tokens", std::nullopt},
      {"output_tokens", std::nullopt},
      // types
      {"schema_version", "1"},
      {"status_code", "\"200\""},
      {"latency_ms_total", "12.5"},
      {"input_tokens", "\"12\""},
      {"output_tokens", "null"},
      {"model", "7"},
      {"cost_usd_estimate", "\"cheap\""},
      {"latency_ms_to_first_token", "1.5"},
      // values and ranges
      {"schema_version", "\"v2\""},
      {"status_code", "99"},
      {"status_code", "600"},
      {"latency_ms_total", "-1"},
      {"input_tokens", "-5"},
      {"output_tokens", "-1"},
      {"latency_ms_to_first_token", "-1"},
      {"cost_usd_estimate", "-0.01"},
      {"model", "\"\""},
      {"model", "\"" + std::string(129, 'm') + "\""},
      {"region", "\"" + std::string(33, 'r') + "\""},
      {"provider", "\"azure\""},
      {"provider", "\"OpenAI\""},
      {"install_hmac", "\"" + std::string(64, 'A') + "\""},
      {"install_hmac", "\"" + std::string(63, 'a') + "\""},
      {"install_id", "\"not-a-uuid\""},
      {"ts", "\"yesterday\""},
      {"ts", "\"2026-11-27 03:04:05Z\""},
      {"ts", "\"2026-13-27T03:04:05Z\""},
  };
  for (const auto& c : bad) {
    const std::string json = with(good, c.key, c.value);
    SCOPED_TRACE(json);
    EXPECT_TRUE(schema.violation(json).has_value()) << "the schema should refuse it";
    EXPECT_FALSE(parse(json)) << "parse accepted it";
  }
  // No other properties: a prompt, a header or a URL cannot ride along.
  for (const char* extra : {R"("prompt":"hi")", R"("base_url":"https://x")", R"("tags":{})"}) {
    const std::string json = good.substr(0, good.size() - 1) + "," + extra + "}";
    EXPECT_TRUE(schema.violation(json).has_value());
    EXPECT_FALSE(parse(json));
  }
  // And what the schema accepts, we accept: integers spelled as 200.0, a region of 32.
  const std::string fine =
      with(with(good, "status_code", "200.0"), "region", "\"" + std::string(32, 'r') + "\"");
  EXPECT_EQ(schema.violation(fine), std::nullopt);
  EXPECT_TRUE(parse(fine)) << parse(fine).error();
}

TEST(Beacon, ProviderFromTheTarget) {
  EXPECT_EQ(classify_provider("openai", "https://api.openai.com/v1"), "openai");
  EXPECT_EQ(classify_provider("anthropic", "https://api.anthropic.com/v1"), "anthropic");
  EXPECT_EQ(classify_provider("openai", "https://api.groq.com/openai/v1"), "groq");
  EXPECT_EQ(classify_provider("openai", "https://api.together.xyz/v1"), "together");
  EXPECT_EQ(classify_provider("openai", "https://api.fireworks.ai/inference/v1"), "fireworks");
  EXPECT_EQ(classify_provider("openai", "https://api.deepseek.com"), "deepseek");
  EXPECT_EQ(classify_provider("openai", "https://openrouter.ai/api/v1"), "openrouter");
  EXPECT_EQ(classify_provider("openai", "https://api.mistral.ai/v1"), "mistral");
  EXPECT_EQ(classify_provider("openai", "https://api.x.ai/v1"), "xai");
  EXPECT_EQ(classify_provider("openai", "http://vllm-0.gpu.internal:8000/v1"), "vllm");
  EXPECT_EQ(classify_provider("openai", "https://llm.example.com/v1"), "other");
  EXPECT_EQ(classify_provider("openai", "https://api.openai.com.evil.example/v1"), "other");
  for (const auto* url : {"https://api.openai.com/v1", "https://llm.example.com/v1"}) {
    const auto p = classify_provider("openai", url);
    EXPECT_NE(std::find(providers().begin(), providers().end(), p), providers().end());
  }
}

TEST(Beacon, PrivateAddressesAreRecognised) {
  for (const auto* url : {"http://127.0.0.1:8000/v1", "http://localhost:1234", "http://10.1.2.3/v1",
                          "http://172.20.0.5", "http://192.168.1.9:80", "http://[::1]:8080/v1",
                          "http://[fd12::1]/v1", "http://169.254.1.1", "http://box.local/v1",
                          "http://vllm.internal/v1", "http://user:pw@127.0.0.1/v1"}) {
    EXPECT_TRUE(is_private_host(url)) << url;
  }
  for (const auto* url : {"https://api.openai.com/v1", "http://8.8.8.8/v1", "http://172.32.0.1",
                          "https://[2001:db8::1]/v1"}) {
    EXPECT_FALSE(is_private_host(url)) << url;
  }
  EXPECT_EQ(host_of("https://User@API.example.com:443/v1?x"), "api.example.com");
}
