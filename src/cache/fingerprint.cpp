#include "llmbench/cache/fingerprint.hpp"

#include <array>

#include "llmbench/cache/blake3.hpp"
#include "llmbench/cache/jcs.hpp"
#include "llmbench/util/json_writer.hpp"

namespace llmbench::cache {

Result<std::string> fingerprint_input(std::string_view provider, std::string_view body,
                                      KeyMode mode) {
  static constexpr std::array<std::string_view, 3> k_ignored = {"stream", "stream_options", "user"};
  auto canonical_body = mode == KeyMode::full ? canonicalize(body) : canonicalize(body, k_ignored);
  if (!canonical_body) {
    return Result<std::string>::failure("the request body is not canonicalizable JSON: " +
                                        canonical_body.error());
  }
  // Already canonical: "body" sorts before "provider", and a provider name needs no escapes.
  std::string out = "{\"body\":" + *canonical_body + ",\"provider\":";
  util::append_json_string(out, provider);
  out += '}';
  return out;
}

Result<std::string> fingerprint(std::string_view provider, std::string_view body, KeyMode mode) {
  auto input = fingerprint_input(provider, body, mode);
  if (!input) {
    return input;
  }
  return blake3_hex(*input);
}

}  // namespace llmbench::cache
