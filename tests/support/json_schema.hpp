#pragma once
// Just enough of JSON Schema (draft 2020-12) to check an object against the TraceBeacon v1
// schema as published: type (object, string, integer, number), required, properties,
// additionalProperties: false, const, enum, minLength, maxLength, minimum, maximum, pattern,
// and the formats date-time and uuid. Written independently of beacon::parse, so the two can
// be checked against each other.

#include <simdjson.h>

#include <cmath>
#include <optional>
#include <regex>
#include <string>

namespace llmbench::testing {

class JsonSchema {
 public:
  explicit JsonSchema(const std::string& schema_text) : m_text(schema_text) {
    m_schema = m_schema_parser.parse(m_text);
  }

  // Nothing when `json` is valid; else the first violation.
  std::optional<std::string> violation(const std::string& json) {
    simdjson::dom::element doc;
    if (m_parser.parse(json).get(doc) != simdjson::SUCCESS) {
      return "not JSON";
    }
    return check(m_schema, doc, "$");
  }

 private:
  static std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (const char c : s) {
      n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }
    return n;
  }

  static bool is_format(std::string_view format, std::string_view s) {
    if (format == "uuid") {
      return std::regex_match(std::string(s),
                              std::regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                                         "[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"));
    }
    if (format == "date-time") {
      return std::regex_match(
          std::string(s),
          std::regex(R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:)"
                     R"(([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$)"));
    }
    return true;  // unknown formats annotate only
  }

  std::optional<std::string> check(simdjson::dom::element schema, simdjson::dom::element value,
                                   const std::string& at) {
    std::string_view type;
    if (schema["type"].get_string().get(type) == simdjson::SUCCESS) {
      const bool ok =
          (type == "object" && value.is_object()) || (type == "string" && value.is_string()) ||
          (type == "number" && value.is_number()) ||
          (type == "integer" && value.is_number() && std::floor(double(value)) == double(value));
      if (!ok) {
        return at + " is not of type " + std::string(type);
      }
    }
    simdjson::dom::element c;
    if (schema["const"].get(c) == simdjson::SUCCESS &&
        simdjson::minify(c) != simdjson::minify(value)) {
      return at + " is not the const value";
    }
    simdjson::dom::array options;
    if (schema["enum"].get_array().get(options) == simdjson::SUCCESS) {
      bool found = false;
      for (auto o : options) {
        found |= simdjson::minify(o) == simdjson::minify(value);
      }
      if (!found) {
        return at + " is not in the enum";
      }
    }
    if (value.is_string()) {
      const std::string_view s = value.get_string().value();
      std::int64_t n = 0;
      if (schema["minLength"].get_int64().get(n) == simdjson::SUCCESS &&
          code_points(s) < static_cast<std::size_t>(n)) {
        return at + " is shorter than minLength";
      }
      if (schema["maxLength"].get_int64().get(n) == simdjson::SUCCESS &&
          code_points(s) > static_cast<std::size_t>(n)) {
        return at + " is longer than maxLength";
      }
      std::string_view pattern;
      if (schema["pattern"].get_string().get(pattern) == simdjson::SUCCESS &&
          !std::regex_search(std::string(s), std::regex(std::string(pattern)))) {
        return at + " does not match its pattern";
      }
      std::string_view format;
      if (schema["format"].get_string().get(format) == simdjson::SUCCESS && !is_format(format, s)) {
        return at + " is not a " + std::string(format);
      }
    }
    if (value.is_number()) {
      const double v = double(value);
      double bound = 0;
      if (schema["minimum"].get_double().get(bound) == simdjson::SUCCESS && v < bound) {
        return at + " is below its minimum";
      }
      if (schema["maximum"].get_double().get(bound) == simdjson::SUCCESS && v > bound) {
        return at + " is above its maximum";
      }
    }
    if (value.is_object()) {
      simdjson::dom::object props;
      const bool has_props = schema["properties"].get_object().get(props) == simdjson::SUCCESS;
      simdjson::dom::array required;
      if (schema["required"].get_array().get(required) == simdjson::SUCCESS) {
        for (auto r : required) {
          simdjson::dom::element ignored;
          if (value[std::string_view(r)].get(ignored) != simdjson::SUCCESS) {
            return at + "." + std::string(std::string_view(r)) + " is required";
          }
        }
      }
      bool additional = true;
      if (schema["additionalProperties"].get_bool().get(additional) != simdjson::SUCCESS) {
        additional = true;
      }
      simdjson::dom::object members;
      if (value.get_object().get(members) != simdjson::SUCCESS) {
        return at + " is not an object";
      }
      for (auto [key, member] : members) {
        simdjson::dom::element sub;
        if (has_props && props[key].get(sub) == simdjson::SUCCESS) {
          if (auto why = check(sub, member, at + "." + std::string(key))) {
            return why;
          }
        } else if (!additional) {
          return at + "." + std::string(key) + " is not allowed (additionalProperties: false)";
        }
      }
    }
    return std::nullopt;
  }

  std::string m_text;
  simdjson::dom::parser m_schema_parser;
  simdjson::dom::parser m_parser;
  simdjson::dom::element m_schema;
};

}  // namespace llmbench::testing
