#pragma once
// Rows for store tests.

#include <string>

#include "llmbench/store/records.hpp"
#include "llmbench/util/uuid.hpp"

namespace llmbench::testing {

inline store::RunRow make_run(const std::string& suite = "s", std::int64_t started_at_ms = 1000) {
  store::RunRow r;
  r.id = util::uuid_v7();
  r.suite_name = suite;
  r.suite_path = "suites/" + suite + ".toml";
  r.suite_hash = std::string(64, 'a');
  r.suite_text = "[suite]\nname = \"" + suite + "\"\n";
  r.llmbench_version = "test";
  r.host = "testhost";
  r.started_at_ms = started_at_ms;
  return r;
}

inline store::RequestRow make_request(const std::string& run_id, std::int64_t seq,
                                      const std::string& target = "t") {
  store::RequestRow r;
  r.run_id = run_id;
  r.seq = seq;
  r.target = target;
  r.prompt_id = "p";
  r.t_send_ns = seq * 1000;
  r.t_first_token_ns = seq * 1000 + 500;
  r.t_done_ns = seq * 1000 + 900;
  r.status_code = 200;
  r.output_tokens = 10;
  r.token_source = "usage";
  return r;
}

}  // namespace llmbench::testing
