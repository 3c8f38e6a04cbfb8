#include "llmbench/providers/codec.hpp"

#include <gtest/gtest.h>

using namespace llmbench;

TEST(Codec, EachProviderHasItsProtocol) {
  EXPECT_EQ(providers::codec_for(suite::Provider::openai).name(), "openai");
  EXPECT_EQ(providers::codec_for(suite::Provider::anthropic).name(), "anthropic");
  EXPECT_EQ(providers::codec_for(suite::Provider::mock).name(), "openai");
  EXPECT_EQ(providers::openai_codec().default_base_url(), "https://api.openai.com/v1");
  EXPECT_EQ(providers::anthropic_codec().default_base_url(), "https://api.anthropic.com/v1");
}
