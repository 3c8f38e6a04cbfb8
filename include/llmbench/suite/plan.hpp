#pragma once
// What a suite will do before it does it: requests per target, token and cost estimates.

#include <optional>
#include <string>
#include <vector>

#include "llmbench/pricing/pricing.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::suite {

struct TargetPlan {
  std::string name;
  std::string provider;
  std::string model;
  std::optional<std::int64_t> requests;  // measured requests; nullopt when duration decides
  std::int64_t warmup = 0;
  double est_input_tokens = 0;         // per request, averaged over the prompts (~4 chars a token)
  double est_output_tokens = 0;        // per request: max_tokens (an upper bound), mock: scripted
  std::optional<double> est_cost_usd;  // all requests incl. warmup; nullopt: price unknown
  bool free = false;                   // mock targets cost nothing
  std::string price_source;            // "pricing/openai.toml:12", "suite", or ""
};

struct Plan {
  std::string load_summary;  // "concurrency 8, 200 requests + 5 warmup per target"
  std::vector<TargetPlan> targets;
  std::size_t prompts = 0;
  std::optional<std::int64_t> total_requests;
  std::optional<double> total_cost_usd;  // nullopt if any priced target is unknown
  bool cost_partial = false;             // some target's price is unknown
};

// A rough token count for text: ~4 characters a token, plus a few per message for framing.
double estimate_tokens(const std::vector<Message>& messages,
                       const std::optional<std::string>& system);

Plan make_plan(const Suite& suite, const pricing::PriceBook& prices);

}  // namespace llmbench::suite
