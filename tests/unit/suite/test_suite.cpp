#include "llmbench/suite/suite.hpp"

#include <gtest/gtest.h>

using namespace llmbench::suite;

TEST(SuiteModel, OverlayTakesOnlyWhatIsSet) {
  RequestParams base;
  base.max_tokens = 10;
  base.temperature = 0.5;
  base.extra = {{"a", "1"}, {"b", "2"}};
  RequestParams over;
  over.max_tokens = 20;
  over.extra = {{"b", "3"}, {"c", "4"}};
  base.overlay(over);
  EXPECT_EQ(*base.max_tokens, 20);
  EXPECT_EQ(*base.temperature, 0.5);
  ASSERT_EQ(base.extra.size(), 3U);
  EXPECT_EQ(base.extra[1].second, "3");
  EXPECT_EQ(base.extra[2].first, "c");
}

TEST(SuiteModel, ProviderNamesRoundTrip) {
  for (const auto p : {Provider::openai, Provider::anthropic, Provider::mock}) {
    EXPECT_EQ(provider_from_string(to_string(p)), p);
  }
  EXPECT_FALSE(provider_from_string("OpenAI"));
  EXPECT_EQ(to_string(LoadMode::poisson), "poisson");
}

TEST(SuiteModel, FindsTargetsByName) {
  Suite s;
  s.targets.resize(2);
  s.targets[0].name = "a";
  s.targets[1].name = "b";
  EXPECT_EQ(s.find_target("b"), &s.targets[1]);
  EXPECT_EQ(s.find_target("c"), nullptr);
}
