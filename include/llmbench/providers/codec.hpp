#pragma once
// A provider codec: writes a chat request in its protocol (URL, headers, JSON body) and makes
// the parser that reads the answer. One interface; one file per protocol (openai.cpp,
// anthropic.cpp); the mock speaks the OpenAI protocol plus script headers (mock.cpp).
//
// Departure from DESIGN.md's layering, on purpose: codecs read the suite's plain data types
// (suite::Message, suite::RequestParams) instead of a copy of them. Both areas sit on the
// same layer, and a second set of structs would only be kept in sync by hand.

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "llmbench/net/engine.hpp"
#include "llmbench/providers/parser.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::providers {

struct ChatRequest {
  std::string base_url;  // up to and including the version, e.g. https://api.openai.com/v1
  std::string api_key;   // held in memory only; never written anywhere
  std::vector<std::pair<std::string, std::string>> headers;  // extra, sent as given
  std::span<const suite::Message> messages;
  suite::RequestParams params;  // the effective fields; params.model must be set
  bool stream = true;
  net::Nanos connect_timeout{std::chrono::seconds(10)};
  net::Nanos first_token_timeout{0};
  net::Nanos total_timeout{std::chrono::seconds(60)};
};

class Codec {
 public:
  virtual ~Codec() = default;
  virtual std::string_view name() const = 0;
  virtual std::string default_base_url() const = 0;
  // The request as it goes on the wire (the body alone is what the cache fingerprints).
  virtual net::HttpRequest build(const ChatRequest& request) const = 0;
  virtual std::string body(const ChatRequest& request) const = 0;
  virtual std::unique_ptr<ResponseParser> parser(const ParserOptions& options) const = 0;
};

const Codec& openai_codec();
const Codec& anthropic_codec();
// The codec speaking a suite provider's protocol (the mock speaks OpenAI's).
const Codec& codec_for(suite::Provider provider);

}  // namespace llmbench::providers
