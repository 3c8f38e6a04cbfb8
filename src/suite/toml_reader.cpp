#include "llmbench/suite/toml_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

#include "llmbench/util/env.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/strings.hpp"

namespace llmbench::suite::detail {

SourcePos pos_of(const std::string& file, const toml::source_region& region) {
  return SourcePos{file, std::max<std::uint32_t>(1, region.begin.line),
                   std::max<std::uint32_t>(1, region.begin.column)};
}

std::string_view type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    default:
      return "nothing";
  }
}

namespace {
// TOML's own spelling of a value (dates, numbers) for messages.
std::string node_text(const toml::node& node) {
  std::ostringstream os;
  node.visit([&](const auto& v) { os << v; });
  return os.str();
}
}  // namespace

std::string toml_to_json(const toml::node& node) {
  std::string out;
  if (const auto* t = node.as_table()) {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : *t) {
      if (!first) {
        out += ',';
      }
      first = false;
      util::append_json_string(out, k.str());
      out += ':';
      out += toml_to_json(v);
    }
    out += '}';
  } else if (const auto* a = node.as_array()) {
    out += '[';
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i > 0) {
        out += ',';
      }
      out += toml_to_json(*a->get(i));
    }
    out += ']';
  } else if (const auto* s = node.as_string()) {
    util::append_json_string(out, s->get());
  } else if (const auto* i = node.as_integer()) {
    out += std::to_string(i->get());
  } else if (const auto* f = node.as_floating_point()) {
    util::append_json_number(out, f->get());
  } else if (const auto* b = node.as_boolean()) {
    out += b->get() ? "true" : "false";
  } else {
    util::append_json_string(out, node_text(node));
  }
  return out;
}

std::optional<std::string> expand_env(std::string_view text, const SourcePos& pos,
                                      Diagnostics& diags, const std::vector<std::string>* allowed) {
  std::string out;
  bool ok = true;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "${") == 0) {
      const std::size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        diags.error(pos, fmt::format("unclosed ${{ in \"{}\" (write ${{NAME}})", text));
        return std::nullopt;
      }
      const std::string name(text.substr(i + 2, close - i - 2));
      if (allowed != nullptr &&
          std::find(allowed->begin(), allowed->end(), name) == allowed->end()) {
        diags.error(pos, fmt::format("${{{}}} is not a variable this service lets suites read "
                                     "(allowed: {}; the service's --allow-key-env lists them)",
                                     name, allowed->empty() ? "none" : util::join(*allowed, ", ")));
        ok = false;
      } else if (const auto value = util::getenv_str(name.c_str())) {
        out += *value;
      } else {
        diags.error(pos,
                    fmt::format("environment variable {} is not set (used in \"{}\")", name, text));
        ok = false;
      }
      i = close + 1;
    } else {
      out += text[i++];
    }
  }
  if (!ok) {
    return std::nullopt;
  }
  return out;
}

TableReader::TableReader(const toml::table& table, std::string what, const std::string& file,
                         Diagnostics& diags, std::span<const std::string_view> known_keys)
    : m_table(table), m_what(std::move(what)), m_file(file), m_diags(diags), m_known(known_keys) {}

bool TableReader::has(std::string_view key) const {
  return m_table.contains(key);
}

const toml::node* TableReader::node(std::string_view key) {
  return m_table.get(key);
}

SourcePos TableReader::pos() const {
  return pos_of(m_file, m_table.source());
}

SourcePos TableReader::pos(std::string_view key) const {
  if (const auto* n = m_table.get(key)) {
    return pos_of(m_file, n->source());
  }
  return pos();
}

void TableReader::error(std::string_view key, std::string message) {
  m_diags.error(pos(key), std::move(message));
}

void TableReader::warning(std::string_view key, std::string message) {
  m_diags.warning(pos(key), std::move(message));
}

bool TableReader::type_error(std::string_view key, const toml::node& n, std::string_view expected) {
  m_diags.error(pos_of(m_file, n.source()),
                fmt::format("{} in {} must be {}, not {}", key, m_what, expected, type_name(n)));
  return false;
}

std::optional<std::string> TableReader::string(std::string_view key) {
  const auto* n = m_table.get(key);
  if (n == nullptr) {
    return std::nullopt;
  }
  if (const auto* s = n->as_string()) {
    return s->get();
  }
  type_error(key, *n, "a string");
  return std::nullopt;
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) {
  const auto* n = m_table.get(key);
  if (n == nullptr) {
    return std::nullopt;
  }
  const auto* i = n->as_integer();
  if (i == nullptr) {
    type_error(key, *n, "an integer");
    return std::nullopt;
  }
  if (i->get() < min || i->get() > max) {
    error(key, max == INT64_MAX
                   ? fmt::format("{} in {} must be at least {}, not {}", key, m_what, min, i->get())
                   : fmt::format("{} in {} must be between {} and {}, not {}", key, m_what, min,
                                 max, i->get()));
    return std::nullopt;
  }
  return i->get();
}

std::optional<double> TableReader::number(std::string_view key, double min, double max) {
  const auto* n = m_table.get(key);
  if (n == nullptr) {
    return std::nullopt;
  }
  double v = 0;
  if (const auto* f = n->as_floating_point()) {
    v = f->get();
  } else if (const auto* i = n->as_integer()) {
    v = static_cast<double>(i->get());
  } else {
    type_error(key, *n, "a number");
    return std::nullopt;
  }
  if (!std::isfinite(v) || v < min || v > max) {
    error(key, std::isinf(max)
                   ? fmt::format("{} in {} must be at least {}, not {}", key, m_what, min, v)
                   : fmt::format("{} in {} must be between {} and {}, not {}", key, m_what, min,
                                 max, v));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> TableReader::boolean(std::string_view key) {
  const auto* n = m_table.get(key);
  if (n == nullptr) {
    return std::nullopt;
  }
  if (const auto* b = n->as_boolean()) {
    return b->get();
  }
  type_error(key, *n, "true or false");
  return std::nullopt;
}

std::optional<util::Nanos> TableReader::duration(std::string_view key) {
  const auto* n = m_table.get(key);
  if (n == nullptr) {
    return std::nullopt;
  }
  if (n->is_integer() || n->is_floating_point()) {
    error(key, fmt::format("{} in {} needs a unit: write \"{}s\" or \"{}ms\"", key, m_what,
                           node_text(*n), node_text(*n)));
    return std::nullopt;
  }
  const auto* s = n->as_string();
  if (s == nullptr) {
    type_error(key, *n, "a duration string such as \"60s\"");
    return std::nullopt;
  }
  auto parsed = util::parse_duration(s->get());
  if (!parsed) {
    error(key, fmt::format("{} in {}: {}", key, m_what, parsed.error()));
    return std::nullopt;
  }
  return *parsed;
}

const toml::array* TableReader::array(std::string_view key) {
  const auto* n = m_table.get(key);
  if (n == nullptr) {
    return nullptr;
  }
  if (const auto* a = n->as_array()) {
    return a;
  }
  type_error(key, *n, "an array");
  return nullptr;
}

const toml::table* TableReader::table(std::string_view key) {
  const auto* n = m_table.get(key);
  if (n == nullptr) {
    return nullptr;
  }
  if (const auto* t = n->as_table()) {
    return t;
  }
  type_error(key, *n, "a table");
  return nullptr;
}

std::optional<std::string> TableReader::choice(std::string_view key,
                                               std::span<const std::string_view> choices) {
  auto value = string(key);
  if (!value) {
    return std::nullopt;
  }
  if (std::find(choices.begin(), choices.end(), *value) != choices.end()) {
    return value;
  }
  std::string list;
  for (const auto c : choices) {
    list += list.empty() ? "" : ", ";
    list += c;
  }
  const auto near = util::closest_match(*value, choices);
  error(key, fmt::format("unknown {} \"{}\" in {}{} (one of: {})", key, *value, m_what,
                         near ? fmt::format(" (did you mean \"{}\"?)", *near) : "", list));
  return std::nullopt;
}

std::optional<pricing::Price> TableReader::price(std::string_view key) {
  static constexpr std::array<std::string_view, 3> k_keys = {"input", "cached_input", "output"};
  const toml::table* t = table(key);
  if (t == nullptr) {
    return std::nullopt;
  }
  TableReader pr(*t, fmt::format("{} of {}", key, m_what), m_file, m_diags, k_keys);
  pr.check_unknown_keys();
  pr.require("input");
  pr.require("output");
  pricing::Price p;
  p.input = pr.number("input", 0.0, 1e6).value_or(0.0);
  p.output = pr.number("output", 0.0, 1e6).value_or(0.0);
  p.cached_input = pr.number("cached_input", 0.0, 1e6).value_or(p.input);
  return p;
}

void TableReader::require(std::string_view key) {
  if (!has(key)) {
    m_diags.error(pos(), fmt::format("{} is missing {}", m_what, key));
  }
}

void TableReader::check_unknown_keys() {
  for (const auto& [k, v] : m_table) {
    if (std::find(m_known.begin(), m_known.end(), k.str()) != m_known.end() ||
        m_claimed.contains(k.str())) {
      continue;
    }
    const auto near = util::closest_match(k.str(), m_known);
    m_diags.error(pos_of(m_file, k.source()),
                  fmt::format("unknown key \"{}\" in {}{}", k.str(), m_what,
                              near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
  }
}

}  // namespace llmbench::suite::detail
