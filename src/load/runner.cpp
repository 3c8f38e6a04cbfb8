#include "llmbench/load/runner.hpp"

#include "llmbench/load/schedule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <optional>
#include <random>

#include "llmbench/net/engine.hpp"
#include "llmbench/pricing/pricing.hpp"
#include "llmbench/providers/codec.hpp"
#include "llmbench/providers/mock.hpp"
#include "llmbench/route/attempt.hpp"
#include "llmbench/route/fate.hpp"
#include "llmbench/suite/plan.hpp"
#include "llmbench/util/error.hpp"

namespace llmbench::load {

namespace {

constexpr std::int64_t k_ms = 1'000'000;

// One (target, prompt) request, built once and copied for each send.
struct Template {
  net::HttpRequest http;
  bool stream = true;
  double est_input_tokens = 0;
  std::size_t expected_events = 256;
};

struct TargetCtx {
  const suite::Target* target = nullptr;
  const providers::Codec* codec = nullptr;
  std::optional<pricing::Price> price;
  bool free = false;
  util::Redactor redactor;          // the target's key, masked in what its server sends back
  std::vector<Template> templates;  // one per prompt, in suite order
  // [load] abort_after_errors: the hard class every request so far failed with ("" once a
  // request succeeded or failed otherwise), how many, and whether the target was stopped.
  bool settled = false;
  std::string leading_class;
  std::int64_t leading_failures = 0;
  bool stopped = false;
};

// The failures that will not go away by sending more of the same request: the server is not
// there, or refuses the key, or the URL is wrong. "" for every other outcome.
std::string hard_failure(const providers::Response& r) {
  switch (r.error) {
    case net::ErrorClass::connection:
    case net::ErrorClass::timeout_connect:
      return std::string(net::to_string(r.error));
    case net::ErrorClass::http_4xx:
      if (r.status_code == 401 || r.status_code == 403 || r.status_code == 404) {
        return fmt::format("HTTP {}", r.status_code);
      }
      return "";
    default:
      return "";
  }
}

// One request: where it belongs and which try this is (kept across retries).
struct Work {
  Lane* lane = nullptr;
  std::size_t prompt = 0;
  std::int64_t seq = 0;
  int attempt = 1;
  bool warmup = false;
  std::optional<std::int64_t> t_sched;
};

// One attempt of a request, with the request it belongs to.
struct Attempt : route::Attempt {
  Work work;
  std::size_t index = 0;  // its place in m_attempts, for O(1) removal
};

struct Retry {
  std::int64_t due_ns = 0;
  Work work;
};

}  // namespace

class Runner::Impl {
 public:
  Impl(const suite::Suite& suite, RunnerOptions options, store::BatchWriter& writer,
       Aggregator& aggregator)
      : m_suite(suite),
        m_options(std::move(options)),
        m_writer(writer),
        m_aggregator(aggregator),
        m_engine(engine_options(m_options, m_suite)),
        m_driver(m_engine, {m_options.cache, m_options.cache_mode, m_options.replay_timing}),
        m_retry_policy{m_suite.load.retry, m_suite.load.max_retries} {
    build_targets();
  }

  const std::vector<TargetStop>& stopped() const { return m_stopped; }

  void request_stop() {
    m_stop.fetch_add(1, std::memory_order_relaxed);
    m_engine.wake();
  }

  RunOutcome run() {
    m_last_progress = m_engine.now_ns();
    m_window_start = m_last_progress;
    Stages stages = initial_stages(m_suite.load, m_targets.size());
    m_total = planned_total(stages);
    const std::size_t initial = stages.size();
    const bool find_saturation =
        m_suite.load.mode == suite::LoadMode::sweep && m_suite.load.rates.empty();
    std::vector<Lane> max_lanes;
    for (std::size_t s = 0; s < stages.size() && !stopping(); ++s) {
      std::vector<Lane> lanes = run_stage(stages[s]);
      emit_progress(true);
      if (find_saturation && s < initial) {
        max_lanes.insert(max_lanes.end(), lanes.begin(), lanes.end());
        if (s + 1 == initial && !stopping()) {
          // The saturation passes are done: the steps go up to what each target reached.
          append_sweep_steps(m_suite.load, max_lanes, stages);
          if (m_total > 0 && m_suite.load.requests) {
            m_total += static_cast<std::int64_t>(max_lanes.size()) * m_suite.load.steps *
                       *m_suite.load.requests;
          }
        }
      }
    }
    return m_stop.load() > 0 ? RunOutcome::interrupted : RunOutcome::completed;
  }

 private:
  static net::EngineOptions engine_options(const RunnerOptions& o, const suite::Suite& s) {
    net::EngineOptions e;
    e.epoch = o.epoch;
    e.threads = s.load.engine_threads > 0 ? s.load.engine_threads : net::default_engine_threads();
    return e;
  }

  bool stopping() const { return m_stop.load(std::memory_order_relaxed) > 0; }

  void build_targets() {
    const auto& prices = pricing::PriceBook::builtin();
    for (const auto& target : m_suite.targets) {
      TargetCtx ctx;
      ctx.target = &target;
      ctx.codec = &providers::codec_for(target.provider);
      ctx.free = target.provider == suite::Provider::mock;
      if (target.price) {
        ctx.price = target.price;
      } else if (const auto found =
                     prices.find(suite::to_string(target.provider), target.model())) {
        ctx.price = found->price;
      }
      std::string api_key;
      if (!ctx.free && !target.api_key_env.empty()) {
        const char* value = std::getenv(target.api_key_env.c_str());
        if (value == nullptr || *value == '\0') {
          throw InputError(
              fmt::format("target \"{}\": the API key variable {} is not set "
                          "(export it, or remove api_key_env for a keyless server)",
                          target.name, target.api_key_env));
        }
        api_key = value;
      }
      ctx.redactor = util::Redactor::for_credentials(api_key, target.headers);
      if (ctx.free && m_options.mock_base_url.empty()) {
        throw InputError(
            fmt::format("target \"{}\" is a mock, but no mock server was started", target.name));
      }
      for (const auto& prompt : m_suite.prompts) {
        providers::ChatRequest req;
        req.base_url = ctx.free ? m_options.mock_base_url : target.base_url;
        req.api_key = api_key;
        req.headers = target.headers;
        if (ctx.free) {
          for (auto& h : providers::mock_script_headers(target.mock)) {
            req.headers.push_back(std::move(h));
          }
        }
        req.messages = prompt.messages;
        req.params = m_suite.effective_params(target, prompt);
        req.stream = req.params.stream.value_or(true);
        req.connect_timeout = m_suite.load.connect_timeout;
        // A non-streaming answer has no first token to wait for: only its total timeout.
        req.first_token_timeout =
            req.stream ? m_suite.load.ttft_timeout.value_or(net::Nanos(0)) : net::Nanos(0);
        req.total_timeout = m_suite.load.timeout;
        Template t;
        t.http = ctx.codec->build(req);
        t.stream = req.stream;
        t.est_input_tokens = suite::estimate_tokens(prompt.messages, req.params.system);
        t.expected_events = static_cast<std::size_t>(
            std::clamp<std::int64_t>(req.params.max_tokens.value_or(256), 1, 4096));
        ctx.templates.push_back(std::move(t));
      }
      m_targets.push_back(std::move(ctx));
    }
  }

  // -- one stage ---------------------------------------------------------------------------

  std::vector<Lane> run_stage(const std::vector<LaneSpec>& specs) {
    std::vector<Lane> lanes(specs.size());
    const std::int64_t now = m_engine.now_ns();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      Lane& lane = lanes[i];
      lane.spec = specs[i];
      lane.warmup_left = specs[i].warmup;
      lane.next_arrival_ns = now;
      lane.rng.seed(m_suite.load.seed * 1'000'003 + specs[i].target * 7919 + m_stage_counter);
      m_stage_name = specs.size() == 1 ? m_targets[specs[i].target].target->name : "all targets";
      if (!specs[i].phase.empty()) {
        m_stage_name += " " + specs[i].phase;
      }
    }
    ++m_stage_counter;
    // Progress figures start afresh with each stage.
    m_live_ttft.reset();
    m_stage_done = 0;
    m_stage_ok = 0;
    m_stage_errors = 0;
    m_window_start = now;
    m_window_done = 0;
    std::int64_t grace_deadline = -1;
    for (;;) {
      const std::int64_t t = m_engine.now_ns();
      if (!stopping()) {
        for (Lane& lane : lanes) {
          launch_due(lane, t);
        }
        launch_retries(t);
      } else {
        if (grace_deadline < 0) {
          grace_deadline = t + m_options.grace.count();
          m_retries.clear();
          for (Lane& lane : lanes) {
            lane.pending_retries = 0;
            lane.backlog.clear();
          }
        }
        if (m_stop.load() > 1 || t >= grace_deadline) {
          m_engine.cancel_all();
          m_driver.cancel_replays();
          collect();
        }
      }
      bool busy = m_in_flight > 0 || !m_retries.empty();
      for (const Lane& lane : lanes) {
        busy |= !stopping() && lane_has_more(lane, t);
        busy |= !lane.backlog.empty() && !m_targets[lane.spec.target].stopped;
      }
      if (!busy) {
        break;
      }
      std::int64_t wake = t + 100 * k_ms;
      for (const Lane& lane : lanes) {
        if (lane.spec.open && !stopping() && lane_has_more(lane, t)) {
          wake = std::min(wake, lane.next_arrival_ns);
        }
      }
      for (const Retry& r : m_retries) {
        wake = std::min(wake, r.due_ns);
      }
      wake = m_driver.next_due(wake);
      if (!m_finished.empty()) {
        wake = t;  // answered from the cache during this pass
      }
      if (grace_deadline >= 0) {
        wake = std::min(wake, grace_deadline);
      }
      if (m_options.on_progress) {
        wake = std::min(wake, m_last_progress + m_options.progress_every.count() * k_ms);
      }
      m_engine.poll(net::Nanos(std::max<std::int64_t>(0, wake - t)));
      m_driver.advance(m_engine.now_ns());
      collect();
      emit_progress(false);
    }
    return lanes;
  }

  bool lane_has_more(const Lane& lane, std::int64_t now) const {
    return lane.has_more(now, m_targets[lane.spec.target].stopped);
  }

  std::size_t next_prompt(Lane& lane) {
    return lane.next_prompt(m_suite.prompts.size(), m_suite.load.prompt_order);
  }

  void launch_due(Lane& lane, std::int64_t now) {
    if (!lane.spec.open) {
      while (lane.in_flight < lane.spec.concurrency && lane_has_more(lane, now)) {
        launch(lane, std::nullopt, now);
      }
      return;
    }
    while (lane.next_arrival_ns <= now && lane_has_more(lane, now)) {
      const std::int64_t scheduled = lane.next_arrival_ns;
      if (lane.spec.cap && lane.in_flight >= *lane.spec.cap) {
        lane.backlog.emplace_back(scheduled, lane.count_scheduled(scheduled));
      } else {
        launch(lane, scheduled, now);
      }
      lane.advance_arrival();
    }
    if (m_targets[lane.spec.target].stopped) {
      lane.backlog.clear();
    }
    while (!lane.backlog.empty() && (!lane.spec.cap || lane.in_flight < *lane.spec.cap)) {
      const auto [scheduled, warmup] = lane.backlog.front();
      lane.backlog.pop_front();
      start_attempt({&lane, next_prompt(lane), m_next_seq++, 1, warmup, scheduled});
    }
  }

  void launch(Lane& lane, std::optional<std::int64_t> t_sched, std::int64_t now) {
    const bool warmup = lane.count_scheduled(t_sched.value_or(now));
    start_attempt({&lane, next_prompt(lane), m_next_seq++, 1, warmup, t_sched});
  }

  // Sends one attempt (a backlog entry or retry was counted when it was scheduled).
  void start_attempt(const Work& work) {
    Lane& lane = *work.lane;
    const TargetCtx& target = m_targets[lane.spec.target];
    const Template& tmpl = target.templates[work.prompt];
    providers::ParserOptions options;
    options.stream = tmpl.stream;
    // A recording assembles the text.
    options.keep_text = m_suite.store_content || m_driver.cache().on();
    options.expected_events = tmpl.expected_events;
    options.redactor = &target.redactor;
    auto a = std::make_unique<Attempt>();
    a->work = work;
    a->parser = target.codec->parser(options);
    a->index = m_attempts.size();
    Attempt* raw = a.get();
    a->parser->set_on_done([this, raw](providers::ResponseParser&) { m_finished.push_back(raw); });
    ++lane.in_flight;
    ++m_in_flight;
    m_attempts.push_back(std::move(a));
    route::AttemptRequest request;
    request.http = &tmpl.http;
    request.protocol = target.codec->name();
    request.model = target.target->model();
    request.mock = target.free;
    request.mock_index = work.seq;
    m_driver.start(*raw, request);
  }

  void launch_retries(std::int64_t now) {
    for (std::size_t i = 0; i < m_retries.size();) {
      Retry& r = m_retries[i];
      if (r.due_ns > now) {
        ++i;
        continue;
      }
      --r.work.lane->pending_retries;
      start_attempt(r.work);
      m_retries.erase(m_retries.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  void collect() {
    // Rows go out in completion order; the attempt objects are freed as they are handled.
    while (!m_finished.empty()) {
      std::vector<Attempt*> batch;
      batch.swap(m_finished);
      for (Attempt* a : batch) {
        finish(*a);
        const std::size_t at = a->index;  // swap with the last, then drop it
        std::swap(m_attempts[at], m_attempts.back());
        m_attempts[at]->index = at;
        m_attempts.pop_back();
      }
    }
  }

  void finish(Attempt& attempt) {
    const Work& a = attempt.work;
    Lane& lane = *a.lane;
    --lane.in_flight;
    --m_in_flight;
    const providers::Response& r = attempt.parser->response();
    const TargetCtx& target = m_targets[lane.spec.target];
    store::RequestRow row;
    row.run_id = m_options.run_id;
    row.seq = a.seq;
    row.target = target.target->name;
    row.prompt_id = m_suite.prompts[a.prompt].id;
    row.phase = lane.spec.phase;
    row.attempt = a.attempt;
    row.warmup = a.warmup;
    row.t_sched_ns = a.t_sched;
    row.t_send_ns = r.t_send_ns;
    if (r.t_first_byte_ns >= 0) {
      row.t_first_byte_ns = r.t_first_byte_ns;
    }
    if (r.t_first_token_ns >= 0) {
      row.t_first_token_ns = r.t_first_token_ns;
    }
    row.t_done_ns = r.t_done_ns;
    if (r.status_code != 0) {
      row.status_code = r.status_code;
    }
    if (!r.ok()) {
      row.error_class = std::string(net::to_string(r.error));
      row.error_message = r.error_message;
    }
    row.input_tokens = r.input_tokens;
    row.cached_input_tokens = r.cached_input_tokens;
    row.output_tokens =
        r.output_tokens ? r.output_tokens : std::optional<std::int64_t>(r.content_events());
    row.reasoning_tokens = r.reasoning_tokens;
    row.token_source = std::string(providers::to_string(r.token_source()));
    row.content_events = r.content_events();
    row.finish_reason = r.finish_reason;
    const Template& tmpl = target.templates[a.prompt];
    row.replayed = attempt.replayed();
    row.streamed = attempt.parser->streamed();
    if (!row.replayed && !r.server.empty()) {
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
    if (attempt.recorder) {
      if (auto recording = attempt.recorder->take()) {
        m_options.cache->record(target.codec->name(), tmpl.http.body, std::move(*recording));
      }
    }
    if (target.free || row.replayed) {
      row.cost_usd = 0.0;  // a mock, or a replay: no tokens were paid for
    } else if (target.price && r.ok()) {
      pricing::Usage usage;
      usage.input_tokens = r.input_tokens.value_or(std::llround(tmpl.est_input_tokens));
      usage.cached_input_tokens = r.cached_input_tokens.value_or(0);
      usage.output_tokens = r.output_token_count();
      row.cost_usd = pricing::cost_usd(*target.price, usage);
    }
    if (m_suite.store_content) {
      row.request_body = tmpl.http.body;
      row.response_text = r.text;
    }
    ++m_done;
    ++m_stage_done;
    if (!r.ok()) {
      ++m_errors;
      ++m_stage_errors;
    }
    const auto retry =
        stopping() ? std::nullopt : route::retry_delay_ms(r, m_retry_policy, a.attempt);
    if (retry) {
      Retry next{m_engine.now_ns() + *retry * k_ms, a};
      ++next.work.attempt;
      ++lane.pending_retries;
      m_retries.push_back(next);
    } else {
      note_outcome(lane.spec.target, r);
      m_aggregator.record(row, r.content_times_ns);
      if (!a.warmup && r.ok()) {
        ++lane.completed_measured;
        if (lane.first_send_ns < 0 || r.t_send_ns < lane.first_send_ns) {
          lane.first_send_ns = r.t_send_ns;
        }
        lane.last_done_ns = std::max(lane.last_done_ns, r.t_done_ns);
        if (r.t_first_token_ns >= 0) {
          m_live_ttft.record(r.t_first_token_ns - r.t_send_ns);
          ++m_stage_ok;
        }
      }
    }
    m_writer.push(std::move(row));
  }

  // [load] abort_after_errors, judged on final attempts in completion order.
  void note_outcome(std::size_t index, const providers::Response& r) {
    TargetCtx& target = m_targets[index];
    const std::int64_t limit = m_suite.load.abort_after_errors;
    if (target.settled || target.stopped || limit <= 0 || r.error == net::ErrorClass::cancelled) {
      return;
    }
    const std::string hard = r.ok() ? "" : hard_failure(r);
    if (hard.empty() || (target.leading_failures > 0 && hard != target.leading_class)) {
      target.settled = true;
      return;
    }
    target.leading_class = hard;
    if (++target.leading_failures >= limit) {
      target.stopped = true;
      m_stopped.push_back(TargetStop{target.target->name, hard, target.leading_failures});
    }
  }

  void emit_progress(bool final_call) {
    if (!m_options.on_progress) {
      return;
    }
    const std::int64_t now = m_engine.now_ns();
    if (!final_call && now - m_last_progress < m_options.progress_every.count() * k_ms) {
      return;
    }
    Progress p;
    p.done = m_done;
    p.total = m_total;
    p.errors = m_errors;
    p.in_flight = m_in_flight;
    p.stage = m_stage_name;
    p.stage_done = m_stage_done;
    p.stage_ok = m_stage_ok;
    p.stage_errors = m_stage_errors;
    p.stage_end = final_call;
    const double window = static_cast<double>(now - m_window_start) / 1e9;
    p.stage_requests_per_s =
        window > 0 ? static_cast<double>(m_stage_done - m_window_done) / window : 0;
    p.ttft_p50_ms = static_cast<double>(m_live_ttft.value_at_percentile(50)) / 1e6;
    p.ttft_p95_ms = static_cast<double>(m_live_ttft.value_at_percentile(95)) / 1e6;
    if (m_total > 0 && p.stage_requests_per_s > 0) {
      p.eta_s = static_cast<double>(m_total - m_done) / p.stage_requests_per_s;
    }
    m_options.on_progress(p);
    m_last_progress = now;
    if (now - m_window_start > 2'000 * k_ms) {  // a sliding window of about two seconds
      m_window_start = now;
      m_window_done = m_stage_done;
    }
  }

  const suite::Suite& m_suite;
  RunnerOptions m_options;
  store::BatchWriter& m_writer;
  Aggregator& m_aggregator;
  net::Engine m_engine;
  route::AttemptDriver m_driver;
  route::RetryPolicy m_retry_policy;
  std::vector<TargetCtx> m_targets;
  std::atomic<int> m_stop{0};
  std::vector<std::unique_ptr<Attempt>> m_attempts;
  std::vector<Attempt*> m_finished;
  std::vector<Retry> m_retries;
  std::int64_t m_in_flight = 0;
  std::int64_t m_next_seq = 1;
  std::int64_t m_done = 0;
  std::int64_t m_errors = 0;
  std::int64_t m_total = 0;
  std::uint64_t m_stage_counter = 0;
  std::string m_stage_name;
  metrics::HdrHistogram m_live_ttft = metrics::HdrHistogram::for_latency_ns();
  std::int64_t m_last_progress = 0;
  std::int64_t m_window_start = 0;
  std::int64_t m_window_done = 0;
  std::int64_t m_stage_done = 0;
  std::int64_t m_stage_ok = 0;
  std::int64_t m_stage_errors = 0;
  std::vector<TargetStop> m_stopped;
};

Runner::Runner(const suite::Suite& suite, RunnerOptions options, store::BatchWriter& writer,
               Aggregator& aggregator)
    : m_impl(std::make_unique<Impl>(suite, std::move(options), writer, aggregator)) {}
Runner::~Runner() = default;
RunOutcome Runner::run() {
  return m_impl->run();
}
void Runner::request_stop() {
  m_impl->request_stop();
}
const std::vector<TargetStop>& Runner::stopped_targets() const {
  return m_impl->stopped();
}

}  // namespace llmbench::load
