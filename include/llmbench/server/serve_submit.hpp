#pragma once
// What `POST /api/v1/runs` accepts, turned into suite TOML (docs/serve.md):
//   Content-Type: application/toml   a suite file's text, as `llmbench run` reads it
//   Content-Type: application/json   the same suite as JSON (tables are objects, arrays of
//                                    tables arrays of objects), or the short form
//                                    { "name", "target": {...}, "model", "prompts": ["...", ...],
//                                      "load": {...} } for one target and plain prompts
// The TOML is what is validated (exactly as `llmbench validate` does), stored with the run and
// run by a worker; error places in a JSON body's problem document refer to it (it is returned
// there as `suite_toml`).

#include <string>
#include <string_view>

namespace llmbench::server {

enum class BodyKind { toml, json, short_form };

struct SubmittedSuite {
  std::string toml;
  BodyKind kind = BodyKind::toml;
};

// Thrown for a body that is not one of the above: `unsupported` for another content type (415),
// else malformed (400).
struct SubmitError {
  bool unsupported = false;
  std::string detail;
};

SubmittedSuite suite_from_body(std::string_view body, std::string_view content_type);

}  // namespace llmbench::server
