#pragma once

#include <optional>
#include <string>

#include "llmbench/suite/diagnostics.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::suite {

struct LoadOptions {
  // At run time a key variable that is unset is an error for non-mock targets; `validate`
  // only warns, since the suite itself is fine.
  bool require_api_keys = false;
};

struct LoadResult {
  std::optional<Suite> suite;  // set only when there are no errors
  Diagnostics diagnostics;
};

// Reads, parses and validates a suite file, collecting every problem with its place.
LoadResult load_suite(const std::string& path, const LoadOptions& options = {});
// The same from text; `path` names it in messages and anchors relative prompt files.
LoadResult load_suite_text(const std::string& text, const std::string& path,
                           const LoadOptions& options = {});

}  // namespace llmbench::suite
