#pragma once
// The fate of one request sent through a route over several targets: which member gets an
// attempt and when, which attempt wins, and which are cancelled. A pure state machine: the
// caller reports what happened to each attempt and the time, and carries out the actions it
// gets back. Nothing here touches a socket or a clock, so every policy is tested exactly
// (tests/unit/route/test_router.cpp).
//
// The runner (load/runner.cpp) drives one per request of a suite's [[routes]]
// (docs/routes.md).
//
// Policies (f3dx-router's two, with the better hedging of "The Tail at Scale" and gRPC):
//   sequential  one attempt at a time, members in order; a soft failure falls through to the
//               next member, a hard one ends the request at once (route/fate.hpp).
//   hedged      the primary (first member) at once; while no attempt has committed, one more
//               member every `hedge_delay` (0: all `hedge_k` at once, f3dx-router's race),
//               up to `hedge_k` attempts, each hedge paid from the budget when one is set.
//               The first attempt to commit wins and the others are cancelled; commit is the
//               first content token (streams) or the complete answer. A soft failure starts
//               the next untried member at once when nothing else is running (a fallback,
//               not charged to the budget).
// Where llmbench departs from f3dx-router on purpose: a hard failure of one attempt stops
// any further attempt, but an attempt that has already committed (is streaming the answer)
// is left to finish and win; f3dx-router aborts the whole hedged request.

#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

#include "llmbench/route/fate.hpp"

namespace llmbench::route {

enum class Policy { sequential, hedged };
enum class Commit { first_token, complete };
enum class Role { primary, hedge, fallback };
std::string_view to_string(Role role);

struct RouteOptions {
  Policy policy = Policy::sequential;
  std::size_t members = 1;
  std::size_t hedge_k = 2;  // clamped to 1..members
  Commit commit = Commit::first_token;
};

// The budget for hedges ([[routes]] max_extra_load, Finagle's maxExtraLoad): each request
// deposits `ratio` of an attempt, a hedge takes one whole attempt, and the balance is capped
// (at `ratio` x 100, at least one attempt) so a quiet spell cannot save up for a storm. The
// balance starts empty, so over any stretch of a run hedges <= ratio x requests.
class HedgeBudget {
 public:
  explicit HedgeBudget(double ratio);
  void deposit();   // one request
  bool withdraw();  // one hedge, if the balance allows
  double ratio() const { return m_ratio; }

 private:
  double m_ratio;
  double m_cap;
  double m_balance = 0;
};

// The route's own recent TTFTs, for a hedge delay written as a quantile ("p95"): the last
// `capacity` measured first tokens of the route's winning attempts.
class RecentTtft {
 public:
  explicit RecentTtft(std::size_t capacity = 1000) : m_capacity(capacity) {}
  void add(std::int64_t ttft_ns);
  // The quantile `p` (0..100) of what was seen, or nothing before `min_samples`.
  std::optional<std::int64_t> quantile(double p, std::size_t min_samples = 20) const;
  std::size_t size() const { return m_values.size(); }

 private:
  std::size_t m_capacity;
  std::deque<std::int64_t> m_values;
};

class RouteRequest {
 public:
  struct Action {
    enum class Kind { start, cancel };
    Kind kind = Kind::start;
    std::size_t attempt = 0;  // index into attempts()
  };
  struct AttemptState {
    std::size_t member = 0;
    Role role = Role::primary;
    std::int64_t start_ns = 0;  // when it was started (its delay: start_ns - the route's send)
    bool streaming = false;     // saw its first content token
    bool done = false;
    bool cancel_sent = false;
    std::optional<Outcome> outcome;  // when done
  };

  // `hedge_delay_ns`: after how long without a commit the next hedge goes (hedged only;
  // nothing: no hedge by time, only fallbacks). `budget`: nothing for no budget.
  RouteRequest(const RouteOptions& options, std::optional<std::int64_t> hedge_delay_ns,
               HedgeBudget* budget);

  std::vector<Action> begin(std::int64_t now);
  std::vector<Action> on_first_token(std::size_t attempt, std::int64_t now);
  std::vector<Action> on_done(std::size_t attempt, Outcome outcome, std::int64_t now);
  // Hedges that fall due by `now`.
  std::vector<Action> on_timer(std::int64_t now);
  // When on_timer next has something to do.
  std::optional<std::int64_t> next_timer() const;

  bool finished() const { return m_finished; }
  // Once finished: whether the request succeeded, and the attempt whose answer (or failure)
  // is the request's: the winner, else the failure to report (a committed attempt that broke
  // off, a hard failure, or the last soft one).
  bool succeeded() const { return m_finished && m_succeeded; }
  std::optional<std::size_t> result() const { return m_result; }
  // The attempt that committed first (first token, or complete answer), if any.
  std::optional<std::size_t> winner() const { return m_winner; }
  const std::vector<AttemptState>& attempts() const { return m_attempts; }
  std::int64_t send_ns() const { return m_send_ns; }
  std::size_t hedges() const;
  std::size_t fallbacks() const;

 private:
  std::size_t start(std::size_t member, Role role, std::int64_t now, std::vector<Action>& out);
  void cancel(std::size_t attempt, std::vector<Action>& out);
  void win(std::size_t attempt, std::vector<Action>& out);
  void after_failure(std::size_t attempt, Outcome outcome, std::int64_t now,
                     std::vector<Action>& out);
  void arm_hedge(std::int64_t from);
  bool running() const;  // an attempt not done
  std::size_t started() const { return m_attempts.size(); }
  bool members_left() const { return m_next_member < m_options.members; }

  RouteOptions m_options;
  std::optional<std::int64_t> m_delay;
  HedgeBudget* m_budget;
  std::vector<AttemptState> m_attempts;
  std::size_t m_next_member = 0;
  std::int64_t m_send_ns = 0;
  std::optional<std::int64_t> m_next_hedge_ns;
  bool m_stop_new = false;  // a hard failure: no new attempt
  bool m_finished = false;
  bool m_succeeded = false;
  std::optional<std::size_t> m_winner;
  std::optional<std::size_t> m_result;
};

}  // namespace llmbench::route
