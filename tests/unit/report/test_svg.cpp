// Charts a person can read: round tick values, and legends inside the picture whatever the
// names' length.

#include "llmbench/report/svg.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

namespace svg = llmbench::report::svg;

TEST(Svg, TicksAreRoundValuesCoveringTheRange) {
  const struct {
    double lo, hi;
    std::vector<double> want;
  } cases[] = {
      {0, 61.4, {0, 20, 40, 60, 80}},
      {46.1, 61.4, {45, 50, 55, 60, 65}},
      {0, 1, {0, 0.2, 0.4, 0.6, 0.8, 1.0}},
      {0, 7300, {0, 2000, 4000, 6000, 8000}},
      {20.1, 20.9, {20, 20.2, 20.4, 20.6, 20.8, 21}},
  };
  for (const auto& c : cases) {
    const auto ticks = svg::nice_ticks(c.lo, c.hi, 5);
    ASSERT_EQ(ticks.size(), c.want.size()) << c.lo << ".." << c.hi;
    for (std::size_t i = 0; i < ticks.size(); ++i) {
      EXPECT_NEAR(ticks[i], c.want[i], 1e-9) << c.lo << ".." << c.hi;
    }
  }
  // Every step is 1, 2, 2.5 or 5 times a power of ten.
  for (double hi = 0.013; hi < 1e7; hi *= 1.37) {
    const auto ticks = svg::nice_ticks(0, hi, 5);
    ASSERT_GE(ticks.size(), 2u);
    EXPECT_LE(ticks.front(), 0.0);
    EXPECT_GE(ticks.back(), hi);
    const double step = ticks[1] - ticks[0];
    const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
    EXPECT_TRUE(std::abs(mantissa - 1) < 1e-6 || std::abs(mantissa - 2) < 1e-6 ||
                std::abs(mantissa - 2.5) < 1e-6 || std::abs(mantissa - 5) < 1e-6)
        << hi << " step " << step;
  }
}

TEST(Svg, LegendsStayInsideThePicture) {
  std::vector<svg::Series> series;
  for (const char* name : {"mock-fast (tokens/s)", "a-very-long-target-name-indeed rate=120.5",
                           "third", "errors (req/s)"}) {
    series.push_back({name, {{0, 1}, {1, 2}}, false});
  }
  const std::string out =
      svg::line_chart("c", "title", {"x", false, false}, {"y", false, false}, series);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"re(viewBox="0 0 (\d+) (\d+(\.\d+)?)")re")));
  const double width = std::stod(m[1].str());
  const double height = std::stod(m[2].str());
  // Each legend label starts inside and, at a generous 6.6 px per character, ends inside.
  const std::regex label(R"re(<text class="legend" x="([\d.]+)" y="([\d.]+)">([^<]*)</text>)re");
  int labels = 0;
  for (std::sregex_iterator it(out.begin(), out.end(), label), end; it != end; ++it) {
    const double x = std::stod((*it)[1].str());
    const double y = std::stod((*it)[2].str());
    const double w = static_cast<double>((*it)[3].str().size()) * 6.6;
    EXPECT_LE(x + w, width) << (*it)[3].str();
    EXPECT_LE(y, height) << (*it)[3].str();
    ++labels;
  }
  EXPECT_EQ(labels, 4);
  // Tick labels are round numbers.
  EXPECT_NE(out.find(">0.5</text>"), std::string::npos) << out;
  EXPECT_EQ(out.find(">0.25</text>"), std::string::npos);
}
