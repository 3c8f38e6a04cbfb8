#include "llmbench/store/batch_writer.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "llmbench/util/error.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::store {

namespace {
constexpr std::string_view k_insert =
    "INSERT INTO requests (run_id, seq, target, prompt_id, phase, attempt, warmup, t_sched_ns, "
    "t_send_ns, t_first_byte_ns, t_first_token_ns, t_done_ns, status_code, error_class, "
    "error_message, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, "
    "token_source, content_events, finish_reason, cost_usd, request_body, response_text, "
    "replayed, streamed, server_source, server_queue_ns, server_prompt_ns, server_prompt_tokens, "
    "server_cached_tokens, server_decode_ns, server_decode_tokens, server_processing_ns, "
    "clock_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
    "?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, "
    "?35, ?36)";
constexpr std::string_view k_insert_route_attempt =
    "INSERT INTO route_attempts (run_id, seq, attempt, idx, member, role, start_delay_ns, "
    "outcome, error_class, status_code, t_send_ns, t_first_token_ns, t_done_ns, input_tokens, "
    "output_tokens, cost_usd, cancel_latency_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
    "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
constexpr std::string_view k_clear_counts =
    "UPDATE runs SET n_requests = NULL, n_errors = NULL, n_warmup = NULL "
    "WHERE id = ?1 AND n_requests IS NOT NULL";
constexpr std::string_view k_insert_proxy =
    "INSERT INTO proxy_requests (run_id, seq, session_id, endpoint, requested_model, "
    "upstream_model, t_recv_ns, t_client_first_ns, t_client_done_ns, client_disconnected, "
    "content_gaps) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
}  // namespace

BatchWriter::BatchWriter(const std::string& db_path, BatchWriterOptions options)
    : m_path(db_path), m_options(options) {
  m_db.emplace(Database::open(db_path, options.open));
  m_thread = std::thread([this] { run(); });
}

BatchWriter::~BatchWriter() {
  try {
    close();
  } catch (...) {
    // Destructors must not throw; close() explicitly to see the error.
  }
}

void BatchWriter::push(RequestRow row) {
  {
    std::lock_guard lock(m_mutex);
    m_queue.push_back(std::move(row));
    ++m_pushed;
  }
  m_wake.notify_one();
}

void BatchWriter::flush() {
  std::unique_lock lock(m_mutex);
  const std::uint64_t target = m_pushed;
  m_wake.notify_one();
  m_done.wait(lock,
              [&] { return m_committed.load() >= target || m_error || !m_thread.joinable(); });
  lock.unlock();
  rethrow_error();
}

void BatchWriter::close() {
  if (m_thread.joinable()) {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_wake.notify_one();
    m_thread.join();
    m_db.reset();
  }
  rethrow_error();
}

void BatchWriter::rethrow_error() {
  std::lock_guard lock(m_mutex);
  if (m_error) {
    if (m_error_code == static_cast<int>(ExitCode::usage)) {
      throw InputError(*m_error);
    }
    throw RunError(*m_error);
  }
}

void BatchWriter::run() {
  Database& db = *m_db;
  std::optional<Statement> insert;
  std::optional<Statement> outbox;
  std::optional<Statement> route_insert;
  std::optional<Statement> proxy_insert;
  std::optional<Statement> clear_counts;
  std::vector<RequestRow> batch;
  try {
    insert.emplace(db.prepare(k_insert));
    route_insert.emplace(db.prepare(k_insert_route_attempt));
    proxy_insert.emplace(db.prepare(k_insert_proxy));
    clear_counts.emplace(db.prepare(k_clear_counts));
    if (m_options.outbox) {
      outbox.emplace(db.prepare(
          "INSERT INTO beacon_outbox (run_id, seq, attempt, install_id, body, created_at_ms) "
          "VALUES (?, ?, ?, ?, ?, ?)"));
    }
  } catch (const Error& e) {
    std::lock_guard lock(m_mutex);
    m_error = e.what();
    m_error_code = static_cast<int>(e.code());
    m_done.notify_all();
    return;
  }
  while (true) {
    {
      std::unique_lock lock(m_mutex);
      m_wake.wait(lock, [&] { return m_stop || !m_queue.empty(); });
      if (m_queue.empty() && m_stop) {
        break;
      }
      if (m_queue.size() <= m_options.batch_size) {
        batch.swap(m_queue);
      } else {
        const auto cut = m_queue.begin() + static_cast<std::ptrdiff_t>(m_options.batch_size);
        batch.assign(std::make_move_iterator(m_queue.begin()), std::make_move_iterator(cut));
        m_queue.erase(m_queue.begin(), cut);
      }
    }
    try {
      write_batch(db, *insert, outbox ? &*outbox : nullptr, *route_insert, *proxy_insert,
                  *clear_counts, batch);
    } catch (const Error& e) {
      std::lock_guard lock(m_mutex);
      m_error =
          fmt::format("{} ({} request rows not stored)", e.what(), batch.size() + m_queue.size());
      m_error_code = static_cast<int>(e.code());
      m_done.notify_all();
      return;
    }
    m_committed += batch.size();
    batch.clear();
    m_done.notify_all();
  }
  m_done.notify_all();
}

void BatchWriter::write_batch(Database& db, Statement& st, Statement* outbox,
                              Statement& route_insert, Statement& proxy_insert,
                              Statement& clear_counts, std::vector<RequestRow>& batch) {
  db.transaction([&] {
    std::vector<std::string_view> runs;  // of this batch (almost always one)
    for (const auto& r : batch) {
      if (std::find(runs.begin(), runs.end(), r.run_id) == runs.end()) {
        runs.push_back(r.run_id);
      }
      // The rows outlive each step, so text is bound without copying.
      st.reset();
      st.bind_static(1, r.run_id).bind(2, r.seq).bind_static(3, r.target);
      st.bind_static(4, r.prompt_id).bind_static(5, r.phase).bind(6, r.attempt);
      st.bind(7, std::int64_t{r.warmup ? 1 : 0}).bind(8, r.t_sched_ns).bind(9, r.t_send_ns);
      st.bind(10, r.t_first_byte_ns).bind(11, r.t_first_token_ns).bind(12, r.t_done_ns);
      st.bind(13, r.status_code).bind_static(14, r.error_class).bind_static(15, r.error_message);
      st.bind(16, r.input_tokens).bind(17, r.cached_input_tokens).bind(18, r.output_tokens);
      st.bind(19, r.reasoning_tokens).bind_static(20, r.token_source).bind(21, r.content_events);
      st.bind_static(22, r.finish_reason).bind(23, r.cost_usd).bind_static(24, r.request_body);
      st.bind_static(25, r.response_text).bind(26, std::int64_t{r.replayed ? 1 : 0});
      st.bind(27, std::int64_t{r.streamed ? 1 : 0}).bind_static(28, r.server_source);
      st.bind(29, r.server_queue_ns).bind(30, r.server_prompt_ns).bind(31, r.server_prompt_tokens);
      st.bind(32, r.server_cached_tokens).bind(33, r.server_decode_ns);
      st.bind(34, r.server_decode_tokens).bind(35, r.server_processing_ns);
      st.bind_static(36, r.clock_error);
      st.step();
      if (!r.route_attempts.empty()) {
        Statement& ra = route_insert;
        for (const auto& a : r.route_attempts) {
          ra.reset();
          ra.bind_static(1, r.run_id).bind(2, r.seq).bind(3, r.attempt).bind(4, a.index);
          ra.bind_static(5, a.member).bind_static(6, a.role).bind(7, a.start_delay_ns);
          ra.bind_static(8, a.outcome).bind_static(9, a.error_class).bind(10, a.status_code);
          ra.bind(11, a.t_send_ns).bind(12, a.t_first_token_ns).bind(13, a.t_done_ns);
          ra.bind(14, a.input_tokens).bind(15, a.output_tokens).bind(16, a.cost_usd);
          ra.bind(17, a.cancel_latency_ns);
          ra.step();
        }
      }
      if (r.proxy) {
        const ProxyRow& p = *r.proxy;
        Statement& pi = proxy_insert;
        pi.reset();
        pi.bind_static(1, r.run_id).bind(2, r.seq).bind_static(3, p.session_id);
        pi.bind_static(4, p.endpoint).bind_static(5, p.requested_model);
        pi.bind_static(6, p.upstream_model).bind(7, p.t_recv_ns).bind(8, p.t_client_first_ns);
        pi.bind(9, p.t_client_done_ns).bind(10, std::int64_t{p.client_disconnected ? 1 : 0});
        pi.bind_static(11, p.content_gaps);
        pi.step();
      }
      if (outbox != nullptr) {
        if (auto beacon = m_options.outbox(r)) {
          outbox->reset();
          outbox->bind_static(1, r.run_id).bind(2, r.seq).bind(3, r.attempt);
          outbox->bind(4, beacon->install_id).bind(5, beacon->body).bind(6, util::unix_ms_now());
          outbox->step();
        }
      }
    }
    // A row for a run that has ended (a proxied request that finished after its session was
    // finalized, say) makes the counts kept on the run's row stale: cleared, listings count.
    for (const auto run : runs) {
      clear_counts.reset();
      clear_counts.bind_static(1, run);
      clear_counts.step();
    }
  });
}

}  // namespace llmbench::store
