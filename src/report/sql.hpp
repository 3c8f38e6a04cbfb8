#pragma once
// SQL shared by the report readers (model.cpp, diff.cpp). Private to report/.

#include <string_view>

namespace llmbench::report {

// A `requests r` row is a request's final attempt when no later attempt of it exists (a
// retried request counts once, by its last try).
inline constexpr std::string_view k_final_attempt =
    "NOT EXISTS (SELECT 1 FROM requests r2 WHERE r2.run_id = r.run_id AND r2.seq = r.seq "
    "AND r2.attempt > r.attempt)";

}  // namespace llmbench::report
