#pragma once
// Rows of the store, one struct per table (schema in src/store/migrations.cpp).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmbench::store {

struct RunRow {
  std::string id;  // UUIDv7
  std::string suite_name;
  std::string suite_path;
  std::string suite_hash;
  std::string suite_text;
  std::string llmbench_version;
  std::string host;
  std::optional<std::string> git_commit;
  std::string tags_json = "{}";
  std::string load_json = "{}";
  std::int64_t started_at_ms = 0;
  std::optional<std::int64_t> ended_at_ms;
  std::string status = "running";  // queued|running|completed|failed|interrupted|cancelled
  // The process that runs it on `host` (pid and its start time, see util/process.hpp).
  std::optional<std::int64_t> pid;
  std::optional<std::string> process_start;
};

struct RunTargetRow {
  std::string run_id;
  std::string target;
  std::string provider;
  std::string model;
  std::string base_url;
  std::optional<std::string> region;
};

// One attempt of a route's request at one of its members (the route's request is the
// RequestRow it belongs to). Times as in RequestRow.
struct RouteAttemptRow {
  int index = 0;                    // 0 for the first attempt of the request
  std::string member;               // the target
  std::string role;                 // primary | hedge | fallback
  std::int64_t start_delay_ns = 0;  // from the route's send
  std::string outcome;              // won | failed | cancelled | lost
  std::optional<std::string> error_class;
  std::optional<std::int64_t> status_code;
  std::optional<std::int64_t> t_send_ns;
  std::optional<std::int64_t> t_first_token_ns;
  std::optional<std::int64_t> t_done_ns;
  std::optional<std::int64_t> input_tokens;   // billed: the prompt, always
  std::optional<std::int64_t> output_tokens;  // received (before a cancel)
  std::optional<double> cost_usd;
  std::optional<std::int64_t> cancel_latency_ns;  // from the cancel to the attempt's end
};

// What only a request through the proxy has (table proxy_requests). Times as in RequestRow.
struct ProxyRow {
  std::optional<std::string> session_id;          // none: an anonymous request (--allow-anonymous)
  std::string endpoint;                           // chat | responses | messages
  std::string requested_model;                    // the alias the client asked for
  std::string upstream_model;                     // what was sent upstream
  std::int64_t t_recv_ns = 0;                     // the client's request was read whole
  std::optional<std::int64_t> t_client_first_ns;  // the first token's bytes went to the client
  std::optional<std::int64_t> t_client_done_ns;   // the last byte went to the client
  bool client_disconnected = false;
  // Gaps between content events after the first: decimal nanoseconds, comma-separated (a
  // session's ITL is rebuilt from these; see store::encode_gaps).
  std::string content_gaps;
};

// One attempt of one request. Times are steady-clock nanoseconds since the run started.
struct RequestRow {
  std::string run_id;
  std::int64_t seq = 0;
  std::string target;
  std::string prompt_id;
  std::string phase;
  int attempt = 1;
  bool warmup = false;
  std::optional<std::int64_t> t_sched_ns;
  std::optional<std::int64_t> t_send_ns;
  std::optional<std::int64_t> t_first_byte_ns;
  std::optional<std::int64_t> t_first_token_ns;
  std::optional<std::int64_t> t_done_ns;
  std::optional<std::int64_t> status_code;
  std::optional<std::string> error_class;  // DESIGN.md error classes; unset on success
  std::optional<std::string> error_message;
  std::optional<std::int64_t> input_tokens;
  std::optional<std::int64_t> cached_input_tokens;
  std::optional<std::int64_t> output_tokens;
  std::optional<std::int64_t> reasoning_tokens;
  std::optional<std::string> token_source;  // usage | estimated
  std::int64_t content_events = 0;
  std::optional<std::string> finish_reason;
  std::optional<double> cost_usd;
  std::optional<std::string> request_body;   // only when the suite stores content
  std::optional<std::string> response_text;  // only when the suite stores content
  bool replayed = false;                     // answered from the response cache
  // False for an answer that came as one JSON body: it has no first-token time (so no TTFT,
  // ITL or TPOT). Rows stored before schema v7 read as streamed.
  bool streamed = true;
  // What the server reported of its own time (providers::ServerTimings), and where the
  // client's clock contradicts it (providers::server_clock_disagreement). Never set on a
  // replayed row: the server did no work for it.
  std::optional<std::string> server_source;
  std::optional<std::int64_t> server_queue_ns;
  std::optional<std::int64_t> server_prompt_ns;
  std::optional<std::int64_t> server_prompt_tokens;
  std::optional<std::int64_t> server_cached_tokens;
  std::optional<std::int64_t> server_decode_ns;
  std::optional<std::int64_t> server_decode_tokens;
  std::optional<std::int64_t> server_processing_ns;
  std::optional<std::string> clock_error;
  // A route's request: every member attempt (stored in route_attempts with this row).
  std::vector<RouteAttemptRow> route_attempts;
  // A request through the proxy (stored in proxy_requests with this row).
  std::optional<ProxyRow> proxy;
};

struct HistogramRow {
  std::string run_id;
  std::string target;
  std::string metric;
  std::string phase;
  std::string unit;     // ns | tokens | usd_micro | tokens_per_s_milli
  std::string encoded;  // HdrHistogram V2 compressed, base64 ("HISTF...")
  std::int64_t count = 0;
  double min = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p95 = 0;
  double p99 = 0;
  double max = 0;
};

}  // namespace llmbench::store
