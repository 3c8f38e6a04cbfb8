#include "llmbench/providers/codec.hpp"

#include "llmbench/providers/anthropic.hpp"
#include "llmbench/providers/openai.hpp"

namespace llmbench::providers {

const Codec& openai_codec() {
  static const OpenAiCodec codec;
  return codec;
}

const Codec& anthropic_codec() {
  static const AnthropicCodec codec;
  return codec;
}

const Codec& codec_for(suite::Provider provider) {
  switch (provider) {
    case suite::Provider::anthropic:
      return anthropic_codec();
    case suite::Provider::openai:
    case suite::Provider::mock:
      break;
  }
  return openai_codec();
}

}  // namespace llmbench::providers
