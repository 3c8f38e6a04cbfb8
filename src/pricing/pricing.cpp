#include "llmbench/pricing/pricing.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>

#include "llmbench/util/error.hpp"

namespace llmbench::pricing {

double cost_usd(const Price& price, const Usage& usage) {
  const long long uncached = std::max(0LL, usage.input_tokens - usage.cached_input_tokens);
  return (static_cast<double>(uncached) * price.input +
          static_cast<double>(usage.cached_input_tokens) * price.cached_input +
          static_cast<double>(usage.output_tokens) * price.output) /
         1e6;
}

namespace {

std::string date_text(const toml::node* node) {
  if (node == nullptr) {
    return "";
  }
  if (const auto* d = node->as_date()) {
    const toml::date v = d->get();
    return fmt::format("{:04}-{:02}-{:02}", v.year, v.month, v.day);
  }
  if (const auto* s = node->as_string()) {
    return s->get();
  }
  return "";
}

}  // namespace

void PriceBook::add_table(std::string_view name, std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string(name));
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}:{}: {}", name, e.source().begin.line,
                                 e.source().begin.column, e.description()));
  }
  const auto fail = [&](const toml::node& at, std::string_view what) {
    throw InputError(
        fmt::format("{}:{}:{}: {}", name, at.source().begin.line, at.source().begin.column, what));
  };
  const auto provider = root["provider"].value<std::string>();
  if (!provider) {
    fail(root, "missing provider = \"...\"");
  }
  const std::string taken = date_text(root.get("taken"));
  const auto* models = root["models"].as_array();
  if (models == nullptr) {
    fail(root, "missing [[models]]");
  }
  for (const auto& node : *models) {
    const auto* t = node.as_table();
    if (t == nullptr) {
      fail(node, "each [[models]] entry must be a table");
    }
    ModelPrice m;
    m.provider = *provider;
    m.id = (*t)["id"].value_or(std::string());
    const auto input = (*t)["input"].value<double>();
    const auto output = (*t)["output"].value<double>();
    if (m.id.empty() || !input || !output) {
      fail(node, "each model needs id, input and output (USD per 1M tokens)");
    }
    m.price.input = *input;
    m.price.output = *output;
    m.price.cached_input = (*t)["cached_input"].value_or(*input);
    if (const auto* aliases = (*t)["aliases"].as_array()) {
      for (const auto& a : *aliases) {
        if (const auto s = a.value<std::string>()) {
          m.aliases.push_back(*s);
        }
      }
    }
    m.effective_from = date_text(t->get("effective_from"));
    m.taken = t->contains("taken") ? date_text(t->get("taken")) : taken;
    if (m.effective_from.empty() || m.taken.empty()) {
      fail(node, "each model needs effective_from and taken dates (or a table-wide taken)");
    }
    m.source = fmt::format("{}:{}", name, node.source().begin.line);
    m_models.push_back(std::move(m));
  }
}

const PriceBook& PriceBook::builtin() {
  static const PriceBook book = [] {
    PriceBook b;
    for (const auto& table : embedded_tables()) {
      b.add_table(table.name, table.text);
    }
    return b;
  }();
  return book;
}

std::optional<ModelPrice> PriceBook::find(std::string_view provider, std::string_view model) const {
  const auto provider_matches = [&](const ModelPrice& m) {
    return provider.empty() || m.provider == provider;
  };
  for (const auto& m : m_models) {
    if (provider_matches(m) && m.id == model) {
      return m;
    }
  }
  for (const auto& m : m_models) {
    if (!provider_matches(m)) {
      continue;
    }
    for (const auto& alias : m.aliases) {
      if (alias == model) {
        return m;
      }
    }
  }
  return std::nullopt;
}

}  // namespace llmbench::pricing
