// The suite loader on arbitrary TOML. Relative prompt files resolve under a directory that
// does not exist, so the loader reports them unreadable rather than reading the disk.

#include <cstdint>
#include <string>

#include "fuzz.hpp"
#include "llmbench/suite/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = llmbench::suite::load_suite_text(std::string(llmbench::fuzz::text(data, size)),
                                                  "/nonexistent-llmbench-fuzz/s.toml");
  if (r.suite.has_value() == (r.diagnostics.error_count() > 0)) {
    llmbench::fuzz::broken("a suite was returned with errors, or none without");
  }
  for (const auto& d : r.diagnostics.items()) {
    (void)d.to_string();
  }
  return 0;
}
