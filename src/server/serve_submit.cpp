#include "llmbench/server/serve_submit.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <toml++/toml.h>
#include <sstream>

namespace llmbench::server {

namespace {

constexpr int k_max_depth = 32;

std::string media_type(std::string_view content_type) {
  std::string out;
  for (char c : content_type.substr(0, content_type.find(';'))) {
    if (c != ' ' && c != '\t') {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
  }
  return out;
}

void fail(const std::string& detail) {
  throw SubmitError{false, detail};
}

toml::table to_table(simdjson::dom::object object, const std::string& where, int depth);

toml::array to_array(simdjson::dom::array array, const std::string& where, int depth);

template <typename Insert>
void convert(simdjson::dom::element e, const std::string& where, int depth, Insert&& insert) {
  if (depth > k_max_depth) {
    fail(fmt::format("{} nests deeper than {} levels", where, k_max_depth));
  }
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT:
      insert(to_table(e.get_object().value(), where, depth + 1));
      break;
    case simdjson::dom::element_type::ARRAY:
      insert(to_array(e.get_array().value(), where, depth + 1));
      break;
    case simdjson::dom::element_type::STRING:
      insert(std::string(e.get_string().value()));
      break;
    case simdjson::dom::element_type::INT64:
      insert(e.get_int64().value());
      break;
    case simdjson::dom::element_type::UINT64:
      fail(fmt::format("{} is too large a number", where));
      break;
    case simdjson::dom::element_type::DOUBLE:
      insert(e.get_double().value());
      break;
    case simdjson::dom::element_type::BOOL:
      insert(e.get_bool().value());
      break;
    case simdjson::dom::element_type::NULL_VALUE:
      break;  // left out, as if absent
  }
}

toml::table to_table(simdjson::dom::object object, const std::string& where, int depth) {
  toml::table t;
  for (auto field : object) {
    const std::string key(field.key);
    convert(field.value, where.empty() ? key : where + "." + key, depth,
            [&](auto&& value) { t.insert_or_assign(key, std::forward<decltype(value)>(value)); });
  }
  return t;
}

toml::array to_array(simdjson::dom::array array, const std::string& where, int depth) {
  toml::array a;
  std::size_t i = 0;
  for (auto item : array) {
    convert(item, fmt::format("{}[{}]", where, i++), depth,
            [&](auto&& value) { a.push_back(std::forward<decltype(value)>(value)); });
  }
  return a;
}

// { "name", "target": {...}, "model", "prompts": [...], "load": {...} } as a whole suite.
toml::table short_form(const toml::table& in) {
  static constexpr std::string_view k_keys[] = {"name", "target", "model", "prompts", "load"};
  for (const auto& [key, value] : in) {
    if (std::find(std::begin(k_keys), std::end(k_keys), key.str()) == std::end(k_keys)) {
      fail(
          fmt::format("the short form has no member \"{}\" (it has name, target, model, "
                      "prompts, load; send a whole suite for more)",
                      key.str()));
    }
  }
  const auto* target = in["target"].as_table();
  if (target == nullptr) {
    fail("the short form's \"target\" must be an object, e.g. {\"provider\": \"mock\"}");
  }
  const auto* prompts = in["prompts"].as_array();
  if (prompts == nullptr || prompts->empty()) {
    fail("the short form needs \"prompts\": a list of prompt texts");
  }
  toml::table suite;
  suite.insert("suite", toml::table{{"name", in["name"].value_or(std::string("submitted"))}});
  toml::table t = *target;
  if (!t.contains("name")) {
    t.insert("name", "target");
  }
  if (const auto model = in["model"].value<std::string>()) {
    t.insert_or_assign("model", *model);
  }
  suite.insert("targets", toml::array{std::move(t)});
  toml::array ps;
  std::size_t i = 0;
  for (const auto& p : *prompts) {
    const auto text = p.value<std::string>();
    if (!text || !p.is_string()) {
      fail(fmt::format("prompts[{}] must be a string (the prompt's text)", i));
    }
    ps.push_back(toml::table{{"id", fmt::format("p{}", ++i)}, {"prompt", *text}});
  }
  suite.insert("prompts", std::move(ps));
  if (const auto* load = in["load"].as_table()) {
    suite.insert("load", *load);
  } else {
    suite.insert("load", toml::table{{"mode", "concurrency"},
                                     {"concurrency", 1},
                                     {"requests", static_cast<std::int64_t>(prompts->size())}});
  }
  return suite;
}

}  // namespace

SubmittedSuite suite_from_body(std::string_view body, std::string_view content_type) {
  const std::string type = media_type(content_type);
  if (type == "application/toml" || type == "text/x-toml" || type == "text/toml") {
    return {std::string(body), BodyKind::toml};
  }
  if (type != "application/json") {
    throw SubmitError{true, fmt::format("Content-Type \"{}\": send application/toml (a suite "
                                        "file) or application/json (a suite or the short form)",
                                        content_type)};
  }
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element root;
  if (const auto error = parser.parse(padded).get(root); error) {
    fail(fmt::format("the body is not JSON ({})", simdjson::error_message(error)));
  }
  if (root.type() != simdjson::dom::element_type::OBJECT) {
    fail("the body must be a JSON object: a suite, or the short form with \"target\"");
  }
  const toml::table table = to_table(root.get_object().value(), "", 0);
  std::ostringstream out;
  if (table.contains("target") && !table.contains("targets")) {
    out << toml::toml_formatter(short_form(table));
    return {out.str() + "\n", BodyKind::short_form};
  }
  out << toml::toml_formatter(table);
  return {out.str() + "\n", BodyKind::json};
}

}  // namespace llmbench::server
