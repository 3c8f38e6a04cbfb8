#include "llmbench/server/proxy_body.hpp"

#include <gtest/gtest.h>

using namespace llmbench;

TEST(ProxyBody, ReplacesOnlyTheModelKeepingEveryOtherByte) {
  const std::string body =
      "{ \"messages\" : [{\"role\":\"user\",\"content\":\"say \\\"model\\\": x\"}],\n"
      "  \"metadata\": {\"model\": \"inner\"}, \"model\" :\"fast\" , \"stream\": true }";
  const auto info = server::read_client_body(body);
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(info->model, "fast");
  EXPECT_TRUE(info->stream);
  EXPECT_EQ(server::with_model(body, *info, "claude-sonnet-4-5"),
            "{ \"messages\" : [{\"role\":\"user\",\"content\":\"say \\\"model\\\": x\"}],\n"
            "  \"metadata\": {\"model\": \"inner\"}, \"model\" :\"claude-sonnet-4-5\" , "
            "\"stream\": true }");
}

TEST(ProxyBody, AnEscapedModelIsReadAndWrittenWhole) {
  const std::string body = R"({"model":"a\"b\u00e9","input":"hi"})";
  const auto info = server::read_client_body(body);
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(info->model, "a\"b\xc3\xa9");
  EXPECT_FALSE(info->stream);
  EXPECT_EQ(server::with_model(body, *info, "up"), R"({"model":"up","input":"hi"})");
}

TEST(ProxyBody, RefusesWhatItCannotForward) {
  EXPECT_FALSE(server::read_client_body("not json"));
  EXPECT_FALSE(server::read_client_body("[1,2]"));
  EXPECT_FALSE(server::read_client_body(R"({"messages":[]})"));
  EXPECT_FALSE(server::read_client_body(R"({"model":7})"));
  EXPECT_FALSE(server::read_client_body(R"({"mod\u0065l":"x"})"));
}
