// What `POST /api/v1/runs` does with a body before anything is queued: the body as TOML, JSON
// or the short form (the first byte picks the content type), turned into suite TOML and
// loaded under the service's untrusted-suite rules (no variables, no files, mock only).
// Malformed bodies must be refused (SubmitError), never crash; what converts must load or be
// refused with located errors.

#include <cstdint>
#include <string>

#include "fuzz.hpp"
#include "llmbench/server/serve_submit.hpp"
#include "llmbench/suite/loader.hpp"

using namespace llmbench;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  static constexpr const char* k_types[] = {"application/json", "application/toml",
                                            "application/json; charset=utf-8", "text/plain"};
  const char* type = k_types[data[0] % 4];
  const std::string_view body = fuzz::text(data + 1, size - 1);
  server::SubmittedSuite submitted;
  try {
    submitted = server::suite_from_body(body, type);
  } catch (const server::SubmitError& e) {
    if (e.detail.empty()) {
      fuzz::broken("a refusal that says nothing");
    }
    return 0;
  }
  suite::LoadOptions options;
  options.require_api_keys = true;
  options.untrusted = suite::UntrustedRules{{}, "", true};
  const auto r = suite::load_suite_text(submitted.toml, "submitted.toml", options);
  if (r.suite.has_value() == (r.diagnostics.error_count() > 0)) {
    fuzz::broken("a suite was returned with errors, or none without");
  }
  if (r.suite) {
    for (const auto& t : r.suite->targets) {
      if (t.provider != suite::Provider::mock || !t.api_key_env.empty()) {
        fuzz::broken("an untrusted suite got past the rules");
      }
    }
  }
  return 0;
}
