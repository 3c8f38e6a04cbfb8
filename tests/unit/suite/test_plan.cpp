#include "llmbench/suite/plan.hpp"

#include <gtest/gtest.h>

#include "llmbench/suite/loader.hpp"

using namespace llmbench::suite;

namespace {

Suite load(const std::string& text) {
  auto r = load_suite_text(text, "s.toml");
  EXPECT_TRUE(r.suite);
  return *r.suite;
}

const char* k_suite = R"([suite]
name = "plan"
[defaults]
max_tokens = 100
[load]
mode = "concurrency"
requests = 10
warmup = 2
[[targets]]
name = "real"
provider = "openai"
model = "gpt-4o-mini-2024-07-18"
[[targets]]
name = "custom"
provider = "openai"
model = "my-finetune"
[[targets]]
name = "priced"
provider = "openai"
model = "my-finetune"
price = { input = 1.0, output = 10.0 }
[[targets]]
name = "mock"
provider = "mock"
mock = { output_tokens = 20 }
[[prompts]]
id = "a"
prompt = "12345678"
)";

}  // namespace

TEST(Plan, EstimatesTokens) {
  // 8 characters -> 2 tokens, plus 4 for the message framing.
  EXPECT_EQ(estimate_tokens({{"user", "12345678", ""}}, std::nullopt), 6.0);
  EXPECT_EQ(estimate_tokens({{"user", "123", ""}}, std::string("sys!")), 4.0 + 2 + 4);
}

TEST(Plan, CountsRequestsAndCostsPerTarget) {
  const Suite s = load(k_suite);
  const Plan plan = make_plan(s, llmbench::pricing::PriceBook::builtin());
  ASSERT_EQ(plan.targets.size(), 4U);
  const auto& real = plan.targets[0];
  EXPECT_EQ(*real.requests, 10);
  EXPECT_EQ(real.warmup, 2);
  EXPECT_EQ(real.est_input_tokens, 6.0);
  EXPECT_EQ(real.est_output_tokens, 100.0);
  // 12 requests x (6 x $0.15 + 100 x $0.60) / 1M, found by alias.
  ASSERT_TRUE(real.est_cost_usd);
  EXPECT_NEAR(*real.est_cost_usd, 12 * (6 * 0.15 + 100 * 0.60) / 1e6, 1e-12);
  EXPECT_FALSE(plan.targets[1].est_cost_usd);  // unknown model: unknown, never 0
  ASSERT_TRUE(plan.targets[2].est_cost_usd);
  EXPECT_NEAR(*plan.targets[2].est_cost_usd, 12 * (6 * 1.0 + 100 * 10.0) / 1e6, 1e-12);
  EXPECT_EQ(plan.targets[2].price_source, "suite");
  EXPECT_TRUE(plan.targets[3].free);
  EXPECT_EQ(plan.targets[3].est_output_tokens, 20.0);  // the mock's scripted length
  EXPECT_EQ(*plan.total_requests, 48);
  EXPECT_TRUE(plan.cost_partial);
  EXPECT_FALSE(plan.total_cost_usd);
  EXPECT_EQ(plan.load_summary, "concurrency 1, 10 requests per target + 2 warmup, timeout 1m");
}

TEST(Plan, DurationDecidesForClosedLoops) {
  std::string text = k_suite;
  text.replace(text.find("requests = 10"), 13, "duration = \"30s\"");
  const Plan plan = make_plan(load(text), llmbench::pricing::PriceBook::builtin());
  EXPECT_FALSE(plan.targets[0].requests);
  EXPECT_FALSE(plan.total_requests);
  std::string rate = k_suite;
  rate.replace(rate.find("mode = \"concurrency\"\nrequests = 10"), 34,
               "mode = \"rate\"\nrate = 4\nduration = \"30s\"");
  const Plan open = make_plan(load(rate), llmbench::pricing::PriceBook::builtin());
  EXPECT_EQ(*open.targets[0].requests, 120);
  EXPECT_EQ(open.load_summary, "constant rate 4 req/s, for 30s per target + 2 warmup, timeout 1m");
}
