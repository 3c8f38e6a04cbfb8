#pragma once
// Recorded response fixtures (tests/data/streams/) fed to codec parsers as if from the wire.

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "llmbench/providers/codec.hpp"

namespace llmbench::testing {

inline std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(LLMBENCH_TEST_DATA) + "/streams/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Fed {
  std::unique_ptr<providers::ResponseParser> parser;
  const providers::Response& r() const { return parser->response(); }
};

// Feeds `body` with `status` in chunks cut at `cuts` (byte offsets), the i-th chunk arriving
// at t = 1000 * (i + 1) ns, then completes the transfer.
inline Fed feed(const providers::Codec& codec, long status, const std::string& body,
                const std::vector<std::size_t>& cuts = {},
                const std::vector<std::pair<std::string, std::string>>& headers = {},
                providers::ParserOptions options = {}) {
  options.keep_text = true;
  options.keep_headers = true;
  Fed fed{codec.parser(options)};
  auto& p = *fed.parser;
  p.on_status(status, 500);
  for (const auto& [k, v] : headers) {
    p.on_header(k, v);
  }
  std::size_t at = 0;
  std::int64_t t = 1000;
  bool reading = true;
  for (std::size_t cut : cuts) {
    if (reading) {
      reading = p.on_body(std::string_view(body).substr(at, cut - at), t);
    }
    at = cut;
    t += 1000;
  }
  if (reading) {
    p.on_body(std::string_view(body).substr(at), t);
  }
  net::TransferResult result;
  result.status_code = status;
  result.t_send_ns = 0;
  result.t_first_byte_ns = 500;
  result.t_done_ns = t + 1000;
  result.http_version = 11;
  p.on_complete(result);
  return fed;
}

}  // namespace llmbench::testing
