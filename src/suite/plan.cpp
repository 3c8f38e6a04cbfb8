#include "llmbench/suite/plan.hpp"

#include "llmbench/util/strings.hpp"

#include <fmt/format.h>

#include <cmath>

#include "llmbench/util/duration.hpp"

namespace llmbench::suite {

double estimate_tokens(const std::vector<Message>& messages,
                       const std::optional<std::string>& system) {
  double chars = system ? static_cast<double>(system->size()) : 0.0;
  double framing = system ? 4.0 : 0.0;
  for (const auto& m : messages) {
    chars += static_cast<double>(m.text.size());
    framing += 4.0;
  }
  return std::ceil(chars / 4.0) + framing;
}

namespace {

std::string load_summary(const LoadProfile& load) {
  std::string how;
  switch (load.mode) {
    case LoadMode::concurrency:
      how = fmt::format("concurrency {}", load.concurrency);
      break;
    case LoadMode::rate:
      how = fmt::format("constant rate {:g} req/s", load.rate);
      break;
    case LoadMode::poisson:
      how = fmt::format("Poisson arrivals at {:g} req/s", load.rate);
      break;
    case LoadMode::sweep:
      if (!load.rates.empty()) {
        how = fmt::format("sweep over {} rates ({} req/s)", load.rates.size(),
                          fmt::join(load.rates, ", "));
      } else {
        how = fmt::format("sweep in {} steps up to saturation", load.steps);
      }
      break;
  }
  std::string stop;
  if (load.requests && load.duration) {
    stop = fmt::format("{} requests or {}, whichever comes first", *load.requests,
                       util::format_duration(*load.duration));
  } else if (load.requests) {
    stop = fmt::format("{} requests", *load.requests);
  } else {
    stop = fmt::format("for {}", util::format_duration(*load.duration));
  }
  const std::string per = load.mode == LoadMode::sweep ? "per step and target" : "per target";
  return fmt::format("{}, {} {}{}, timeout {}", how, stop, per,
                     load.warmup > 0 ? fmt::format(" + {} warmup", load.warmup) : "",
                     util::format_duration(load.timeout));
}

// Measured requests per target, when it can be known before running.
std::optional<std::int64_t> measured_requests(const LoadProfile& load) {
  const std::int64_t steps =
      load.mode == LoadMode::sweep
          ? static_cast<std::int64_t>(load.rates.empty() ? load.steps : load.rates.size())
          : 1;
  if (load.requests) {
    return *load.requests * steps;
  }
  const bool open_loop = load.mode == LoadMode::rate || load.mode == LoadMode::poisson;
  if (open_loop && load.duration) {
    const double secs = std::chrono::duration<double>(*load.duration).count();
    return static_cast<std::int64_t>(std::llround(load.rate * secs));
  }
  if (load.mode == LoadMode::sweep && !load.rates.empty() && load.duration) {
    const double secs = std::chrono::duration<double>(*load.duration).count();
    double total = 0;
    for (const double r : load.rates) {
      total += r * secs;
    }
    return static_cast<std::int64_t>(std::llround(total));
  }
  return std::nullopt;
}

}  // namespace

Plan make_plan(const Suite& suite, const pricing::PriceBook& prices) {
  Plan plan;
  plan.load_summary = load_summary(suite.load);
  plan.prompts = suite.prompts.size();
  const auto measured = measured_requests(suite.load);
  double total_cost = 0;
  std::int64_t total_requests = 0;
  std::vector<TargetPlan> per_target;
  for (const auto& t : suite.targets) {
    TargetPlan tp;
    tp.name = t.name;
    tp.provider = std::string(to_string(t.provider));
    tp.model = t.model();
    tp.requests = measured;
    tp.warmup = suite.load.warmup;
    double in = 0;
    double out = 0;
    for (const auto& p : suite.prompts) {
      const RequestParams params = suite.effective_params(t, p);
      in += estimate_tokens(p.messages, params.system);
      out += t.provider == Provider::mock
                 ? static_cast<double>(
                       std::min(t.mock.output_tokens, params.max_tokens.value_or(INT64_MAX)))
                 : static_cast<double>(params.max_tokens.value_or(4096));
    }
    const auto n = static_cast<double>(suite.prompts.size());
    tp.est_input_tokens = n > 0 ? in / n : 0;
    tp.est_output_tokens = n > 0 ? out / n : 0;

    std::optional<pricing::Price> price = t.price;
    if (t.price) {
      tp.price_source = "suite";
    } else if (t.provider != Provider::mock) {
      if (const auto found = prices.find(to_string(t.provider), t.model())) {
        price = found->price;
        tp.price_source = found->source;
      }
    }
    tp.free = t.provider == Provider::mock && !t.price;
    const std::optional<std::int64_t> sent =
        measured ? std::optional<std::int64_t>(*measured + tp.warmup) : std::nullopt;
    if (tp.free) {
      tp.est_cost_usd = 0.0;
    } else if (price && sent) {
      pricing::Usage per_request;
      per_request.input_tokens = std::llround(tp.est_input_tokens);
      per_request.output_tokens = std::llround(tp.est_output_tokens);
      tp.est_cost_usd = pricing::cost_usd(*price, per_request) * static_cast<double>(*sent);
    }
    per_target.push_back(std::move(tp));
  }
  // What is measured: the targets measured alone, then the routes, each estimated as its
  // first member (a floor: hedges and fallbacks add attempts, docs/routes.md).
  std::vector<TargetPlan> units;
  for (std::size_t i = 0; i < per_target.size(); ++i) {
    if (suite.measured_alone(i)) {
      units.push_back(per_target[i]);
    }
  }
  for (const auto& r : suite.routes) {
    if (r.members_index.empty()) {
      continue;
    }
    TargetPlan tp = per_target[r.members_index.front()];
    tp.name = r.name;
    tp.provider = fmt::format("route ({})", to_string(r.policy));
    tp.model = util::join(r.members, ",");
    units.push_back(std::move(tp));
  }
  for (auto& tp : units) {
    if (tp.est_cost_usd) {
      total_cost += *tp.est_cost_usd;
    } else {
      plan.cost_partial = true;
    }
    if (measured) {
      total_requests += *measured + tp.warmup;
    }
    plan.targets.push_back(std::move(tp));
  }
  if (measured) {
    plan.total_requests = total_requests;
  }
  if (!plan.cost_partial) {
    plan.total_cost_usd = total_cost;
  }
  return plan;
}

}  // namespace llmbench::suite
