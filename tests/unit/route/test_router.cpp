// A route request's policy, step by step: which member gets an attempt when, who wins, what
// is cancelled (route/router.hpp).

#include "llmbench/route/router.hpp"

#include <gtest/gtest.h>

using namespace llmbench::route;
using Kind = RouteRequest::Action::Kind;

namespace {

constexpr std::int64_t k_ms = 1'000'000;

RouteOptions options(Policy policy, std::size_t members, std::size_t k = 2,
                     Commit commit = Commit::first_token) {
  RouteOptions o;
  o.policy = policy;
  o.members = members;
  o.hedge_k = k;
  o.commit = commit;
  return o;
}

// "start 0, cancel 1" for a list of actions.
std::string show(const std::vector<RouteRequest::Action>& actions) {
  std::string out;
  for (const auto& a : actions) {
    out += out.empty() ? "" : ", ";
    out += (a.kind == Kind::start ? "start " : "cancel ") + std::to_string(a.attempt);
  }
  return out;
}

}  // namespace

TEST(Router, SequentialFallsThroughSoftFailuresInOrder) {
  RouteRequest r(options(Policy::sequential, 3), std::nullopt, nullptr);
  EXPECT_EQ(show(r.begin(0)), "start 0");
  EXPECT_FALSE(r.next_timer());
  EXPECT_EQ(show(r.on_done(0, Outcome::soft, 5 * k_ms)), "start 1");  // a 429, a 5xx, a reset
  EXPECT_EQ(show(r.on_done(1, Outcome::soft, 9 * k_ms)), "start 2");
  EXPECT_EQ(r.attempts()[1].role, Role::fallback);
  EXPECT_EQ(r.attempts()[2].member, 2U);
  EXPECT_EQ(r.attempts()[2].start_ns, 9 * k_ms);
  EXPECT_EQ(show(r.on_first_token(2, 12 * k_ms)), "");
  EXPECT_EQ(show(r.on_done(2, Outcome::success, 20 * k_ms)), "");
  EXPECT_TRUE(r.finished());
  EXPECT_TRUE(r.succeeded());
  EXPECT_EQ(r.result(), 2U);
  EXPECT_EQ(r.fallbacks(), 2U);
}

TEST(Router, SequentialStopsAtAHardFailureAndNeverSendsItOn) {
  RouteRequest r(options(Policy::sequential, 3), std::nullopt, nullptr);
  r.begin(0);
  EXPECT_EQ(show(r.on_done(0, Outcome::hard, k_ms)), "");  // a 401: not to the next vendor
  EXPECT_TRUE(r.finished());
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.result(), 0U);
  EXPECT_EQ(r.attempts().size(), 1U);
}

TEST(Router, EveryMemberFailingSoftlyFailsTheRequestWithTheLastFailure) {
  RouteRequest r(options(Policy::sequential, 2), std::nullopt, nullptr);
  r.begin(0);
  r.on_done(0, Outcome::soft, k_ms);
  EXPECT_EQ(show(r.on_done(1, Outcome::soft, 2 * k_ms)), "");
  EXPECT_TRUE(r.finished());
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.result(), 1U);
}

TEST(Router, HedgedWithoutDelayIsTheRaceAndTheFirstTokenWins) {
  RouteRequest r(options(Policy::hedged, 3, 2), 0, nullptr);
  EXPECT_EQ(show(r.begin(0)), "start 0, start 1");
  EXPECT_EQ(r.attempts()[1].role, Role::hedge);
  EXPECT_EQ(show(r.on_first_token(1, 7 * k_ms)), "cancel 0");
  EXPECT_EQ(r.winner(), 1U);
  EXPECT_EQ(show(r.on_done(0, Outcome::soft, 8 * k_ms)), "");  // the cancelled loser
  EXPECT_FALSE(r.finished());
  EXPECT_EQ(show(r.on_done(1, Outcome::success, 30 * k_ms)), "");
  EXPECT_TRUE(r.succeeded());
  EXPECT_EQ(r.result(), 1U);
  EXPECT_EQ(r.hedges(), 1U);
}

TEST(Router, NoHedgeIsSentWhenThePrimaryBeatsTheDelay) {
  RouteRequest r(options(Policy::hedged, 2), 50 * k_ms, nullptr);
  EXPECT_EQ(show(r.begin(0)), "start 0");
  EXPECT_EQ(r.next_timer(), 50 * k_ms);
  EXPECT_EQ(show(r.on_timer(49 * k_ms)), "");
  EXPECT_EQ(show(r.on_first_token(0, 40 * k_ms)), "");
  EXPECT_FALSE(r.next_timer());
  EXPECT_EQ(show(r.on_timer(60 * k_ms)), "");
  r.on_done(0, Outcome::success, 90 * k_ms);
  EXPECT_TRUE(r.succeeded());
  EXPECT_EQ(r.hedges(), 0U);
}

TEST(Router, ASlowPrimaryIsHedgedAfterTheDelayAndOnlyUpToK) {
  RouteRequest r(options(Policy::hedged, 3, 2), 50 * k_ms, nullptr);
  r.begin(0);
  EXPECT_EQ(show(r.on_timer(50 * k_ms)), "start 1");
  EXPECT_EQ(r.attempts()[1].start_ns, 50 * k_ms);
  EXPECT_FALSE(r.next_timer());                                 // hedge_k = 2 attempts at most
  EXPECT_EQ(show(r.on_first_token(0, 70 * k_ms)), "cancel 1");  // the primary still wins
  r.on_done(1, Outcome::soft, 71 * k_ms);
  r.on_done(0, Outcome::success, 90 * k_ms);
  EXPECT_TRUE(r.succeeded());
  EXPECT_EQ(r.result(), 0U);
}

TEST(Router, CommitOnCompletionRacesToTheLastToken) {
  RouteRequest r(options(Policy::hedged, 2, 2, Commit::complete), 0, nullptr);
  r.begin(0);
  EXPECT_EQ(show(r.on_first_token(0, 5 * k_ms)), "");  // streaming is not winning
  EXPECT_EQ(show(r.on_first_token(1, 6 * k_ms)), "");
  EXPECT_EQ(show(r.on_done(1, Outcome::success, 40 * k_ms)), "cancel 0");
  EXPECT_TRUE(r.succeeded());
  EXPECT_EQ(r.result(), 1U);
}

// llmbench's deliberate difference from f3dx-router: a hard failure of one hedge stops new
// attempts, but one that is already streaming finishes (f3dx-router aborts the request).
TEST(Router, AHardFailureLeavesAStreamingAttemptToFinish) {
  RouteRequest r(options(Policy::hedged, 3, 3, Commit::complete), 0, nullptr);
  EXPECT_EQ(show(r.begin(0)), "start 0, start 1, start 2");
  r.on_first_token(0, 5 * k_ms);
  EXPECT_EQ(show(r.on_done(1, Outcome::hard, 6 * k_ms)), "cancel 2");
  EXPECT_FALSE(r.finished());
  r.on_done(2, Outcome::soft, 7 * k_ms);  // cancelled
  EXPECT_FALSE(r.finished());
  r.on_done(0, Outcome::success, 30 * k_ms);
  EXPECT_TRUE(r.succeeded());
  EXPECT_EQ(r.result(), 0U);
  // Without a streaming attempt, the hard failure is the answer.
  RouteRequest h(options(Policy::hedged, 2, 2), 0, nullptr);
  h.begin(0);
  EXPECT_EQ(show(h.on_done(0, Outcome::hard, k_ms)), "cancel 1");
  h.on_done(1, Outcome::soft, 2 * k_ms);
  EXPECT_TRUE(h.finished());
  EXPECT_FALSE(h.succeeded());
  EXPECT_EQ(h.result(), 0U);
}

TEST(Router, ASoftFailureWithNothingElseRunningFallsBackAtOnce) {
  RouteRequest r(options(Policy::hedged, 3, 2), 50 * k_ms, nullptr);
  r.begin(0);
  EXPECT_EQ(show(r.on_done(0, Outcome::soft, 10 * k_ms)), "start 1");
  EXPECT_EQ(r.attempts()[1].role, Role::fallback);
  EXPECT_FALSE(r.next_timer());  // two attempts started: hedge_k reached
  r.on_first_token(1, 20 * k_ms);
  r.on_done(1, Outcome::success, 40 * k_ms);
  EXPECT_TRUE(r.succeeded());
}

TEST(Router, ABrokenCommittedStreamFailsTheRequest) {
  RouteRequest r(options(Policy::hedged, 2, 2), 0, nullptr);
  r.begin(0);
  EXPECT_EQ(show(r.on_first_token(0, 3 * k_ms)), "cancel 1");
  r.on_done(1, Outcome::soft, 4 * k_ms);
  r.on_done(0, Outcome::soft, 9 * k_ms);  // a reset mid-stream
  EXPECT_TRUE(r.finished());
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.result(), 0U);
}

TEST(Router, TheBudgetHoldsHedgesToTheirShareOfRequests) {
  HedgeBudget budget(0.05);
  std::size_t hedges = 0;
  for (int i = 0; i < 1000; ++i) {
    RouteRequest r(options(Policy::hedged, 2, 2), 0, &budget);
    hedges += r.begin(i * k_ms).size() - 1;
  }
  EXPECT_EQ(hedges, 50U);  // 5% of 1,000, never more
  HedgeBudget delayed(0.10);
  hedges = 0;
  for (int i = 0; i < 500; ++i) {
    RouteRequest r(options(Policy::hedged, 2, 2), 10 * k_ms, &delayed);
    r.begin(0);
    hedges += r.on_timer(10 * k_ms).size();
  }
  EXPECT_EQ(hedges, 50U);
  EXPECT_FALSE(HedgeBudget(0).withdraw());
}

TEST(Router, RecentTtftGivesItsQuantileOnceItHasEnough) {
  RecentTtft recent(100);
  for (int i = 1; i <= 19; ++i) {
    recent.add(i * k_ms);
  }
  EXPECT_FALSE(recent.quantile(95));
  recent.add(20 * k_ms);
  EXPECT_EQ(recent.quantile(95), 19 * k_ms);
  EXPECT_EQ(recent.quantile(50), 10 * k_ms);
  for (int i = 0; i < 200; ++i) {
    recent.add(k_ms);
  }
  EXPECT_EQ(recent.size(), 100U);  // only the recent ones
  EXPECT_EQ(recent.quantile(99), k_ms);
}
