#include "llmbench/suite/prompt_file.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

using namespace llmbench::suite;
using llmbench::testing::TempDir;

namespace {

bool parse(std::string_view line, Prompt& p, Diagnostics& d) {
  return parse_prompt_line(line, SourcePos{"p.jsonl", 4, 1}, "p:4", p, d);
}

std::string only_error(const Diagnostics& d) {
  EXPECT_EQ(d.items().size(), 1U);
  return d.items().empty() ? "" : d.items()[0].to_string();
}

}  // namespace

TEST(PromptFile, ParsesAFullLine) {
  Prompt p;
  Diagnostics d;
  ASSERT_TRUE(parse(R"({"id":"x","messages":[{"role":"system","content":"s"},)"
                    R"({"role":"user","content":"u"}],"max_tokens":5,"top_p":0.9})",
                    p, d));
  EXPECT_EQ(p.id, "x");
  ASSERT_EQ(p.messages.size(), 2U);
  EXPECT_EQ(p.messages[0].role, "system");
  EXPECT_EQ(*p.params.max_tokens, 5);
  EXPECT_EQ(*p.params.top_p, 0.9);
}

TEST(PromptFile, GarbageAndTruncatedLines) {
  for (const std::string_view bad : {"not json", "{\"id\": \"a\", \"messages\": [", "[1, 2]", "42",
                                     "{\"id\": \"a\"", "\xff\xfe{}"}) {
    Prompt p;
    Diagnostics d;
    EXPECT_FALSE(parse(bad, p, d)) << bad;
    ASSERT_TRUE(d.has_errors()) << bad;
    EXPECT_EQ(d.items()[0].pos.line, 4U);
  }
}

TEST(PromptFile, FieldErrorsPointAtTheKey) {
  Prompt p;
  Diagnostics d;
  EXPECT_FALSE(parse(R"({"id": "a", "max_tokens": -3, "prompt": "x"})", p, d));
  EXPECT_EQ(only_error(d),
            "p.jsonl:4:13: \"max_tokens\" must be a whole number from 1 to 10000000");

  Prompt q;
  Diagnostics e;
  EXPECT_FALSE(parse(R"({"messages": [{"role": "robot", "content": "x"}]})", q, e));
  EXPECT_EQ(only_error(e),
            "p.jsonl:4:2: message 1 has unknown role \"robot\" (one of: system, "
            "developer, user, assistant, tool)");

  Prompt r;
  Diagnostics f;
  EXPECT_FALSE(parse(R"({"id": "a"})", r, f));
  EXPECT_EQ(only_error(f), "p.jsonl:4:1: the line has no \"messages\" (or \"prompt\")");

  Prompt s;
  Diagnostics g;
  EXPECT_FALSE(parse(R"({"messages": []})", s, g));
  EXPECT_EQ(only_error(g), "p.jsonl:4:2: \"messages\" is empty");
}

TEST(PromptFile, OversizedLineIsReadNotTruncated) {
  TempDir dir;
  const std::string big(2'000'000, 'x');
  const std::string line = "{\"id\": \"big\", \"prompt\": \"" + big + "\"}\n";
  const std::string path = dir.write("big.jsonl", line);
  Diagnostics d;
  std::string content;
  const auto prompts = read_prompt_file(path, SourcePos{"s.toml", 1, 1}, d, content);
  ASSERT_EQ(prompts.size(), 1U);
  EXPECT_EQ(prompts[0].messages[0].text.size(), big.size());
  EXPECT_EQ(content, line);
}

TEST(PromptFile, CrlfLinesAndBlankLines) {
  TempDir dir;
  const std::string path = dir.write(
      "p.jsonl",
      "{\"id\": \"a\", \"prompt\": \"x\"}\r\n\r\n   \r\n{\"id\": \"b\", \"prompt\": \"y\"}");
  Diagnostics d;
  std::string content;
  const auto prompts = read_prompt_file(path, SourcePos{"s.toml", 1, 1}, d, content);
  EXPECT_FALSE(d.has_errors());
  ASSERT_EQ(prompts.size(), 2U);
  EXPECT_EQ(prompts[1].id, "b");
  EXPECT_EQ(prompts[1].pos.line, 4U);
}

TEST(PromptFile, DirectoryIsNotAFile) {
  TempDir dir;
  Diagnostics d;
  std::string content;
  read_prompt_file(dir.path().string(), SourcePos{"s.toml", 3, 8}, d, content);
  EXPECT_EQ(only_error(d), "s.toml:3:8: prompt file " + dir.path().string() + " is a directory");
}

TEST(PromptFile, DevicesAreRefusedNotReadForever) {
  llmbench::suite::Diagnostics d;
  std::string content;
  const auto prompts = llmbench::suite::read_prompt_file(
      "/dev/zero", llmbench::suite::SourcePos{"s.toml", 3, 1}, d, content);
  EXPECT_TRUE(prompts.empty());
  ASSERT_EQ(d.error_count(), 1U);
  EXPECT_EQ(d.items()[0].to_string(), "s.toml:3:1: prompt file /dev/zero is not a regular file");
}
