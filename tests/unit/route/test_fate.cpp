// A request's fate after an attempt: f3dx-router's failure classes, and the retry after a
// rate limit ([load] retry).

#include "llmbench/route/fate.hpp"

#include <gtest/gtest.h>

using namespace llmbench;
using llmbench::net::ErrorClass;
using llmbench::route::Outcome;

namespace {

providers::Response ended(ErrorClass error, long status) {
  providers::Response r;
  r.error = error;
  r.status_code = status;
  return r;
}

}  // namespace

TEST(Fate, FailureClassesAreThoseOfTheRouter) {
  EXPECT_EQ(route::classify(ended(ErrorClass::none, 200)), Outcome::success);
  // Soft: another target may do better.
  EXPECT_EQ(route::classify(ended(ErrorClass::http_4xx, 408)), Outcome::soft);
  EXPECT_EQ(route::classify(ended(ErrorClass::rate_limited, 429)), Outcome::soft);
  for (const long status : {500L, 502L, 503L, 529L}) {
    EXPECT_EQ(route::classify(ended(ErrorClass::http_5xx, status)), Outcome::soft) << status;
  }
  for (const auto error :
       {ErrorClass::connection, ErrorClass::timeout_connect, ErrorClass::timeout_ttft,
        ErrorClass::timeout_total, ErrorClass::protocol}) {
    EXPECT_EQ(route::classify(ended(error, 0)), Outcome::soft) << net::to_string(error);
  }
  // Hard: every other 4xx, never sent on (a 401 would hand the same key to another vendor).
  for (const long status : {400L, 401L, 403L, 404L, 422L}) {
    EXPECT_EQ(route::classify(ended(ErrorClass::http_4xx, status)), Outcome::hard) << status;
  }
  EXPECT_EQ(route::to_string(Outcome::hard), "hard");
}

TEST(Fate, ARateLimitIsRetriedAfterItsRetryAfterUpToTheLimit) {
  route::RetryPolicy policy{true, 2};
  auto limited = ended(ErrorClass::rate_limited, 429);
  EXPECT_EQ(route::retry_delay_ms(limited, policy, 1), 1000);  // no Retry-After: a second
  limited.retry_after_ms = 2500;
  EXPECT_EQ(route::retry_delay_ms(limited, policy, 2), 2500);
  EXPECT_FALSE(route::retry_delay_ms(limited, policy, 3));  // two retries were allowed
  EXPECT_FALSE(route::retry_delay_ms(ended(ErrorClass::http_5xx, 503), policy, 1));
  EXPECT_FALSE(route::retry_delay_ms(limited, route::RetryPolicy{false, 2}, 1));
}
