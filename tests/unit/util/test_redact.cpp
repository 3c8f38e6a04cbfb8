#include "llmbench/util/redact.hpp"

#include <gtest/gtest.h>

using llmbench::util::mask_key_shaped;
using llmbench::util::Redactor;

TEST(Redactor, MasksEveryFormOfEachSecret) {
  const Redactor r({"abc/def+ghi=jkl", "short"});
  EXPECT_EQ(r.redact("k=abc/def+ghi=jkl."), "k=***.");
  EXPECT_EQ(r.redact("k=abc%2Fdef%2Bghi%3Djkl"), "k=***");               // percent-encoded
  EXPECT_EQ(r.redact(R"({"k":"abc\/def+ghi=jkl"})"), R"({"k":"***"})");  // JSON-escaped
  EXPECT_EQ(r.redact("Basic YWJjL2RlZitnaGk9amts"), "Basic ***");        // base64
  EXPECT_EQ(r.redact("twice abc/def+ghi=jkl abc/def+ghi=jkl"), "twice *** ***");
  EXPECT_EQ(r.redact("short words stay"), "short words stay");  // under 8 characters
  EXPECT_TRUE(Redactor().redact("anything").size() == 8);
}

TEST(Redactor, CredentialHeadersAreSecretsWithAndWithoutTheirScheme) {
  const auto r = Redactor::for_credentials(
      "", {{"Authorization", "Bearer tok-123456789"}, {"X-Title", "public title"}});
  EXPECT_EQ(r.redact("got tok-123456789"), "got ***");
  EXPECT_EQ(r.redact("public title"), "public title");
}

TEST(Redactor, KeyShapedWordsAreMaskedInMessages) {
  EXPECT_EQ(mask_key_shaped("Incorrect API key provided: sk-proj-abc123."),
            "Incorrect API key provided: sk-***.");
  EXPECT_EQ(mask_key_shaped("key \"gsk_abc\" and xai-zzz"), "key \"gsk_***\" and xai-***");
  EXPECT_EQ(mask_key_shaped("task-force sk- alone"), "task-force sk- alone");
}
