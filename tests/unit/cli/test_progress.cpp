// The progress line fits any terminal width and never holds a newline; the JSON form parses.

#include "cli/progress.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

using llmbench::cli::format_progress_json;
using llmbench::cli::format_progress_line;

namespace {

llmbench::load::Progress sample() {
  llmbench::load::Progress p;
  p.done = 1234;
  p.total = 20'000;
  p.errors = 7;
  p.in_flight = 64;
  p.eta_s = 93;
  p.stage = "a-rather-long-target-name rate=120.5";
  p.stage_done = 600;
  p.stage_ok = 590;
  p.stage_errors = 3;
  p.stage_requests_per_s = 118.25;
  p.ttft_p50_ms = 212.4;
  p.ttft_p95_ms = 388.9;
  return p;
}

}  // namespace

TEST(Progress, TheLineFitsEveryWidthAndNeverWraps) {
  const auto p = sample();
  for (std::size_t width = 0; width <= 200; ++width) {
    const std::string line = format_progress_line(p, width);
    EXPECT_LE(line.size(), width > 0 ? width - 1 : 0) << width;
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.find('\r'), std::string::npos);
  }
  const std::string at80 = format_progress_line(p, 80);
  EXPECT_EQ(at80.rfind("[a-rather-long-target-name rate=120.5] 1234/20000 done | 118.2 req/s", 0),
            0u)
      << at80;
  const std::string wide = format_progress_line(p, 200);
  // The stage's own figures, named by the stage.
  EXPECT_NE(wide.find("| 3 err | ttft p50 212.4 p95 388.9 ms | 64 in flight | eta 93s"),
            std::string::npos)
      << wide;
}

TEST(Progress, CutsAtACharacterBoundary) {
  auto p = sample();
  p.stage = "модель-один";  // two bytes per letter
  for (std::size_t width = 1; width <= 30; ++width) {
    const std::string line = format_progress_line(p, width);
    // No character is cut in half: a continuation byte never ends the line.
    if (!line.empty()) {
      const auto last = static_cast<unsigned char>(line.back());
      EXPECT_FALSE(last >= 0xC0) << width;  // a lead byte without its continuation
    }
  }
}

TEST(Progress, NoTtftFiguresBeforeASuccess) {
  auto p = sample();
  p.stage_ok = 0;
  EXPECT_EQ(format_progress_line(p, 200).find("ttft"), std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string json = format_progress_json(p);
  ASSERT_EQ(parser.parse(simdjson::padded_string(json)).get(doc), simdjson::SUCCESS) << json;
  EXPECT_TRUE(doc["ttft_p50_ms"].is_null());
  EXPECT_EQ(std::string_view(doc["stage"]), "a-rather-long-target-name rate=120.5");
  EXPECT_EQ(int64_t(doc["total"]), 20'000);
}
