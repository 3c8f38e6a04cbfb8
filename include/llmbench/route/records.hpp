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

// The rows of a finished request's attempts; `members` names the route's members in order.
RequestRecords request_records(const RouteRequest& request, const std::vector<std::string>& members,
                               const std::vector<MemberResult>& results);

}  // namespace llmbench::route
