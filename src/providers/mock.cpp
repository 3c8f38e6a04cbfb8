#include "llmbench/providers/mock.hpp"

#include <fmt/format.h>

namespace llmbench::providers {

std::vector<std::pair<std::string, std::string>> mock_script_headers(
    const suite::MockScript& script) {
  return {
      {"x-mock-ttft", fmt::format("{}ns", script.ttft.count())},
      {"x-mock-itl", fmt::format("{}ns", script.itl.count())},
      {"x-mock-output-tokens", std::to_string(script.output_tokens)},
      {"x-mock-seed", std::to_string(script.seed)},
  };
}

}  // namespace llmbench::providers
