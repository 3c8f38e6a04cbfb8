#pragma once
// Sends a fixed list of requests to one target, keeping up to `concurrency` in flight, and
// returns every response in the order given (`llmbench replay` re-sends recorded requests
// this way). Output text is kept; `redactor` (optional) masks the key in what comes back.

#include <cstdint>
#include <vector>

#include "llmbench/net/engine.hpp"
#include "llmbench/providers/codec.hpp"
#include "llmbench/providers/response.hpp"
#include "llmbench/util/redact.hpp"

namespace llmbench::load {

std::vector<providers::Response> send_all(const providers::Codec& codec,
                                          const std::vector<net::HttpRequest>& requests,
                                          std::int64_t concurrency, bool stream = true,
                                          const util::Redactor* redactor = nullptr);

}  // namespace llmbench::load
