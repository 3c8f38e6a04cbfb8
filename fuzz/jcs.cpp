// The RFC 8785 canonicalizer on arbitrary text: canonical text is its own canonical form,
// and the JSON reader the cache uses reads it back.

#include <simdjson.h>

#include <cstdint>

#include "fuzz.hpp"
#include "llmbench/cache/jcs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto once = llmbench::cache::canonicalize(llmbench::fuzz::text(data, size));
  if (!once) {
    return 0;
  }
  const auto twice = llmbench::cache::canonicalize(*once);
  if (!twice || *twice != *once) {
    llmbench::fuzz::broken("canonical(canonical(x)) != canonical(x)");
  }
  static simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(simdjson::padded_string(llmbench::cache::widen_big_integers(*once))).get(doc) !=
      simdjson::SUCCESS) {
    llmbench::fuzz::broken("canonical text is not readable back");
  }
  return 0;
}
