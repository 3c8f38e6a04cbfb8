#pragma once
// Reading the time a server reports of its own work (docs/metrics.md, "The server's own
// figures"). These fields are extras: one that is missing, of the wrong type, negative or
// absurd is skipped, never a reason to fail a response that answered.

#include <simdjson.h>

#include <string_view>

#include "llmbench/providers/response.hpp"

namespace llmbench::providers::detail {

// From one JSON document (a stream's final chunk, or a whole body), whichever of these it
// carries: llama.cpp's top-level `timings` (also sent by servers that copy it), Groq's
// `usage` (or a stream's `x_groq.usage`) times, Cerebras's `time_info`.
void read_server_timings(simdjson::dom::element doc, ServerTimings& out);

// The `openai-processing-ms` header (OpenAI's processing time of the whole request).
void read_server_timing_header(std::string_view name, std::string_view value, ServerTimings& out);

}  // namespace llmbench::providers::detail
