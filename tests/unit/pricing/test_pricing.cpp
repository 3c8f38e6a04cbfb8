#include "llmbench/pricing/pricing.hpp"

#include <gtest/gtest.h>

#include "llmbench/util/error.hpp"

using namespace llmbench::pricing;

TEST(Pricing, FindsModelsByIdAndAlias) {
  const auto& book = PriceBook::builtin();
  const auto haiku = book.find("anthropic", "claude-3-5-haiku-20241022");
  ASSERT_TRUE(haiku);
  EXPECT_EQ(haiku->price.input, 0.80);
  EXPECT_EQ(haiku->price.output, 4.00);
  const auto latest = book.find("anthropic", "claude-3-5-haiku-latest");
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->id, "claude-3-5-haiku-20241022");
  const auto dated = book.find("openai", "gpt-4o-mini-2024-07-18");
  ASSERT_TRUE(dated);
  EXPECT_EQ(dated->id, "gpt-4o-mini");
  EXPECT_EQ(dated->price.cached_input, 0.075);
  EXPECT_FALSE(dated->effective_from.empty());
  EXPECT_FALSE(dated->taken.empty());
  EXPECT_NE(dated->source.find("pricing/openai.toml:"), std::string::npos);
  EXPECT_TRUE(book.find("", "claude-haiku-4-5"));  // any provider
}

TEST(Pricing, UnknownModelsAreUnknown) {
  const auto& book = PriceBook::builtin();
  EXPECT_FALSE(book.find("openai", "my-finetune"));
  EXPECT_FALSE(book.find("openai", "claude-3-5-haiku-latest"));  // wrong provider
  EXPECT_FALSE(book.find("anthropic", "gpt-4o"));
}

TEST(Pricing, CostSplitsCachedInput) {
  const Price p{2.0, 0.5, 8.0};
  // 1000 input of which 400 cached, 500 output:
  // 600 x 2 + 400 x 0.5 + 500 x 8 = 1200 + 200 + 4000 = 5400 per 1M -> $0.0054
  EXPECT_DOUBLE_EQ(cost_usd(p, {1000, 400, 500}), 0.0054);
  EXPECT_DOUBLE_EQ(cost_usd(p, {0, 0, 0}), 0.0);
}

TEST(Pricing, MalformedTablesNameTheirPlace) {
  PriceBook book;
  try {
    book.add_table("bad.toml", "provider = \"x\"\n[[models]]\nid = \"m\"\ninput = 1.0\n");
    FAIL() << "expected an error";
  } catch (const llmbench::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.toml:2:"), std::string::npos) << e.what();
  }
  EXPECT_THROW(book.add_table("syntax.toml", "provider = "), llmbench::InputError);
  book.add_table("ok.toml",
                 "provider = \"x\"\ntaken = 2026-01-01\n[[models]]\nid = \"m\"\ninput = 1.0\n"
                 "output = 2.0\neffective_from = 2025-12-01\n");
  const auto m = book.find("x", "m");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->price.cached_input, 1.0);
  EXPECT_EQ(m->taken, "2026-01-01");
  EXPECT_EQ(m->effective_from, "2025-12-01");
}

TEST(Pricing, EveryEmbeddedTableParses) {
  EXPECT_GE(embedded_tables().size(), 2U);
  EXPECT_GE(PriceBook::builtin().models().size(), 15U);
}
