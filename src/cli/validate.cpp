#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "llmbench/pricing/pricing.hpp"
#include "llmbench/suite/loader.hpp"
#include "llmbench/suite/plan.hpp"
#include "llmbench/util/strings.hpp"
#include "llmbench/util/table.hpp"

namespace llmbench::cli {

namespace {

std::string money(double usd) {
  if (usd == 0) {
    return "$0";
  }
  return usd >= 100 ? fmt::format("${:.2f}", usd) : fmt::format("${:.4g}", usd);
}

void print_plan(const suite::Suite& s, const suite::Plan& plan) {
  using Align = util::TextTable::Align;
  std::cout << fmt::format("{}: suite \"{}\" is valid (sha256 {})\n", s.path, s.name,
                           s.hash.substr(0, 12));
  std::cout << fmt::format("  load:    {}\n", plan.load_summary);
  std::cout << fmt::format("  prompts: {}\n", plan.prompts);
  util::TextTable table(
      {"target", "provider", "model", "requests", "in tok/req", "out tok/req", "est. cost"},
      {Align::left, Align::left, Align::left, Align::right, Align::right, Align::right,
       Align::right});
  for (const auto& t : plan.targets) {
    const std::string requests =
        t.requests ? fmt::format("{}", *t.requests + t.warmup) : std::string("by duration");
    std::string cost;
    if (t.free) {
      cost = "free (mock)";
    } else if (t.est_cost_usd) {
      cost = money(*t.est_cost_usd);
    } else {
      cost = t.requests ? "unknown (no price)" : "unknown";
    }
    table.add_row({t.name, t.provider, t.model, requests, fmt::format("{:.0f}", t.est_input_tokens),
                   fmt::format("{:.0f}", t.est_output_tokens), cost});
  }
  std::string rendered = table.render();
  std::string indented;
  for (const auto& line : util::split(rendered, '\n')) {
    if (!line.empty()) {
      indented += "  " + line + "\n";
    }
  }
  std::cout << indented;
  std::string total = plan.total_requests ? fmt::format("{} requests", *plan.total_requests)
                                          : std::string("requests decided by duration");
  const bool all_free = std::all_of(plan.targets.begin(), plan.targets.end(),
                                    [](const suite::TargetPlan& t) { return t.free; });
  if (all_free) {
    total += "; free (every target is a mock)";
  } else if (plan.total_cost_usd) {
    total += fmt::format("; estimated cost up to {} (output at max_tokens, input ~4 chars/token)",
                         money(*plan.total_cost_usd));
  } else {
    total +=
        "; estimated cost unknown (a target has no price: add price = { input = ..., "
        "output = ... } to it)";
  }
  std::cout << "  total:   " << total << "\n";
  if (s.cache.mode != suite::CacheMode::off) {
    const auto& t = s.cache.timing;
    std::cout << fmt::format(
        "  cache:   {} ({}), replay timing {}\n", suite::to_string(s.cache.mode), s.cache.path,
        t.kind == suite::ReplayTiming::Kind::none       ? std::string("none")
        : t.kind == suite::ReplayTiming::Kind::recorded ? std::string("recorded")
                                                        : fmt::format("scale:{}", t.scale));
  }
  if (s.beacon.enabled) {
    std::cout << fmt::format(
        "  beacons: on ([beacon] enabled; sample {}, {} attestation): anonymized latency rows, "
        "docs/privacy.md\n",
        s.beacon.sample, s.beacon.attestation);
  }
}

}  // namespace

void register_validate(CLI::App& app, Globals& globals) {
  auto* cmd = app.add_subcommand("validate",
                                 "Check suites without sending anything; print the "
                                 "plan");
  static std::vector<std::string> paths;
  cmd->add_option("suites", paths, "Suite files (TOML)")->required();
  cmd->callback([&globals] {
    std::size_t failed = 0;
    for (const auto& path : paths) {
      const auto result = suite::load_suite(path);
      for (const auto& d : result.diagnostics.items()) {
        std::cerr << d.to_string() << "\n";
      }
      if (!result.suite) {
        ++failed;
        std::cerr << fmt::format("{}: {} error{}\n", path, result.diagnostics.error_count(),
                                 result.diagnostics.error_count() == 1 ? "" : "s");
        continue;
      }
      if (!globals.quiet) {
        print_plan(*result.suite, suite::make_plan(*result.suite, pricing::PriceBook::builtin()));
      }
    }
    if (failed > 0) {
      throw InputError(fmt::format("{} of {} suite{} failed validation", failed, paths.size(),
                                   paths.size() == 1 ? "" : "s"));
    }
  });
}

}  // namespace llmbench::cli
