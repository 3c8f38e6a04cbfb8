#pragma once
// What a route's request leaves in the store: one row per member attempt (route_attempts),
// and the request's cost, which is every attempt's (the winner's and each loser's billed
// prompt and received output).

#include <optional>
#include <string>
#include <vector>

#include "llmbench/providers/response.hpp"
#include "llmbench/route/router.hpp"
#include "llmbench/store/records.hpp"

namespace llmbench::route {

// What one member attempt came to, kept until its request finishes.
struct MemberResult {
  providers::Response response;
  bool streamed = true;
  bool replayed = false;
  std::optional<double> cost_usd;  // billed: the prompt always, the output received
  std::int64_t cancel_ns = -1;     // when the route cancelled it
  double est_input_tokens = 0;     // the prompt's estimate, billed when no usage came
};

struct RequestRecords {
  std::vector<store::RouteAttemptRow> attempts;
  std::optional<double> cost_usd;  // every attempt's; nothing when no price is known
  bool replayed = true;            // every attempt was answered from the response cache
};

// The answer's part of a request row, the runner's and the proxy's alike: times (plus
// `offset_ns`, from the engine's clock to the row's), status, tokens, finish reason, and with
// `server_timings` the server's own timings and the clock check (not for a replay, whose
// server did no work, nor for a route's row, whose send is the route's, not the member's).
// The caller fills in where the row belongs (run, seq, target, send), outcome, cost, content.
void fill_answer(store::RequestRow& row, const providers::Response& r, std::int64_t offset_ns,
                 bool server_timings);

// The rows of a finished request's attempts; `members` names the route's members in order.
RequestRecords request_records(const RouteRequest& request, const std::vector<std::string>& members,
                               const std::vector<MemberResult>& results);

}  // namespace llmbench::route
