#include "llmbench/route/records.hpp"

#include <algorithm>
#include <cmath>

namespace llmbench::route {

void fill_answer(store::RequestRow& row, const providers::Response& r, std::int64_t offset_ns,
                 bool server_timings) {
  if (r.t_first_byte_ns >= 0) {
    row.t_first_byte_ns = r.t_first_byte_ns + offset_ns;
  }
  if (r.t_first_token_ns >= 0) {
    row.t_first_token_ns = r.t_first_token_ns + offset_ns;
  }
  row.t_done_ns = r.t_done_ns + offset_ns;
  if (r.status_code != 0) {
    row.status_code = r.status_code;
  }
  row.input_tokens = r.input_tokens;
  row.cached_input_tokens = r.cached_input_tokens;
  row.output_tokens =
      r.output_tokens ? r.output_tokens : std::optional<std::int64_t>(r.content_events());
  row.reasoning_tokens = r.reasoning_tokens;
  row.token_source = std::string(providers::to_string(r.token_source()));
  row.content_events = r.content_events();
  row.finish_reason = r.finish_reason;
  if (server_timings && !r.server.empty()) {
    const providers::ServerTimings& s = r.server;
    row.server_source = s.source;
    row.server_queue_ns = s.queue_ns;
    row.server_prompt_ns = s.prompt_ns;
    row.server_prompt_tokens = s.prompt_tokens;
    row.server_cached_tokens = s.cached_tokens;
    row.server_decode_ns = s.decode_ns;
    row.server_decode_tokens = s.decode_tokens;
    row.server_processing_ns = s.processing_ns;
    row.clock_error = providers::server_clock_disagreement(r);
  }
}

RequestRecords request_records(const RouteRequest& request, const std::vector<std::string>& members,
                               const std::vector<MemberResult>& results) {
  RequestRecords out;
  const auto& states = request.attempts();
  const std::size_t result = request.result().value_or(0);
  bool any_cost = false;
  double cost = 0;
  for (std::size_t i = 0; i < states.size() && i < results.size(); ++i) {
    const RouteRequest::AttemptState& st = states[i];
    const MemberResult& m = results[i];
    const providers::Response& r = m.response;
    out.replayed = out.replayed && m.replayed;
    store::RouteAttemptRow ar;
    ar.index = static_cast<int>(i);
    ar.member = members[st.member];
    ar.role = std::string(to_string(st.role));
    ar.start_delay_ns = st.start_ns - request.send_ns();
    const bool won = request.succeeded() && i == result;
    ar.outcome = won ? "won" : m.cancel_ns >= 0 ? "cancelled" : r.ok() ? "lost" : "failed";
    if (!r.ok()) {
      ar.error_class = std::string(net::to_string(r.error));
    }
    if (r.status_code != 0) {
      ar.status_code = r.status_code;
    }
    if (r.t_done_ns >= 0) {
      ar.t_send_ns = r.t_send_ns;
      ar.t_done_ns = r.t_done_ns;
    }
    if (r.t_first_token_ns >= 0) {
      ar.t_first_token_ns = r.t_first_token_ns;
    }
    // Billed for its prompt whether or not it got as far as the usage numbers.
    ar.input_tokens = r.input_tokens.value_or(std::llround(m.est_input_tokens));
    ar.output_tokens = r.output_token_count();
    ar.cost_usd = m.cost_usd;
    if (m.cancel_ns >= 0 && r.t_done_ns >= 0) {
      ar.cancel_latency_ns = std::max<std::int64_t>(0, r.t_done_ns - m.cancel_ns);
    }
    if (m.cost_usd) {
      cost += *m.cost_usd;
      any_cost = true;
    }
    out.attempts.push_back(std::move(ar));
  }
  if (any_cost && (request.succeeded() || cost > 0)) {
    out.cost_usd = cost;
  }
  return out;
}

}  // namespace llmbench::route
