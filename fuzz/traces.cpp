// Trace bundles for `llmbench replay` (JSONL, read from a file), request bodies of both
// protocols, response bodies, and the three output comparisons on arbitrary text.

#include <cstdint>

#include "fuzz.hpp"
#include "llmbench/cache/traces.hpp"
#include "llmbench/util/error.hpp"

using namespace llmbench;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = fuzz::text(data, size);
  (void)cache::trace_from_request("openai", in);
  (void)cache::trace_from_request("anthropic", in);
  (void)cache::output_text(in);
  const std::size_t half = in.size() / 2;
  for (const auto mode :
       {cache::DiffMode::bytes, cache::DiffMode::structured, cache::DiffMode::text}) {
    (void)cache::compare_outputs(mode, in.substr(0, half), in.substr(half));
  }
  try {
    (void)cache::read_trace_bundle(fuzz::write_scratch("bundle.jsonl", in));
  } catch (const InputError&) {
    // A bad line is a located error: what the user sees.
  }
  return 0;
}
