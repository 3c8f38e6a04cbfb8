#pragma once
// TraceBeacon v1 (the f3dx-bench schema, schemas/trace_beacon.schema.json): one anonymized
// row per request, and nothing else. What a beacon may hold is exactly the fields below; no
// prompt or response text, header, key, host name, URL, suite name or tag can be put in one.
//
// The same validation serves both ends: the client checks what it builds, and `llmbench
// collect` refuses what does not pass (docs/privacy.md).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmbench/util/result.hpp"

namespace llmbench::beacon {

struct Beacon {
  std::string ts;  // request start, ISO-8601 UTC with milliseconds ("2026-11-27T03:04:05.678Z")
  std::string install_id;             // UUID
  std::string install_hmac;           // 64 lowercase hex
  std::string model;                  // 1..128 chars
  std::string provider;               // one of providers()
  std::optional<std::string> region;  // <= 32 chars
  std::int64_t status_code = 0;       // 100..599
  std::optional<std::int64_t> latency_ms_to_first_token;
  std::int64_t latency_ms_total = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::optional<double> cost_usd_estimate;
};

// The schema's provider enum.
const std::vector<std::string_view>& providers();

// The wire form: one JSON object, members in schema order. Without `install_hmac` when
// `with_hmac` is false (what message-mode attestation signs, after canonicalization).
std::string to_json(const Beacon& b, bool with_hmac = true);
// Reads and validates one beacon against the v1 schema: required fields, types, ranges, the
// provider enum, formats (date-time, uuid, hex), and no other properties.
Result<Beacon> parse(std::string_view json);
// The schema's checks on a built beacon (what parse applies after reading).
std::optional<std::string> validate(const Beacon& b);

// The schema's provider for a target: the protocol's own API host, the known
// OpenAI-compatible hosts by name, "vllm" for a host whose name says so, else "other".
std::string classify_provider(std::string_view protocol, std::string_view base_url);
// True for loopback, private, link-local and unique-local addresses, "localhost" and
// *.local / *.internal names (decided from the URL alone; nothing is resolved).
bool is_private_host(std::string_view base_url);
// The host part of a URL ("https://api.openai.com:443/v1" -> "api.openai.com").
std::string host_of(std::string_view url);

}  // namespace llmbench::beacon
