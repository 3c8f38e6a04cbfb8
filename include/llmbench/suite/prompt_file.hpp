#pragma once
// JSONL prompt sets: one request per line, {"id": ..., "messages": [...], "max_tokens": ...}.

#include <string>
#include <vector>

#include "llmbench/suite/diagnostics.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::suite {

// Keys a JSONL line may carry (also the request fields a prompt may set).
extern const std::vector<std::string_view> k_prompt_line_keys;

// Reads `path`; problems are reported against `path:line:column`, an unreadable file against
// `referenced_at` (the suite's `file = ...`). `content` receives the bytes read (for hashing).
std::vector<Prompt> read_prompt_file(const std::string& path, const SourcePos& referenced_at,
                                     Diagnostics& diags, std::string& content);

// Parses one JSONL line into a prompt; `default_id` is used when the line has no "id".
bool parse_prompt_line(std::string_view line, const SourcePos& pos, const std::string& default_id,
                       Prompt& out, Diagnostics& diags);

}  // namespace llmbench::suite
