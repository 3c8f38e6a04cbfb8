#pragma once
// The mock provider: the OpenAI protocol, plus request headers that carry a suite target's
// script (x-mock-ttft, x-mock-itl, x-mock-output-tokens, x-mock-seed) to the mock server, so
// one in-process server can play every mock target of a suite.

#include <string>
#include <utility>
#include <vector>

#include "llmbench/suite/suite.hpp"

namespace llmbench::providers {

std::vector<std::pair<std::string, std::string>> mock_script_headers(
    const suite::MockScript& script);

}  // namespace llmbench::providers
