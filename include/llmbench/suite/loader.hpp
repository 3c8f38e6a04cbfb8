#pragma once

#include <optional>
#include <string>
#include <vector>

#include "llmbench/suite/diagnostics.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::suite {

// A suite from outside (a body POSTed to `llmbench serve`): what it may reach on this machine.
// Each rule broken is a located error.
struct UntrustedRules {
  // The only variables `api_key_env` and `${NAME}` may name (the service's --allow-key-env):
  // a suite must not be able to send, say, AWS_SECRET_ACCESS_KEY to a URL of its choosing.
  std::vector<std::string> allowed_env;
  // Prompt `file =` paths resolve under this folder only (relative, no way out of it, links
  // followed); empty: a suite may read no file at all.
  std::string data_dir;
  bool mock_only = false;  // every target must be `provider = "mock"`
  // The response cache ([cache]) writes and reads files of the suite's choosing: refused.
};

struct LoadOptions {
  // At run time a key variable that is unset is an error for non-mock targets; `validate`
  // only warns, since the suite itself is fine.
  bool require_api_keys = false;
  std::optional<UntrustedRules> untrusted;
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
