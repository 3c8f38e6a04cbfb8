#pragma once
// List prices per 1M tokens, by provider and model, from pricing/*.toml (compiled in).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmbench::pricing {

// USD per 1M tokens. `cached_input` falls back to `input` when a model has no cache price.
struct Price {
  double input = 0;
  double cached_input = 0;
  double output = 0;
};

struct ModelPrice {
  std::string provider;
  std::string id;
  std::vector<std::string> aliases;
  Price price;
  std::string effective_from;  // YYYY-MM-DD: the provider's price applies from this day
  std::string taken;           // YYYY-MM-DD: when this price was read off the provider's page
  std::string source;          // file:line of the entry
};

struct Usage {
  long long input_tokens = 0;         // all prompt tokens, cached ones included
  long long cached_input_tokens = 0;  // the part of input_tokens served from the prompt cache
  long long output_tokens = 0;
};

// USD for one request: uncached input at the input price, cached input at the cached price.
double cost_usd(const Price& price, const Usage& usage);

struct EmbeddedTable {
  const char* name;
  const char* text;
};
// Generated from pricing/*.toml by cmake/embed_pricing.cmake.
const std::vector<EmbeddedTable>& embedded_tables();

class PriceBook {
 public:
  // The compiled-in tables. Throws llmbench::InputError if one is malformed (a build defect).
  static const PriceBook& builtin();
  // Parses tables from TOML text; `name` is used in error messages.
  void add_table(std::string_view name, std::string_view toml_text);

  // Exact id first, then aliases (e.g. "claude-3-5-haiku-latest"). Provider may be empty
  // to search every provider. nullopt: unknown model, whose cost must be shown as unknown.
  std::optional<ModelPrice> find(std::string_view provider, std::string_view model) const;
  const std::vector<ModelPrice>& models() const { return m_models; }

 private:
  std::vector<ModelPrice> m_models;
};

}  // namespace llmbench::pricing
