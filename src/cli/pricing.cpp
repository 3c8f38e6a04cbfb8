#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "llmbench/pricing/pricing.hpp"
#include "llmbench/util/table.hpp"

namespace llmbench::cli {

namespace {

std::string per_million(double usd) {
  return fmt::format("${:.3f}", usd);
}

}  // namespace

void register_pricing(CLI::App& app, Globals& /*globals*/) {
  auto* cmd = app.add_subcommand("pricing",
                                 "List model prices (USD per 1M tokens), or look one "
                                 "model up");
  static std::string provider;
  static std::string model;
  cmd->add_option("--provider", provider, "Only this provider (openai, anthropic)");
  cmd->add_option("model", model, "Look up one model id or alias");
  cmd->callback([] {
    using Align = util::TextTable::Align;
    const auto& book = pricing::PriceBook::builtin();
    util::TextTable table({"provider", "model", "aliases", "input", "cached input", "output",
                           "effective from", "taken"},
                          {Align::left, Align::left, Align::left, Align::right, Align::right,
                           Align::right, Align::left, Align::left});
    const auto add = [&](const pricing::ModelPrice& m) {
      table.add_row({m.provider, m.id, fmt::format("{}", fmt::join(m.aliases, ", ")),
                     per_million(m.price.input), per_million(m.price.cached_input),
                     per_million(m.price.output), m.effective_from, m.taken});
    };
    if (!model.empty()) {
      const auto found = book.find(provider, model);
      if (!found) {
        throw InputError(
            fmt::format("no price for model \"{}\"{}: its cost will be reported as "
                        "unknown; add price = {{ input = ..., output = ... }} to the "
                        "target, or an entry to pricing/",
                        model, provider.empty() ? "" : " of " + provider));
      }
      add(*found);
    } else {
      for (const auto& m : book.models()) {
        if (provider.empty() || m.provider == provider) {
          add(m);
        }
      }
      if (table.rows() == 0) {
        throw InputError(
            fmt::format("no prices for provider \"{}\" (known: openai, anthropic)", provider));
      }
    }
    std::cout << table.render();
    std::cout << "USD per 1M tokens. cached input: prompt-cache reads. Check the providers' pages "
                 "before relying on a price.\n";
  });
}

}  // namespace llmbench::cli
