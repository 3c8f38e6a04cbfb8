// A finished route request's attempt rows and cost (route/records.hpp).

#include "llmbench/route/records.hpp"

#include <gtest/gtest.h>

using namespace llmbench;
using namespace llmbench::route;

TEST(RouteRecords, EveryAttemptIsARowAndTheCostIsAllOfThem) {
  RouteOptions o;
  o.policy = Policy::hedged;
  o.members = 3;
  o.hedge_k = 2;
  RouteRequest r(o, 10, nullptr);
  r.begin(0);
  ASSERT_EQ(r.on_timer(10).size(), 1U);           // the hedge, 10 ns after the send
  ASSERT_EQ(r.on_first_token(1, 20).size(), 1U);  // it wins: the primary is cancelled
  std::vector<MemberResult> results(2);
  // The primary, cancelled after 3 tokens and before its usage arrived.
  results[0].response.error = net::ErrorClass::cancelled;
  results[0].response.text_events = 3;
  results[0].response.t_send_ns = 0;
  results[0].response.t_done_ns = 25;
  results[0].cancel_ns = 21;
  results[0].cost_usd = 0.002;
  results[0].est_input_tokens = 41.6;
  // The hedge, the winner, with usage.
  results[1].response.status_code = 200;
  results[1].response.input_tokens = 40;
  results[1].response.output_tokens = 8;
  results[1].response.t_first_token_ns = 20;
  results[1].response.t_done_ns = 30;
  results[1].cost_usd = 0.005;
  r.on_done(0, Outcome::soft, 25);
  r.on_done(1, Outcome::success, 30);
  ASSERT_TRUE(r.succeeded());
  const auto rec = request_records(r, {"a", "b", "c"}, results);
  ASSERT_EQ(rec.attempts.size(), 2U);
  const auto& loser = rec.attempts[0];
  EXPECT_EQ(loser.member, "a");
  EXPECT_EQ(loser.role, "primary");
  EXPECT_EQ(loser.outcome, "cancelled");
  EXPECT_EQ(loser.error_class, "cancelled");
  EXPECT_EQ(loser.input_tokens, 42);  // billed for its prompt, estimated
  EXPECT_EQ(loser.output_tokens, 3);  // what it received
  EXPECT_EQ(loser.cancel_latency_ns, 4);
  const auto& winner = rec.attempts[1];
  EXPECT_EQ(winner.member, "b");
  EXPECT_EQ(winner.role, "hedge");
  EXPECT_EQ(winner.outcome, "won");
  EXPECT_EQ(winner.start_delay_ns, 10);
  EXPECT_EQ(winner.input_tokens, 40);
  EXPECT_FALSE(winner.cancel_latency_ns);
  ASSERT_TRUE(rec.cost_usd);
  EXPECT_DOUBLE_EQ(*rec.cost_usd, 0.007);
  EXPECT_FALSE(rec.replayed);
}
