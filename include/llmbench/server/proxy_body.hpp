#pragma once
// What the proxy reads from a client's request body, and the one change it makes to it: the
// top-level `model` string is replaced by the upstream's model name, every other byte kept
// as the client sent it (key order, spacing, unknown fields, escapes).

#include <optional>
#include <string>
#include <string_view>

#include "llmbench/util/result.hpp"

namespace llmbench::server {

struct ClientBody {
  std::string model;  // the top-level "model", unescaped
  bool stream = false;
  // Where the model's JSON string literal (quotes included) sits in the body.
  std::size_t model_at = 0;
  std::size_t model_len = 0;
};

// Reads a JSON object body: an error message when it is not valid JSON, not an object, or
// has no string `model`.
Result<ClientBody> read_client_body(std::string_view body);

// `body` with its model literal replaced by `model` (as a JSON string).
std::string with_model(std::string_view body, const ClientBody& info, std::string_view model);

}  // namespace llmbench::server
