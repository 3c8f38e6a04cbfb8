#include "llmbench/route/router.hpp"

#include <algorithm>
#include <cmath>

namespace llmbench::route {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::primary:
      return "primary";
    case Role::hedge:
      return "hedge";
    case Role::fallback:
      return "fallback";
  }
  return "primary";
}

HedgeBudget::HedgeBudget(double ratio)
    : m_ratio(std::max(0.0, ratio)), m_cap(std::max(1.0, m_ratio * 100.0)) {}

void HedgeBudget::deposit() {
  m_balance = std::min(m_cap, m_balance + m_ratio);
}

bool HedgeBudget::withdraw() {
  // (A tolerance for the sum of many small deposits.)
  if (m_balance + 1e-9 < 1.0) {
    return false;
  }
  m_balance -= 1.0;
  return true;
}

void RecentTtft::add(std::int64_t ttft_ns) {
  m_values.push_back(ttft_ns);
  if (m_values.size() > m_capacity) {
    m_values.pop_front();
  }
}

std::optional<std::int64_t> RecentTtft::quantile(double p, std::size_t min_samples) const {
  if (m_values.size() < std::max<std::size_t>(1, min_samples)) {
    return std::nullopt;
  }
  std::vector<std::int64_t> sorted(m_values.begin(), m_values.end());
  const double rank =
      std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(sorted.size()));
  const std::size_t at =
      std::min(sorted.size() - 1, static_cast<std::size_t>(std::max(1.0, rank)) - 1);
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(at), sorted.end());
  return sorted[at];
}

RouteRequest::RouteRequest(const RouteOptions& options, std::optional<std::int64_t> hedge_delay_ns,
                           HedgeBudget* budget)
    : m_options(options), m_delay(hedge_delay_ns), m_budget(budget) {
  m_options.members = std::max<std::size_t>(1, m_options.members);
  m_options.hedge_k = std::clamp<std::size_t>(m_options.hedge_k, 1, m_options.members);
}

std::size_t RouteRequest::hedges() const {
  return static_cast<std::size_t>(std::count_if(
      m_attempts.begin(), m_attempts.end(), [](const auto& a) { return a.role == Role::hedge; }));
}

std::size_t RouteRequest::fallbacks() const {
  return static_cast<std::size_t>(
      std::count_if(m_attempts.begin(), m_attempts.end(),
                    [](const auto& a) { return a.role == Role::fallback; }));
}

bool RouteRequest::running() const {
  return std::any_of(m_attempts.begin(), m_attempts.end(), [](const auto& a) { return !a.done; });
}

std::size_t RouteRequest::start(std::size_t member, Role role, std::int64_t now,
                                std::vector<Action>& out) {
  AttemptState a;
  a.member = member;
  a.role = role;
  a.start_ns = now;
  m_attempts.push_back(a);
  out.push_back({Action::Kind::start, m_attempts.size() - 1});
  return m_attempts.size() - 1;
}

void RouteRequest::cancel(std::size_t attempt, std::vector<Action>& out) {
  AttemptState& a = m_attempts[attempt];
  if (!a.done && !a.cancel_sent) {
    a.cancel_sent = true;
    out.push_back({Action::Kind::cancel, attempt});
  }
}

void RouteRequest::win(std::size_t attempt, std::vector<Action>& out) {
  m_winner = attempt;
  m_next_hedge_ns.reset();
  for (std::size_t i = 0; i < m_attempts.size(); ++i) {
    if (i != attempt) {
      cancel(i, out);
    }
  }
}

void RouteRequest::arm_hedge(std::int64_t from) {
  if (m_options.policy == Policy::hedged && m_delay && !m_winner && !m_stop_new &&
      started() < m_options.hedge_k && members_left()) {
    m_next_hedge_ns = from + *m_delay;
  } else {
    m_next_hedge_ns.reset();
  }
}

std::vector<RouteRequest::Action> RouteRequest::begin(std::int64_t now) {
  std::vector<Action> out;
  m_send_ns = now;
  if (m_budget != nullptr) {
    m_budget->deposit();
  }
  start(m_next_member++, Role::primary, now, out);
  if (m_options.policy == Policy::hedged && m_delay && *m_delay <= 0) {
    // f3dx-router's race: the top hedge_k at once (each hedge paid from the budget, if any).
    while (started() < m_options.hedge_k && members_left()) {
      if (m_budget != nullptr && !m_budget->withdraw()) {
        break;
      }
      start(m_next_member++, Role::hedge, now, out);
    }
    return out;
  }
  arm_hedge(now);
  return out;
}

std::optional<std::int64_t> RouteRequest::next_timer() const {
  return m_finished ? std::nullopt : m_next_hedge_ns;
}

std::vector<RouteRequest::Action> RouteRequest::on_timer(std::int64_t now) {
  std::vector<Action> out;
  if (m_finished || !m_next_hedge_ns || now < *m_next_hedge_ns) {
    return out;
  }
  const std::int64_t due = *m_next_hedge_ns;
  m_next_hedge_ns.reset();
  if (m_winner || m_stop_new || started() >= m_options.hedge_k || !members_left()) {
    return out;
  }
  if (m_budget != nullptr && !m_budget->withdraw()) {
    return out;  // over budget: this request hedges no more
  }
  start(m_next_member++, Role::hedge, now, out);
  arm_hedge(due);
  return out;
}

std::vector<RouteRequest::Action> RouteRequest::on_first_token(std::size_t attempt,
                                                               std::int64_t /*now*/) {
  std::vector<Action> out;
  if (attempt >= m_attempts.size()) {
    return out;  // not an attempt of this request
  }
  AttemptState& a = m_attempts[attempt];
  if (a.done || a.cancel_sent || m_finished) {
    return out;
  }
  a.streaming = true;
  if (m_options.commit == Commit::first_token && !m_winner) {
    win(attempt, out);
  }
  return out;
}

std::vector<RouteRequest::Action> RouteRequest::on_done(std::size_t attempt, Outcome outcome,
                                                        std::int64_t now) {
  std::vector<Action> out;
  if (attempt >= m_attempts.size()) {
    return out;
  }
  AttemptState& a = m_attempts[attempt];
  if (a.done) {
    return out;
  }
  a.done = true;
  a.outcome = outcome;
  if (m_finished) {
    return out;
  }
  if (a.cancel_sent) {
    // A loser we cancelled. The request ends when its winner does (or, with nothing left,
    // as the failure already noted).
  } else if (outcome == Outcome::success) {
    if (!m_winner) {
      win(attempt, out);  // commit = complete, or an answer without any content token
    }
    if (m_winner == attempt) {
      m_finished = true;
      m_succeeded = true;
      m_result = attempt;
      return out;
    }
  } else if (m_winner == attempt) {
    // The committed answer broke off: the request fails with it (its tokens were delivered).
    m_finished = true;
    m_result = attempt;
    for (std::size_t i = 0; i < m_attempts.size(); ++i) {
      cancel(i, out);
    }
    return out;
  } else {
    after_failure(attempt, outcome, now, out);
  }
  if (!m_finished && !running() && (!m_winner || m_attempts[*m_winner].done)) {
    m_finished = true;  // nothing left to wait for
    m_succeeded = false;
    if (!m_result) {
      m_result = attempt;
    }
  }
  return out;
}

void RouteRequest::after_failure(std::size_t attempt, Outcome outcome, std::int64_t now,
                                 std::vector<Action>& out) {
  m_result = attempt;
  if (outcome == Outcome::hard) {
    // Surfaced at once and never sent on; an attempt already streaming may still finish.
    m_stop_new = true;
    m_next_hedge_ns.reset();
    for (std::size_t i = 0; i < m_attempts.size(); ++i) {
      if (!m_attempts[i].streaming) {
        cancel(i, out);
      }
    }
    return;
  }
  if (m_stop_new || m_winner) {
    return;
  }
  // Soft: the next member, now, when nothing else is still trying.
  if (!running() && members_left()) {
    start(m_next_member++, Role::fallback, now, out);
    arm_hedge(now);  // the fallback is hedged like a primary, from its own start
  }
}

}  // namespace llmbench::route
