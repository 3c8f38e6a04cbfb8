#include "llmbench/net/sse_decoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using llmbench::net::SseDecoder;
using llmbench::net::SseEvent;

namespace {

struct Seen {
  std::string event;
  std::string data;
  std::string id;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{event=" << s.event << " data=" << s.data << " id=" << s.id << "}";
}

std::vector<Seen> decode_chunks(const std::vector<std::string_view>& chunks, SseDecoder& decoder) {
  std::vector<Seen> out;
  for (const auto chunk : chunks) {
    decoder.feed(chunk, [&](const SseEvent& e) {
      out.push_back({std::string(e.event), std::string(e.data), std::string(e.id)});
    });
  }
  return out;
}

std::vector<Seen> decode(std::string_view stream) {
  SseDecoder decoder;
  return decode_chunks({stream}, decoder);
}

// A stream with every feature: comments, multi-line data, event names, ids, retry, blank
// events, and all three line endings.
const std::string k_stream =
    "\xEF\xBB\xBF: keep-alive\r\n"
    "event: message_start\r\n"
    "data: {\"a\":1}\r\n"
    "\r\n"
    "data: line one\n"
    "data: line two\n"
    "id: 7\n"
    "\n"
    "retry: 2500\r"
    "event: ping\r"
    "data:no-space\r"
    "\r"
    "event: dropped-without-data\n"
    "\n"
    "data\n"
    "\n"
    "data: [DONE]\r\n\r\n";

const std::vector<Seen> k_expected = {
    {"message_start", "{\"a\":1}", ""},
    {"", "line one\nline two", "7"},
    {"ping", "no-space", "7"},
    {"", "", "7"},
    {"", "[DONE]", "7"},
};

}  // namespace

TEST(SseDecoder, DecodesEveryFieldAndLineEnding) {
  SseDecoder decoder;
  EXPECT_EQ(decode_chunks({k_stream}, decoder), k_expected);
  EXPECT_EQ(decoder.retry_ms(), 2500);
  EXPECT_EQ(decoder.comments(), 1u);
  EXPECT_FALSE(decoder.mid_event());
  EXPECT_FALSE(decoder.failed());
}

TEST(SseDecoder, EverySplitPointGivesTheSameEvents) {
  for (std::size_t cut = 0; cut <= k_stream.size(); ++cut) {
    SseDecoder decoder;
    const std::string_view s = k_stream;
    EXPECT_EQ(decode_chunks({s.substr(0, cut), s.substr(cut)}, decoder), k_expected)
        << "split at " << cut;
    EXPECT_FALSE(decoder.mid_event()) << cut;
  }
}

TEST(SseDecoder, EveryPairOfSplitPointsGivesTheSameEvents) {
  const std::string_view s = k_stream;
  for (std::size_t a = 0; a <= s.size(); ++a) {
    for (std::size_t b = a; b <= s.size(); ++b) {
      SseDecoder decoder;
      ASSERT_EQ(decode_chunks({s.substr(0, a), s.substr(a, b - a), s.substr(b)}, decoder),
                k_expected)
          << "splits at " << a << " and " << b;
    }
  }
}

TEST(SseDecoder, OneByteAtATime) {
  SseDecoder decoder;
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < k_stream.size(); ++i) {
    bytes.push_back(std::string_view(k_stream).substr(i, 1));
  }
  EXPECT_EQ(decode_chunks(bytes, decoder), k_expected);
}

TEST(SseDecoder, CrLfSplitBetweenChunksIsOneLineEnd) {
  SseDecoder decoder;
  // "\r" ends one chunk, "\n" opens the next: one line end, not an empty line.
  const auto seen = decode_chunks({"data: a\r", "\ndata: b\r\n\r", "\n"}, decoder);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].data, "a\nb");
}

TEST(SseDecoder, ReportsAStreamThatEndsMidEvent) {
  SseDecoder decoder;
  EXPECT_TRUE(decode_chunks({"data: {\"partial\":"}, decoder).empty());
  EXPECT_TRUE(decoder.mid_event());
  SseDecoder decoder2;
  EXPECT_TRUE(decode_chunks({"data: whole line\n"}, decoder2).empty());
  EXPECT_TRUE(decoder2.mid_event());  // the blank line that dispatches never came
}

TEST(SseDecoder, ABomThatIsNotOneIsContent) {
  // 0xEF alone, then ordinary text: the held byte is part of the first line (an unknown
  // field), so nothing is lost or invented.
  SseDecoder decoder;
  const auto seen = decode_chunks({"\xEF", "x\ndata: y\n\n"}, decoder);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].data, "y");
}

TEST(SseDecoder, OnlyTheFirstBomIsSkipped) {
  const auto seen = decode(
      "\xEF\xBB\xBF\xEF\xBB\xBF"
      "data: x\n\n");
  EXPECT_TRUE(seen.empty());  // the second BOM makes the field name unknown
}

TEST(SseDecoder, GarbageIsIgnoredNotFatal) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) {
    garbage.push_back(static_cast<char>((i * 7919) % 251 + 1));
  }
  SseDecoder decoder;
  std::size_t events = 0;
  EXPECT_TRUE(decoder.feed(garbage, [&](const SseEvent&) { ++events; }));
  EXPECT_TRUE(decoder.feed("\n\ndata: after\n\n", [&](const SseEvent& e) {
    ++events;
    EXPECT_EQ(e.data, "after");
  }));
  EXPECT_GE(events, 1u);
  EXPECT_FALSE(decoder.failed());
}

TEST(SseDecoder, OversizedLineIsAnErrorNotUnboundedMemory) {
  SseDecoder decoder(1024);
  const std::string big(600, 'x');
  bool called = false;
  const auto cb = [&](const SseEvent&) { called = true; };
  EXPECT_TRUE(decoder.feed("data: " + big, cb));
  EXPECT_FALSE(decoder.feed(big, cb));  // the carried line would pass 1024 bytes
  EXPECT_TRUE(decoder.failed());
  EXPECT_NE(decoder.error()->find("1024"), std::string::npos);
  EXPECT_FALSE(decoder.feed("\n\ndata: x\n\n", cb));  // stays failed
  EXPECT_FALSE(called);

  SseDecoder whole(1024);  // an oversized line inside one chunk is caught too
  EXPECT_FALSE(whole.feed("data: " + std::string(2000, 'y') + "\n\n", cb));
  EXPECT_FALSE(called);
}

TEST(SseDecoder, LinesAtTheBoundAreAccepted) {
  SseDecoder decoder(16);
  std::string data;
  decoder.feed("data: 0123456789\n\n", [&](const SseEvent& e) { data = e.data; });
  EXPECT_EQ(data, "0123456789");
  EXPECT_FALSE(decoder.failed());
}

TEST(SseDecoder, RetryMustBeDigits) {
  SseDecoder decoder;
  decode_chunks({"retry: 12x\n", "retry:\n", "retry: 40\n"}, decoder);
  EXPECT_EQ(decoder.retry_ms(), 40);
}

TEST(SseDecoder, KeepsCommentTextOnlyWhenAskedAndWithinItsBound) {
  const std::string_view stream = ": keep-alive\ndata: a\n\n:mock-write-ns 1,2\n\n";
  SseDecoder off;
  decode_chunks({stream}, off);
  EXPECT_EQ(off.comments(), 2u);
  EXPECT_EQ(off.kept_comments(), "");
  SseDecoder on;
  on.keep_comments(1024);
  const auto events = decode_chunks({stream.substr(0, 17), stream.substr(17)}, on);
  EXPECT_EQ(events.size(), 1u);
  EXPECT_EQ(on.kept_comments(), " keep-alive\nmock-write-ns 1,2\n");
  SseDecoder small;
  small.keep_comments(14);  // the first fits (12 + newline), the second does not
  decode_chunks({stream}, small);
  EXPECT_EQ(small.kept_comments(), " keep-alive\n");
}
