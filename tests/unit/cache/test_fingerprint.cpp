#include "llmbench/cache/fingerprint.hpp"

#include <gtest/gtest.h>

using llmbench::cache::fingerprint;
using llmbench::cache::fingerprint_input;
using llmbench::cache::KeyMode;

TEST(Fingerprint, SameRequestSameKeyWhateverItsSpelling) {
  const std::string a =
      R"({"model":"gpt-4.1-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":100,"temperature":1.0,"stream":true,"stream_options":{"include_usage":true}})";
  const std::string b = R"({
    "temperature": 1, "max_tokens": 1e2,
    "messages": [ { "content": "hi", "role": "user" } ],
    "model": "gpt-4.1-mini", "user": "someone"
  })";
  EXPECT_EQ(*fingerprint("openai", a), *fingerprint("openai", b));
  EXPECT_EQ(fingerprint("openai", a)->size(), 64u);
}

TEST(Fingerprint, AnySemanticChangeChangesTheKey) {
  const std::string base =
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":100})";
  const auto key = *fingerprint("openai", base);
  for (
      const char* other :
      {R"({"model":"m2","messages":[{"role":"user","content":"hi"}],"max_tokens":100})",
       R"({"model":"m","messages":[{"role":"user","content":"hi!"}],"max_tokens":100})",
       R"({"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":101})",
       R"({"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":100,"temperature":0})",
       R"({"model":"m","messages":[{"role":"system","content":"hi"}],"max_tokens":100})"}) {
    EXPECT_NE(*fingerprint("openai", other), key) << other;
  }
  EXPECT_NE(*fingerprint("anthropic", base), key);  // the provider is part of the key
  // In full mode the stream settings count too.
  const std::string streamed = R"({"model":"m","stream":true})";
  const std::string plain = R"({"model":"m"})";
  EXPECT_EQ(*fingerprint("openai", streamed), *fingerprint("openai", plain));
  EXPECT_NE(*fingerprint("openai", streamed, KeyMode::full),
            *fingerprint("openai", plain, KeyMode::full));
}

TEST(Fingerprint, TheHashedTextIsDocumented) {
  // docs/cache.md walks through this example.
  const std::string body =
      R"({"model": "gpt-4.1-mini", "stream": true, "max_tokens": 64.0, "messages": [{"role": "user", "content": "Say hello."}]})";
  EXPECT_EQ(
      *fingerprint_input("openai", body),
      R"({"body":{"max_tokens":64,"messages":[{"content":"Say hello.","role":"user"}],"model":"gpt-4.1-mini"},"provider":"openai"})");
  EXPECT_EQ(*fingerprint("openai", body),
            "fb61ed96cf18acdc5a883d55331d7e9c6b688cc0be7059ad4714e50e9e664bdb");
  EXPECT_FALSE(fingerprint("openai", "{not json"));
}
