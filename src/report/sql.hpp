#pragma once
// SQL shared by the report readers (model.cpp, diff.cpp). Private to report/.

#include <string_view>

namespace llmbench::report {

// A `requests r` row is a request's final attempt when no later attempt of it exists (a
// retried request counts once, by its last try). Attempts count 1, 2, ... so the rows that
// are not final are (seq, attempt - 1) of every row with attempt > 1: a list the database
// makes once per query (from the primary key alone), not a lookup per row. The query must
// bind the run id as parameter 1.
inline constexpr std::string_view k_final_attempt =
    "(r.seq, r.attempt) NOT IN (SELECT seq, attempt - 1 FROM requests WHERE run_id = ?1 "
    "AND attempt > 1)";

}  // namespace llmbench::report
