#include "llmbench/server/serve_submit.hpp"

#include <gtest/gtest.h>

#include <toml++/toml.h>

using namespace llmbench::server;

namespace {

toml::table parsed(const SubmittedSuite& s) {
  return toml::parse(s.toml);
}

}  // namespace

TEST(ServeSubmit, TomlIsTakenAsItIs) {
  const auto s = suite_from_body("[suite]\nname = \"x\"\n", "application/toml; charset=utf-8");
  EXPECT_EQ(s.kind, BodyKind::toml);
  EXPECT_EQ(s.toml, "[suite]\nname = \"x\"\n");
}

TEST(ServeSubmit, AJsonSuiteBecomesTheSameTables) {
  const auto s = suite_from_body(
      R"({"suite": {"name": "j", "description": null},
          "load": {"mode": "rate", "rate": 2.5, "requests": 10},
          "targets": [{"name": "a", "provider": "mock", "mock": {"ttft": "5ms"}},
                      {"name": "b", "provider": "mock"}],
          "prompts": [{"id": "p", "messages": [{"role": "user", "content": "hi \"there\""}]}]})",
      "Application/JSON");
  EXPECT_EQ(s.kind, BodyKind::json);
  const auto t = parsed(s);
  EXPECT_EQ(t["suite"]["name"].value<std::string>(), "j");
  EXPECT_FALSE(t["suite"]["description"]);  // null is left out
  EXPECT_EQ(t["load"]["rate"].value<double>(), 2.5);
  EXPECT_EQ(t["load"]["requests"].value<std::int64_t>(), 10);
  ASSERT_TRUE(t["targets"].as_array());
  EXPECT_EQ(t["targets"].as_array()->size(), 2u);
  EXPECT_EQ(t["targets"][0]["mock"]["ttft"].value<std::string>(), "5ms");
  EXPECT_EQ(t["prompts"][0]["messages"][0]["content"].value<std::string>(), "hi \"there\"");
}

TEST(ServeSubmit, TheShortFormIsOneTargetAndPlainPrompts) {
  const auto s = suite_from_body(
      R"({"name": "smoke", "model": "tiny", "target": {"provider": "mock"},
          "prompts": ["one", "two"]})",
      "application/json");
  EXPECT_EQ(s.kind, BodyKind::short_form);
  const auto t = parsed(s);
  EXPECT_EQ(t["suite"]["name"].value<std::string>(), "smoke");
  EXPECT_EQ(t["targets"][0]["name"].value<std::string>(), "target");
  EXPECT_EQ(t["targets"][0]["model"].value<std::string>(), "tiny");
  EXPECT_EQ(t["prompts"][1]["id"].value<std::string>(), "p2");
  EXPECT_EQ(t["prompts"][1]["prompt"].value<std::string>(), "two");
  // Each prompt once, one at a time, unless "load" says otherwise.
  EXPECT_EQ(t["load"]["mode"].value<std::string>(), "concurrency");
  EXPECT_EQ(t["load"]["requests"].value<std::int64_t>(), 2);
}

TEST(ServeSubmit, WhatIsNotASuiteIsRefusedSayingWhy) {
  const auto refused = [](std::string_view body, std::string_view type) -> SubmitError {
    try {
      suite_from_body(body, type);
    } catch (const SubmitError& e) {
      return e;
    }
    ADD_FAILURE() << body << " was accepted";
    return {};
  };
  EXPECT_TRUE(refused("name = 1", "text/plain").unsupported);
  EXPECT_TRUE(refused("{}", "").unsupported);
  auto e = refused("{not json", "application/json");
  EXPECT_FALSE(e.unsupported);
  EXPECT_NE(e.detail.find("not JSON"), std::string::npos) << e.detail;
  EXPECT_NE(refused("[1]", "application/json").detail.find("JSON object"), std::string::npos);
  EXPECT_NE(refused(R"({"target": {}, "prompts": []})", "application/json")
                .detail.find("needs \"prompts\""),
            std::string::npos);
  EXPECT_NE(refused(R"({"target": {}, "prompts": [1]})", "application/json")
                .detail.find("prompts[0] must be a string"),
            std::string::npos);
  EXPECT_NE(refused(R"({"target": 1, "prompts": ["a"]})", "application/json")
                .detail.find("must be an object"),
            std::string::npos);
  EXPECT_NE(refused(R"({"target": {}, "prompts": ["a"], "colour": 1})", "application/json")
                .detail.find("no member \"colour\""),
            std::string::npos);
  EXPECT_NE(refused(R"({"x": 18446744073709551615})", "application/json")
                .detail.find("too large a number"),
            std::string::npos);
  std::string deep(40, '[');
  deep = "{\"a\":" + deep + std::string(40, ']') + "}";
  EXPECT_NE(refused(deep, "application/json").detail.find("nests deeper"), std::string::npos);
}
