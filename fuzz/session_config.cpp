// The proxy and session config reader (session/config.hpp) on arbitrary text: it must never
// crash, and a config it accepts must name only models, harnesses and variants it has.

#include <cstdint>

#include "fuzz.hpp"
#include "llmbench/session/config.hpp"

using namespace llmbench;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto result = session::load_config_text(std::string(fuzz::text(data, size)), "fuzz.toml");
  if (!result.config) {
    if (!result.diagnostics.has_errors()) {
      fuzz::broken("a config refused without an error");
    }
    return 0;
  }
  const auto& c = *result.config;
  for (const auto& v : c.variants) {
    if (c.model(v.model) == nullptr || !c.harness(v.harness)) {
      fuzz::broken("an accepted variant names what the config lacks");
    }
  }
  for (const auto& e : c.experiments) {
    for (const auto& v : e.variants) {
      if (c.variant(v) == nullptr) {
        fuzz::broken("an accepted experiment names an unknown variant");
      }
    }
  }
  return 0;
}
