#include <fmt/format.h>

#include <charconv>
#include <iterator>

#include "llmbench/report/writers.hpp"
#include "llmbench/util/strings.hpp"

namespace llmbench::report {

namespace {

using util::append_csv_field;
using util::csv_field;

std::string number(double v) {
  return fmt::format("{}", v);
}

}  // namespace

std::string render_summary_csv(const RunReport& r) {
  std::string out = "target,phase,metric,unit,count,min,mean,p50,p90,p95,p99,max\n";
  for (const auto& t : r.targets) {
    for (const auto& m : t.metrics) {
      out +=
          fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(t.target),
                      csv_field(t.phase), m.metric, m.unit, m.count, number(m.min), number(m.mean),
                      number(m.p50), number(m.p90), number(m.p95), number(m.p99), number(m.max));
    }
  }
  return out;
}

void write_requests_csv_header(std::ostream& out) {
  out << "seq,attempt,target,prompt_id,phase,warmup,t_sched_ns,t_send_ns,t_first_byte_ns,"
         "t_first_token_ns,t_done_ns,status_code,error_class,error_message,input_tokens,"
         "cached_input_tokens,output_tokens,reasoning_tokens,token_source,content_events,"
         "finish_reason,cost_usd,replayed,streamed,server_source,server_queue_ns,"
         "server_prompt_ns,server_prompt_tokens,server_cached_tokens,server_decode_ns,"
         "server_decode_tokens,server_processing_ns,clock_error\n";
}

std::int64_t write_requests_csv(store::Database& db, const std::string& run_id, std::ostream& out,
                                std::int64_t after_rowid) {
  // By rowid, which grows with every insert: storage order, read as a range of the table
  // (NOT INDEXED: the primary key index would give seq order and a sort).
  auto st = db.prepare(
      "SELECT seq, attempt, target, prompt_id, phase, warmup, t_sched_ns, t_send_ns, "
      "t_first_byte_ns, t_first_token_ns, t_done_ns, status_code, error_class, error_message, "
      "input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, token_source, "
      "content_events, finish_reason, cost_usd, replayed, streamed, server_source, "
      "server_queue_ns, server_prompt_ns, server_prompt_tokens, server_cached_tokens, "
      "server_decode_ns, server_decode_tokens, server_processing_ns, clock_error, rowid "
      "FROM requests NOT INDEXED "
      "WHERE rowid > ?2 AND run_id = ?1 ORDER BY rowid");
  st.bind(1, run_id);
  st.bind(2, after_rowid);
  std::int64_t last = after_rowid;
  // Streamed: a row at a time, written out in blocks (memory stays flat at any run size).
  std::string block;
  block.reserve(1u << 20);
  char digits[24];
  while (st.step()) {
    constexpr int k_columns = 33;  // rowid is the 34th
    for (int c = 0; c < k_columns; ++c) {
      if (c > 0) {
        block += ',';
      }
      if (st.is_null(c)) {
        continue;
      }
      if (c == 21) {
        fmt::format_to(std::back_inserter(block), "{}", st.real(c));
      } else if (c == 2 || c == 3 || c == 4 || c == 12 || c == 13 || c == 18 || c == 20 ||
                 c == 24 || c == 32) {
        append_csv_field(block, st.text_view(c));
      } else {
        const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, st.int64(c));
        block.append(digits, end);
      }
    }
    block += '\n';
    last = st.int64(k_columns);
    if (block.size() >= (1u << 20) - 4096) {
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
      block.clear();
    }
  }
  out.write(block.data(), static_cast<std::streamsize>(block.size()));
  return last;
}

}  // namespace llmbench::report
