#include "llmbench/beacon/beacon.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "llmbench/util/hex.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/strings.hpp"
#include "llmbench/util/uuid.hpp"

namespace llmbench::beacon {

namespace {

// RFC 3339 date-time, as the schema's "format": "date-time".
bool is_date_time(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  const std::string text(s);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) !=
          6 ||
      used != 19) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
    return false;
  }
  std::string_view rest = s.substr(19);
  if (rest.starts_with('.')) {
    std::size_t digits = 1;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) {
      ++digits;
    }
    if (digits == 1) {
      return false;
    }
    rest.remove_prefix(digits);
  }
  if (rest == "Z" || rest == "z") {
    return true;
  }
  int oh = 0, om = 0;
  return rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') &&
         std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &oh, &om) == 2 &&
         rest[3] == ':' && oh <= 23 && om <= 59;
}

bool is_uuid_text(std::string_view s) {
  if (s.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

// Characters of a UTF-8 string (the schema counts code points).
std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

const std::vector<std::string_view>& providers() {
  static const std::vector<std::string_view> all = {
      "openai",     "anthropic", "groq", "together", "fireworks", "deepseek",
      "openrouter", "mistral",   "xai",  "vllm",     "llmkit",    "other"};
  return all;
}

std::optional<std::string> validate(const Beacon& b) {
  if (!is_date_time(b.ts)) {
    return fmt::format("ts \"{}\" is not an RFC 3339 date-time", b.ts);
  }
  if (!is_uuid_text(b.install_id)) {
    return "install_id is not a UUID";
  }
  if (!util::is_lower_hex(b.install_hmac, 64)) {
    return "install_hmac is not 64 lowercase hex digits";
  }
  const std::size_t model_len = code_points(b.model);
  if (model_len < 1 || model_len > 128) {
    return "model must be 1 to 128 characters";
  }
  const auto& all = providers();
  if (std::find(all.begin(), all.end(), b.provider) == all.end()) {
    return fmt::format("provider \"{}\" is not one of the schema's", b.provider);
  }
  if (b.region && code_points(*b.region) > 32) {
    return "region is longer than 32 characters";
  }
  if (b.status_code < 100 || b.status_code > 599) {
    return "status_code must be 100 to 599";
  }
  if (b.latency_ms_to_first_token && *b.latency_ms_to_first_token < 0) {
    return "latency_ms_to_first_token must be 0 or more";
  }
  if (b.latency_ms_total < 0 || b.input_tokens < 0 || b.output_tokens < 0) {
    return "latency_ms_total, input_tokens and output_tokens must be 0 or more";
  }
  if (b.cost_usd_estimate && (!std::isfinite(*b.cost_usd_estimate) || *b.cost_usd_estimate < 0)) {
    return "cost_usd_estimate must be a number of 0 or more";
  }
  return std::nullopt;
}

std::string to_json(const Beacon& b, bool with_hmac) {
  std::string out;
  util::JsonObject o(out);
  o.str("schema_version", "v1");
  o.str("ts", b.ts);
  o.str("install_id", b.install_id);
  if (with_hmac) {
    o.str("install_hmac", b.install_hmac);
  }
  o.str("model", b.model);
  o.str("provider", b.provider);
  if (b.region) {
    o.str("region", *b.region);
  }
  o.integer("status_code", b.status_code);
  if (b.latency_ms_to_first_token) {
    o.integer("latency_ms_to_first_token", *b.latency_ms_to_first_token);
  }
  o.integer("latency_ms_total", b.latency_ms_total);
  o.integer("input_tokens", b.input_tokens);
  o.integer("output_tokens", b.output_tokens);
  if (b.cost_usd_estimate) {
    o.num("cost_usd_estimate", *b.cost_usd_estimate);
  }
  o.close();
  return out;
}

Result<Beacon> parse(std::string_view json) {
  using R = Result<Beacon>;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(simdjson::padded_string(json)).get(doc) != simdjson::SUCCESS) {
    return R::failure("not valid JSON");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return R::failure("a beacon is a JSON object");
  }
  Beacon b;
  bool version = false;
  const auto need_int = [](simdjson::dom::element v, std::string_view key,
                           std::int64_t& out) -> std::optional<std::string> {
    // JSON Schema "integer": a number with no fractional part (1.0 counts).
    if (v.get_int64().get(out) == simdjson::SUCCESS) {
      return std::nullopt;
    }
    double d = 0;
    if (v.get_double().get(d) == simdjson::SUCCESS && std::floor(d) == d && std::abs(d) < 9e15) {
      out = static_cast<std::int64_t>(d);
      return std::nullopt;
    }
    return fmt::format("{} must be an integer", key);
  };
  std::vector<std::string_view> required = {
      "schema_version", "ts",          "install_id",       "install_hmac", "model",
      "provider",       "status_code", "latency_ms_total", "input_tokens", "output_tokens"};
  for (const auto field : obj) {
    const std::string_view key = field.key;
    const simdjson::dom::element value = field.value;
    std::erase(required, key);
    std::string_view s;
    const bool is_str = value.get_string().get(s) == simdjson::SUCCESS;
    const auto string_field = [&](std::string& into) -> std::optional<std::string> {
      if (!is_str) {
        return fmt::format("{} must be a string", key);
      }
      into = std::string(s);
      return std::nullopt;
    };
    std::optional<std::string> err;
    if (key == "schema_version") {
      if (!is_str || s != "v1") {
        return R::failure("schema_version must be \"v1\"");
      }
      version = true;
    } else if (key == "ts") {
      err = string_field(b.ts);
    } else if (key == "install_id") {
      err = string_field(b.install_id);
    } else if (key == "install_hmac") {
      err = string_field(b.install_hmac);
    } else if (key == "model") {
      err = string_field(b.model);
    } else if (key == "provider") {
      err = string_field(b.provider);
    } else if (key == "region") {
      std::string region;
      err = string_field(region);
      b.region = region;
    } else if (key == "status_code") {
      err = need_int(value, key, b.status_code);
    } else if (key == "latency_ms_to_first_token") {
      std::int64_t v = 0;
      err = need_int(value, key, v);
      b.latency_ms_to_first_token = v;
    } else if (key == "latency_ms_total") {
      err = need_int(value, key, b.latency_ms_total);
    } else if (key == "input_tokens") {
      err = need_int(value, key, b.input_tokens);
    } else if (key == "output_tokens") {
      err = need_int(value, key, b.output_tokens);
    } else if (key == "cost_usd_estimate") {
      double d = 0;
      if (value.get_double().get(d) != simdjson::SUCCESS) {
        std::int64_t i = 0;
        if (value.get_int64().get(i) != simdjson::SUCCESS) {
          return R::failure("cost_usd_estimate must be a number");
        }
        d = static_cast<double>(i);
      }
      b.cost_usd_estimate = d;
    } else {
      return R::failure(fmt::format("\"{}\" is not a TraceBeacon v1 property", key));
    }
    if (err) {
      return R::failure(*err);
    }
  }
  if (!required.empty()) {
    return R::failure(fmt::format("the required property \"{}\" is missing", required.front()));
  }
  (void)version;
  if (auto why = validate(b)) {
    return R::failure(*why);
  }
  return b;
}

std::string host_of(std::string_view url) {
  std::string_view rest = url;
  if (const auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    rest.remove_prefix(scheme + 3);
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    rest.remove_prefix(at + 1);  // user:password@
  }
  if (rest.starts_with('[')) {
    return util::to_lower(rest.substr(1, rest.find(']') - 1));
  }
  return util::to_lower(rest.substr(0, rest.find(':')));
}

bool is_private_host(std::string_view base_url) {
  const std::string host = host_of(base_url);
  if (host.empty() || host == "localhost" || host.ends_with(".localhost") ||
      host.ends_with(".local") || host.ends_with(".internal") || host.ends_with(".lan")) {
    return true;
  }
  if (host.find(':') != std::string::npos) {  // IPv6
    return host == "::1" || host.starts_with("fc") || host.starts_with("fd") ||
           host.starts_with("fe8") || host.starts_with("fe9") || host.starts_with("fea") ||
           host.starts_with("feb") || host == "::";
  }
  std::array<int, 4> q{};
  int used = 0;
  if (std::sscanf(host.c_str(), "%d.%d.%d.%d%n", &q[0], &q[1], &q[2], &q[3], &used) == 4 &&
      static_cast<std::size_t>(used) == host.size()) {
    return q[0] == 127 || q[0] == 10 || q[0] == 0 || (q[0] == 172 && q[1] >= 16 && q[1] <= 31) ||
           (q[0] == 192 && q[1] == 168) || (q[0] == 169 && q[1] == 254) ||
           (q[0] == 100 && q[1] >= 64 && q[1] <= 127);  // carrier-grade NAT
  }
  return false;
}

std::string classify_provider(std::string_view protocol, std::string_view base_url) {
  const std::string host = host_of(base_url);
  struct Known {
    std::string_view suffix;
    std::string_view provider;
  };
  static constexpr std::array<Known, 10> k_hosts = {{
      {"api.openai.com", "openai"},
      {"api.anthropic.com", "anthropic"},
      {"api.groq.com", "groq"},
      {"api.together.xyz", "together"},
      {"api.together.ai", "together"},
      {"api.fireworks.ai", "fireworks"},
      {"api.deepseek.com", "deepseek"},
      {"openrouter.ai", "openrouter"},
      {"api.mistral.ai", "mistral"},
      {"api.x.ai", "xai"},
  }};
  for (const auto& k : k_hosts) {
    if (host == k.suffix || host.ends_with("." + std::string(k.suffix))) {
      return std::string(k.provider);
    }
  }
  if (host.find("vllm") != std::string::npos) {
    return "vllm";
  }
  // The protocol alone does not name a provider: an OpenAI-compatible server elsewhere is
  // somebody else's.
  (void)protocol;
  return "other";
}

}  // namespace llmbench::beacon
