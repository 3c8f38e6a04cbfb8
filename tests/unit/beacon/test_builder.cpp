// Which requests become beacons, and with which fields.

#include "llmbench/beacon/builder.hpp"

#include <gtest/gtest.h>

#include "llmbench/suite/loader.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench::beacon;

namespace {

llmbench::suite::Suite load(const std::string& extra) {
  const std::string text = R"([suite]
name = "b"
[load]
mode = "concurrency"
requests = 10
[[targets]]
name = "public"
provider = "openai"
model = "gpt-4o-mini"
base_url = "https://api.openai.com/v1"
region = "us-east-1"
[[targets]]
name = "groq"
provider = "openai"
model = "llama-3.1-8b-instant"
base_url = "https://api.groq.com/openai/v1"
[[targets]]
name = "local"
provider = "openai"
model = "m"
base_url = "http://127.0.0.1:8000/v1"
[[targets]]
name = "local-ok"
provider = "openai"
model = "m"
base_url = "http://10.0.0.5:8000/v1"
beacon = true
[[targets]]
name = "opted-out"
provider = "openai"
model = "m"
base_url = "https://api.openai.com/v1"
beacon = false
[[targets]]
name = "synthetic"
provider = "mock"
[[prompts]]
id = "s"
prompt = "streamed"
[[prompts]]
id = "w"
prompt = "whole"
stream = false
)" + extra;
  auto r = llmbench::suite::load_suite_text(text, "b.toml");
  EXPECT_TRUE(r.suite) << (r.diagnostics.items().empty() ? ""
                                                         : r.diagnostics.items()[0].to_string());
  return *r.suite;
}

llmbench::store::RequestRow row(const std::string& target, std::int64_t seq,
                                const std::string& prompt = "s") {
  llmbench::store::RequestRow r;
  r.run_id = "run";
  r.seq = seq;
  r.target = target;
  r.prompt_id = prompt;
  r.t_send_ns = 1'500'000'000;
  r.t_first_token_ns = 1'700'400'000;
  r.t_done_ns = 2'400'600'000;
  r.status_code = 200;
  r.input_tokens = 11;
  r.output_tokens = 22;
  r.cost_usd = 0.25;
  return r;
}

Install install() {
  return {"72d7ea54-7a6b-47fa-985f-c05217fd32ac", std::string(64, 'a'), std::string(64, 'b')};
}

}  // namespace

TEST(Builder, FieldsOfABeacon) {
  const auto s = load("");
  Builder b(s, "run", 1'700'000'000'000, install(), Attestation::token);
  const auto one = b.beacon_for(row("public", 1));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->ts, "2023-11-14T22:13:21.500Z");  // run start + 1.5 s
  EXPECT_EQ(one->provider, "openai");
  EXPECT_EQ(one->region, "us-east-1");
  EXPECT_EQ(one->model, "gpt-4o-mini");
  EXPECT_EQ(one->latency_ms_total, 901);           // 900.6 ms, rounded
  EXPECT_EQ(one->latency_ms_to_first_token, 200);  // 200.4 ms
  EXPECT_EQ(one->input_tokens, 11);
  EXPECT_EQ(one->output_tokens, 22);
  EXPECT_EQ(one->cost_usd_estimate, 0.25);
  EXPECT_EQ(one->install_hmac, std::string(64, 'a'));
  EXPECT_EQ(validate(*one), std::nullopt);
  EXPECT_EQ(b.beacon_for(row("groq", 2))->provider, "groq");
  EXPECT_FALSE(b.beacon_for(row("public", 3, "w"))->latency_ms_to_first_token);  // not streamed
}

TEST(Builder, WhatIsNeverBeaconed) {
  const auto s = load("");
  Builder b(s, "run", 0, install(), Attestation::token);
  auto warm = row("public", 1);
  warm.warmup = true;
  EXPECT_FALSE(b.beacon_for(warm));
  auto replayed = row("public", 2);
  replayed.replayed = true;
  EXPECT_FALSE(b.beacon_for(replayed));
  auto refused = row("public", 3);
  refused.status_code.reset();
  refused.error_class = "connection";
  EXPECT_FALSE(b.beacon_for(refused));
  EXPECT_FALSE(b.beacon_for(row("synthetic", 4)));
  EXPECT_FALSE(b.beacon_for(row("local", 5)));  // loopback without beacon = true
  EXPECT_FALSE(b.beacon_for(row("opted-out", 6)));
  const auto local_ok = b.beacon_for(row("local-ok", 7));
  ASSERT_TRUE(local_ok);
  EXPECT_EQ(local_ok->provider, "other");
  // A failed request with a status is a beacon (error rates), without a cost.
  auto failed = row("public", 8);
  failed.status_code = 503;
  failed.error_class = "http_5xx";
  const auto f = b.beacon_for(failed);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status_code, 503);
  EXPECT_FALSE(f->cost_usd_estimate);
  // A failure after a 200 (timeout, cut-off stream, error event, cancel) would pass for a
  // success: never beaconed.
  for (const char* cls : {"timeout_total", "protocol", "cancelled", "http_5xx"}) {
    auto after_200 = row("public", 9);
    after_200.error_class = cls;
    EXPECT_FALSE(b.beacon_for(after_200)) << cls;
  }
  EXPECT_NE(b.targets().at("local").why_not.find("loopback"), std::string::npos);
}

TEST(Builder, SamplingIsDeterministicAndTheCapHolds) {
  const auto s = load("[beacon]\nsample = 0.25\n");
  Builder a(s, "run", 0, install(), Attestation::token);
  Builder again(s, "run", 0, install(), Attestation::token);
  int kept = 0;
  for (int i = 0; i < 4000; ++i) {
    const bool x = a.beacon_for(row("public", i)).has_value();
    EXPECT_EQ(x, again.beacon_for(row("public", i)).has_value());
    kept += x;
  }
  EXPECT_GT(kept, 900);
  EXPECT_LT(kept, 1100);
  const auto capped = load("[beacon]\nmax_per_run = 3\n");
  Builder c(capped, "run", 0, install(), Attestation::token);
  int n = 0;
  for (int i = 0; i < 10; ++i) {
    n += c.beacon_for(row("public", i)).has_value();
  }
  EXPECT_EQ(n, 3);
}

TEST(Builder, MessageAttestationSignsEachBeacon) {
  const auto s = load("[beacon]\nattestation = \"message\"\n");
  Builder b(s, "run", 0, install(), Attestation::message);
  const auto one = b.beacon_for(row("public", 1));
  ASSERT_TRUE(one);
  EXPECT_TRUE(verify_message_hmac(*one, std::string(64, 'b')));
  auto slower = row("public", 2);
  slower.t_done_ns = *slower.t_done_ns + 5'000'000;
  EXPECT_NE(one->install_hmac, b.beacon_for(slower)->install_hmac);
}
