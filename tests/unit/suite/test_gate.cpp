#include "llmbench/suite/gate.hpp"

#include <gtest/gtest.h>

using llmbench::suite::GateSpec;
using llmbench::suite::parse_gate;

TEST(Gate, ParsesEachForm) {
  auto g = parse_gate("ttft.p95>+10%");
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_EQ(g->metric, "ttft");
  EXPECT_EQ(g->stat, "p95");
  EXPECT_EQ(g->kind, GateSpec::Kind::relative);
  EXPECT_DOUBLE_EQ(g->limit, 0.10);
  EXPECT_FALSE(g->below);

  g = parse_gate(" e2e.p99 > 2.5s ");
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_EQ(g->kind, GateSpec::Kind::value);
  EXPECT_DOUBLE_EQ(g->limit, 2500);

  g = parse_gate("errors>+1pp");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->stat, "rate");
  EXPECT_EQ(g->kind, GateSpec::Kind::change);

  g = parse_gate("tps<-5%");
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->below);
  EXPECT_DOUBLE_EQ(g->limit, -0.05);
  EXPECT_EQ(g->stat, "p95");

  EXPECT_EQ(parse_gate("throughput<100tok/s")->stat, "value");
  g = parse_gate("errors>5%");  // the rate itself, in percent
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_EQ(g->kind, llmbench::suite::GateSpec::Kind::value);
  EXPECT_DOUBLE_EQ(g->limit, 5.0);
  EXPECT_TRUE(parse_gate("cost.mean>0.01usd").ok());
  EXPECT_TRUE(parse_gate("tps.p50<-20tok/s").ok());
  EXPECT_EQ(parse_gate("cost>+1%")->stat, "mean");
}

TEST(Gate, RefusesWhatIsNotAGate) {
  for (const char* bad : {"", "nonsense", "ttft.p97>+10%", "latency>+1%", "ttft>10%", "ttft>+x%",
                          "ttft>+10%%", "ttft>+10km", "ttft>+1.2.3ms", "ttft=+10%", "TTFT>+1%"}) {
    const auto g = parse_gate(bad);
    EXPECT_FALSE(g.ok()) << bad;
  }
  EXPECT_NE(parse_gate("ttft>10%").error().find("needs a sign"), std::string::npos);
  // A limit without a unit, or with one that does not fit the metric, is refused.
  for (const char* bad : {"ttft.p95>+10", "ttft.p95>300", "errors>+1", "throughput<100",
                          "ttft.p95>+10pp", "errors>+5ms", "tps<-5ms", "cost>1ms", "errors>1pp"}) {
    const auto g = parse_gate(bad);
    EXPECT_FALSE(g.ok()) << bad;
  }
  EXPECT_NE(parse_gate("ttft.p95>+10").error().find("the limit needs a unit"), std::string::npos);
  EXPECT_NE(parse_gate("ttft.p95>+10pp").error().find("pp is not a unit of ttft"),
            std::string::npos);
  // Long input: a bounded, located refusal (a backtracking regex overflowed the stack).
  const auto long_gate = parse_gate(std::string(100'000, 'e') + ">+1%");
  ASSERT_FALSE(long_gate.ok());
  EXPECT_NE(long_gate.error().find("at most 200 characters"), std::string::npos);
}
