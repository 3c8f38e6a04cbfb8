// Trace rows from request bodies and JSONL bundles, and the three ways of comparing outputs.

#include "llmbench/cache/traces.hpp"

#include <gtest/gtest.h>

#include "llmbench/util/error.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench::cache;

TEST(Traces, ReadsOpenAiAndAnthropicRequestBodies) {
  const auto oa = trace_from_request(
      "openai",
      R"({"model":"gpt-4o","max_tokens":16,"temperature":0.5,"stop":"END","messages":[)"
      R"({"role":"system","content":"Be brief."},)"
      R"({"role":"user","content":[{"type":"text","text":"Hi "},{"type":"text","text":"there"}]}]})");
  ASSERT_TRUE(oa) << oa.error();
  ASSERT_EQ(oa->messages.size(), 2u);
  EXPECT_EQ(oa->messages[0].role, "system");
  EXPECT_EQ(oa->messages[1].text, "Hi there");
  EXPECT_NE(oa->messages[1].content_json.find(R"("type":"text")"), std::string::npos);
  EXPECT_EQ(oa->params.model, "gpt-4o");
  EXPECT_EQ(oa->params.max_tokens, 16);
  EXPECT_EQ(oa->params.temperature, 0.5);
  EXPECT_EQ(oa->params.stop, std::vector<std::string>{"END"});

  const auto an = trace_from_request(
      "anthropic", R"({"model":"claude","max_tokens":9,"system":[{"type":"text","text":"Sys"}],)"
                   R"("stop_sequences":["a","b"],"messages":[{"role":"user","content":"Q"}]})");
  ASSERT_TRUE(an) << an.error();
  EXPECT_EQ(an->params.system, "Sys");
  EXPECT_EQ(an->params.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(trace_from_request("openai", R"({"model":"m"})"));
  EXPECT_FALSE(trace_from_request("openai", "not json"));
}

TEST(Traces, OutputTextOfEveryResponseShape) {
  EXPECT_EQ(output_text(R"({"choices":[{"message":{"role":"assistant","content":"Hi"}}]})"), "Hi");
  EXPECT_EQ(output_text(R"({"choices":[{"message":{"role":"assistant","content":null}}]})"), "");
  EXPECT_EQ(output_text(R"({"type":"message","content":[{"type":"text","text":"A"},)"
                        R"({"type":"tool_use","input":{}},{"type":"text","text":"B"}]})"),
            "AB");
  EXPECT_EQ(output_text(R"("plain")"), "plain");
  EXPECT_FALSE(output_text(R"({"something":"else"})"));
}

TEST(Traces, ReadsBothBundleShapesAndNamesBadLines) {
  llmbench::testing::TempDir dir;
  const auto path = dir.write(
      "b.jsonl",
      R"({"trace_id":"t-1","prompt":"Q1","system_prompt":"S","output":"A1","model":"m","latency_ms":12.5})"
      "\n\n"
      R"({"request":{"model":"gpt","messages":[{"role":"user","content":"Q2"}]},"response":{"choices":[{"message":{"content":"A2"}}]}})"
      "\n");
  const auto rows = read_trace_bundle(path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, "t-1");
  ASSERT_EQ(rows[0].messages.size(), 2u);
  EXPECT_EQ(rows[0].messages[0].text, "S");
  EXPECT_EQ(rows[0].messages[1].text, "Q1");
  EXPECT_EQ(rows[0].recorded_output, "A1");
  EXPECT_EQ(rows[0].recorded_ms, 12.5);
  EXPECT_EQ(rows[1].id, "line 3");
  EXPECT_EQ(rows[1].recorded_output, "A2");
  EXPECT_EQ(rows[1].params.model, "gpt");

  const auto bad = dir.write("bad.jsonl", "{\"prompt\":\"Q\",\"output\":\"A\"}\n{\"prompt\":1}\n");
  try {
    read_trace_bundle(bad);
    FAIL() << "a bad line must be refused";
  } catch (const llmbench::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2: "), std::string::npos) << e.what();
  }
}

TEST(Traces, BytesModeIsExact) {
  EXPECT_TRUE(compare_outputs(DiffMode::bytes, "same", "same").pass);
  const auto v = compare_outputs(DiffMode::bytes, "Hello world", "Hello  world");
  EXPECT_FALSE(v.pass);
  EXPECT_NE(v.note.find("differs at byte 6"), std::string::npos) << v.note;
}

TEST(Traces, StructuredModeComparesJsonCanonically) {
  EXPECT_TRUE(compare_outputs(DiffMode::structured, R"({"a":1,"b":[1.0,"x"]})",
                              R"( { "b" : [1, "x"], "a" : 1e0 } )")
                  .pass);
  EXPECT_FALSE(compare_outputs(DiffMode::structured, R"({"a":1})", R"({"a":2})").pass);
  const auto v = compare_outputs(DiffMode::structured, R"({"a":1})", "Sure! {\"a\":1}");
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.note, "the new output is not JSON");
  EXPECT_EQ(compare_outputs(DiffMode::structured, "nope", R"({"a":1})").note,
            "the recorded output is not JSON");
}

TEST(Traces, TextModeNormalizesWhitespaceAndUnicode) {
  // Runs of whitespace (tabs, newlines, a no-break space) are one space; ends are trimmed.
  EXPECT_TRUE(compare_outputs(DiffMode::text, "Hello  world\n", "Hello\t\xC2\xA0world").pass);
  // NFKC: a decomposed accent equals the composed one; full-width letters equal ASCII.
  EXPECT_TRUE(compare_outputs(DiffMode::text, "caf\xC3\xA9", "cafe\xCC\x81").pass);
  EXPECT_TRUE(compare_outputs(DiffMode::text, "\xEF\xBD\x86ull", "full").pass);
  EXPECT_EQ(normalize_text("  a \n\n b  "), "a b");
  const auto v = compare_outputs(DiffMode::text, "Hello world", "Hello World");
  EXPECT_FALSE(v.pass);  // case is content
  EXPECT_NE(v.note.find("differs at normalized byte 6"), std::string::npos) << v.note;
}
