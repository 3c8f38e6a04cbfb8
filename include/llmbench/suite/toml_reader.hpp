#pragma once
// Reads one TOML table field by field, reporting wrong types and bad values at their place,
// and at the end every key nobody asked for (with the closest known key). Used by suite/ and
// by session/ (the proxy and session config), so both report errors the same way.

#include <toml++/toml.h>

#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "llmbench/pricing/pricing.hpp"
#include "llmbench/suite/diagnostics.hpp"
#include "llmbench/util/duration.hpp"

namespace llmbench::suite::detail {

SourcePos pos_of(const std::string& file, const toml::source_region& region);
// A TOML value as JSON text (tables -> objects, dates -> strings), for pass-through fields.
std::string toml_to_json(const toml::node& node);

// Expands ${NAME} from the environment; nullopt (and an error) when a variable is unset, or
// when `allowed` is given and does not list it (an untrusted suite, see LoadOptions).
std::optional<std::string> expand_env(std::string_view text, const SourcePos& pos,
                                      Diagnostics& diags,
                                      const std::vector<std::string>* allowed = nullptr);

class TableReader {
 public:
  // `what` names the table in messages ("[load]", "[[targets]] #2").
  TableReader(const toml::table& table, std::string what, const std::string& file,
              Diagnostics& diags, std::span<const std::string_view> known_keys);

  bool has(std::string_view key) const;
  const toml::node* node(std::string_view key);
  SourcePos pos() const;                      // the table's own place
  SourcePos pos(std::string_view key) const;  // a value's place (the table's when absent)
  const std::string& what() const { return m_what; }

  std::optional<std::string> string(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
  std::optional<double> number(std::string_view key, double min, double max);
  std::optional<bool> boolean(std::string_view key);
  std::optional<util::Nanos> duration(std::string_view key);
  const toml::array* array(std::string_view key);
  const toml::table* table(std::string_view key);
  // A string that must be one of `choices`; a near miss gets a suggestion.
  std::optional<std::string> choice(std::string_view key,
                                    std::span<const std::string_view> choices);
  // A price table (`price = { input, output, cached_input }`, USD per 1M tokens; cached_input
  // defaults to input), its own keys checked.
  std::optional<pricing::Price> price(std::string_view key);
  void require(std::string_view key);
  void error(std::string_view key, std::string message);
  void warning(std::string_view key, std::string message);

  // Marks a key as handled by the caller (it gets its own message, not "unknown key").
  void claim(std::string_view key) { m_claimed.emplace(key); }
  // Reports every key that was not in `known_keys` nor claimed.
  void check_unknown_keys();

 private:
  bool type_error(std::string_view key, const toml::node& n, std::string_view expected);

  const toml::table& m_table;
  std::string m_what;
  std::string m_file;
  Diagnostics& m_diags;
  std::span<const std::string_view> m_known;
  std::set<std::string, std::less<>> m_claimed;
};

std::string_view type_name(const toml::node& n);

}  // namespace llmbench::suite::detail
