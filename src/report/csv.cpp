#include <fmt/format.h>

#include "llmbench/report/writers.hpp"

namespace llmbench::report {

namespace {

// RFC 4180: quote a field holding a comma, quote or line break; double inner quotes.
std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(s);
  }
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  return out + '"';
}

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

void write_requests_csv(store::Database& db, const std::string& run_id, std::ostream& out) {
  out << "seq,attempt,target,prompt_id,phase,warmup,t_sched_ns,t_send_ns,t_first_byte_ns,"
         "t_first_token_ns,t_done_ns,status_code,error_class,error_message,input_tokens,"
         "cached_input_tokens,output_tokens,reasoning_tokens,token_source,content_events,"
         "finish_reason,cost_usd,replayed\n";
  auto st = db.prepare(
      "SELECT seq, attempt, target, prompt_id, phase, warmup, t_sched_ns, t_send_ns, "
      "t_first_byte_ns, t_first_token_ns, t_done_ns, status_code, error_class, error_message, "
      "input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, token_source, "
      "content_events, finish_reason, cost_usd, replayed FROM requests WHERE run_id = ? "
      "ORDER BY seq, attempt");
  st.bind(1, run_id);
  std::string line;
  while (st.step()) {
    line.clear();
    for (int c = 0; c < 23; ++c) {
      if (c > 0) {
        line += ',';
      }
      if (st.is_null(c)) {
        continue;
      }
      if (c == 21) {
        line += number(st.real(c));
      } else if (c == 2 || c == 3 || c == 4 || c == 12 || c == 13 || c == 18 || c == 20) {
        line += csv_field(st.text(c));
      } else {
        line += std::to_string(st.int64(c));
      }
    }
    line += '\n';
    out << line;
  }
}

}  // namespace llmbench::report
