// Trace rows from request bodies and JSONL bundles, and the three ways of comparing outputs.

#include "llmbench/cache/traces.hpp"

#include "llmbench/cache/fingerprint.hpp"
#include "llmbench/cache/jcs.hpp"
#include "llmbench/cache/store.hpp"

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

// 1e300 was cast to an integer out of range (undefined behaviour): a located error now.
TEST(Traces, MaxTokensOutOfRangeIsRefusedWithItsLine) {
  for (const std::string v : {"1e300", "-1", "0", "2.5", "1e8"}) {
    const auto r = llmbench::cache::trace_from_request(
        "openai",
        R"({"model":"m","max_tokens":)" + v + R"(,"messages":[{"role":"user","content":"x"}]})");
    EXPECT_FALSE(r.ok()) << v;
  }
  EXPECT_EQ(
      *llmbench::cache::trace_from_request(
           "openai", R"({"model":"m","max_tokens":64,"messages":[{"role":"user","content":"x"}]})")
           ->params.max_tokens,
      64);
  llmbench::testing::TempDir dir;
  const auto path = dir.write(
      "b.jsonl",
      R"({"request":{"model":"m","messages":[{"role":"user","content":"x"}]},"response":"a"})"
      "\n"
      R"({"request":{"model":"m","max_tokens":1e300,"messages":[{"role":"user","content":"x"}]},"response":"a"})"
      "\n");
  try {
    llmbench::cache::read_trace_bundle(path);
    FAIL() << "accepted max_tokens 1e300";
  } catch (const llmbench::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("b.jsonl:2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("max_tokens"), std::string::npos) << e.what();
  }
}

// Integers past 64 bits are canonicalized as RFC 8785 says ("18446744073709551616"), which
// simdjson cannot read as an integer; replay then failed on the entry while `cache verify`
// called it sound (issue 11).
TEST(Traces, CanonicalRequestsWithBigIntegersReadBack) {
  const std::string body =
      R"({"model":"m","seed":18446744073709551616,"n":-9223372036854775809,"s":"18446744073709551616","messages":[{"role":"user","content":"x"}]})";
  const auto canonical = llmbench::cache::canonicalize(body);
  ASSERT_TRUE(canonical.ok()) << canonical.error();
  // As ECMAScript prints the double 2^64: past what a 64-bit integer holds.
  EXPECT_NE(canonical->find(R"("seed":18446744073709552000)"), std::string::npos) << *canonical;
  EXPECT_EQ(llmbench::cache::widen_big_integers(*canonical).find(R"("s":"18446744073709551616.0")"),
            std::string::npos);
  const auto row = llmbench::cache::trace_from_request("openai", *canonical);
  ASSERT_TRUE(row.ok()) << row.error();
  EXPECT_EQ(row->messages.size(), 1U);
  // Through a cache file, as replay and verify read it.
  llmbench::testing::TempDir dir;
  auto store = llmbench::cache::CacheStore::open(dir.file("c.db"));
  llmbench::cache::CachedResponse r;
  r.provider = "openai";
  r.fingerprint = *llmbench::cache::fingerprint("openai", body);
  r.canonical_request = *llmbench::cache::fingerprint_input("openai", body);
  r.body = R"({"choices":[{"message":{"content":"a"}}]})";
  r.created_at_ms = 1;
  store.put(r);
  std::vector<llmbench::cache::Unreadable> unreadable;
  const auto rows = llmbench::cache::traces_from_cache(store, &unreadable);
  EXPECT_TRUE(unreadable.empty());
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].recorded_output, "a");
}
