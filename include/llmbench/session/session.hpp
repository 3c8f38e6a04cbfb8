#pragma once
// A harness session's key and the snippet that points a harness at the proxy with it.
//
// A session key is 32 random bytes, shown once as "lbsk_" + 64 hex digits; only its SHA-256
// (hex) is stored. The proxy attributes a request to a session by hashing the key the client
// sends (Authorization: Bearer, or x-api-key) and looking the hash up.

#include <string>
#include <string_view>

#include "llmbench/session/config.hpp"

namespace llmbench::session {

std::string new_session_key();
std::string key_hash(std::string_view key);
// Whether `text` looks like a session key (so it is never logged or forwarded upstream).
bool is_session_key(std::string_view text);

// The environment variable the Codex and OpenCode snippets read the session key from.
inline constexpr std::string_view k_key_env = "LLMBENCH_SESSION_KEY";

enum class EnvFormat { sh, json, toml };

struct EnvInput {
  std::string session_id;
  std::string key;       // the session key (only `session create` knows it)
  std::string base_url;  // the proxy, without /v1: http://127.0.0.1:4000
  const ModelAlias* model = nullptr;
  Harness harness;
  const Variant* variant = nullptr;
};

// The snippet for `llmbench session env` (docs/proxy.md lists each harness's):
//   sh    export lines (and, for Codex and OpenCode, the config file they read, written under
//         .llmbench/ and pointed at with CODEX_HOME / OPENCODE_CONFIG);
//   toml  the Codex config.toml (other harnesses: their environment as a [env] table);
//   json  {"env": {...}, "unset": [...], "files": {path: text}}.
std::string render_env(const EnvInput& in, EnvFormat format);

}  // namespace llmbench::session
