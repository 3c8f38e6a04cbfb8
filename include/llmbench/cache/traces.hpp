#pragma once
// Trace bundles for `llmbench replay`: recorded requests with the output they got, read from
// a cache file, a stored run (when it kept content), or a JSONL bundle, and the comparison
// of a new output with the recorded one.
//
// JSONL rows come in two shapes (docs/cache.md):
//   f3dx trace rows   {"prompt", "system_prompt"?, "output", "model"?, "trace_id"?,
//                      "latency_ms"?, "ttft_ms"?}
//   request/response  {"request": <an OpenAI chat body>, "response": <a chat.completion, an
//                      Anthropic message, or a string>, "id"?, "latency_ms"?}

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmbench/cache/store.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/suite/suite.hpp"
#include "llmbench/util/result.hpp"

namespace llmbench::cache {

struct TraceRow {
  std::string id;  // trace_id, fingerprint prefix, or line / sequence number
  std::vector<suite::Message> messages;
  suite::RequestParams params;  // what the recorded request asked (model, max_tokens, ...)
  std::string recorded_output;
  std::optional<double> recorded_ms;       // end to end, when known
  std::optional<double> recorded_ttft_ms;  // when known
};

// The messages and parameters of a chat request body in `provider`'s protocol
// ("openai" | "anthropic"), or why it cannot be read.
Result<TraceRow> trace_from_request(std::string_view provider, std::string_view body);
// The output text of a response body: an OpenAI chat.completion, an Anthropic message, or a
// JSON string; nothing if it is none of these.
std::optional<std::string> output_text(std::string_view body);

// Every entry of a cache file. An entry that cannot be read as a request throws InputError,
// or, given `unreadable`, is listed there and skipped (`cache verify`).
struct Unreadable {
  std::string fingerprint;
  std::string why;
};
std::vector<TraceRow> traces_from_cache(CacheStore& store,
                                        std::vector<Unreadable>* unreadable = nullptr);
// The final successful attempts of a stored run that kept content (store_content = true);
// throws InputError if it kept none.
std::vector<TraceRow> traces_from_run(store::Database& db, const std::string& run_id);
// A JSONL bundle; a bad line throws InputError naming `path:line`.
std::vector<TraceRow> read_trace_bundle(const std::string& path);

enum class DiffMode { bytes, structured, text };
std::optional<DiffMode> diff_mode_from_string(std::string_view s);

struct Verdict {
  bool pass = false;
  std::string note;  // why it failed (or a remark), short
};
Verdict compare_outputs(DiffMode mode, std::string_view recorded, std::string_view fresh);
// Unicode NFKC, then every run of whitespace as one space, trimmed.
std::string normalize_text(std::string_view text);

}  // namespace llmbench::cache
