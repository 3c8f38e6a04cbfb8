#include "llmbench/load/runner.hpp"

#include "llmbench/load/schedule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
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
#include "llmbench/route/records.hpp"
#include "llmbench/route/router.hpp"
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

// What a lane measures: a target on its own, or a route over several targets.
struct Unit {
  bool route = false;
  std::size_t index = 0;  // into m_targets or m_routes
};

struct RouteCtx {
  const suite::Route* route = nullptr;
  route::RouteOptions options;
  std::optional<route::HedgeBudget> budget;
  route::RecentTtft recent;  // for a hedge delay given as a quantile
};

struct RouteReq;

// One attempt of a request, with the request it belongs to.
struct Attempt : route::Attempt {
  Work work;
  std::size_t index = 0;   // its place in m_attempts, for O(1) removal
  std::size_t target = 0;  // whose attempt: an index into m_targets
  // A member attempt of a route's request: the request, and the attempt's index there.
  RouteReq* route = nullptr;
  std::size_t route_index = 0;
  // Set (on the engine's thread) when the first content token arrived; read by the loop.
  std::atomic<bool> first_token{false};
  bool first_token_told = false;
};

// A request sent through a route: its policy's state, and its member attempts.
struct RouteReq {
  Work work;
  std::size_t route = 0;  // into m_routes
  route::RouteRequest state;
  std::vector<Attempt*> live;                // by the state's attempt index; null once done
  std::vector<route::MemberResult> results;  // by the state's attempt index
  std::size_t slot = 0;                      // its place in m_route_reqs
};

struct Retry {
  std::int64_t due_ns = 0;
  Work work;
};

// A request's row: where it belongs (the work) and what its answer came to (a response),
// times counted from `t_send_ns`. The caller adds the outcome, cost and content.
store::RequestRow request_row(const std::string& run_id, const Work& a, const std::string& target,
                              const std::string& prompt_id, std::int64_t t_send_ns,
                              const providers::Response& r, bool server_timings) {
  store::RequestRow row;
  row.run_id = run_id;
  row.seq = a.seq;
  row.target = target;
  row.prompt_id = prompt_id;
  row.phase = a.lane->spec.phase;
  row.attempt = a.attempt;
  row.warmup = a.warmup;
  row.t_sched_ns = a.t_sched;
  row.t_send_ns = t_send_ns;
  route::fill_answer(row, r, 0, server_timings);
  return row;
}

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
    build_units();
  }

  const std::vector<TargetStop>& stopped() const { return m_stopped; }

  void request_stop() {
    m_stop.fetch_add(1, std::memory_order_relaxed);
    m_engine.wake();
  }

  RunOutcome run() {
    m_last_progress = m_engine.now_ns();
    m_window_start = m_last_progress;
    Stages stages = initial_stages(m_suite.load, m_units.size());
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

  // The lanes' units: every target measured on its own, in suite order, then every route.
  // (Without routes, unit i is target i, as it always was.)
  void build_units() {
    for (std::size_t i = 0; i < m_targets.size(); ++i) {
      if (m_suite.measured_alone(i)) {
        m_units.push_back({false, i});
      }
    }
    for (const auto& r : m_suite.routes) {
      RouteCtx ctx;
      ctx.route = &r;
      ctx.options.policy = r.policy == suite::RoutePolicy::hedged ? route::Policy::hedged
                                                                  : route::Policy::sequential;
      ctx.options.members = r.members_index.size();
      ctx.options.hedge_k = static_cast<std::size_t>(r.hedge_k);
      ctx.options.commit = r.commit == suite::RouteCommit::complete ? route::Commit::complete
                                                                    : route::Commit::first_token;
      if (r.max_extra_load) {
        ctx.budget.emplace(*r.max_extra_load);
      }
      m_units.push_back({true, m_routes.size()});
      m_routes.push_back(std::move(ctx));
    }
  }

  const std::string& unit_name(std::size_t unit) const {
    const Unit& u = m_units[unit];
    return u.route ? m_routes[u.index].route->name : m_targets[u.index].target->name;
  }

  // A target stopped by [load] abort_after_errors (a route is never stopped).
  bool unit_stopped(std::size_t unit) const {
    const Unit& u = m_units[unit];
    return !u.route && m_targets[u.index].stopped;
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
      m_stage_name = specs.size() == 1 ? unit_name(specs[i].target) : "all targets";
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
        busy |= !lane.backlog.empty() && !unit_stopped(lane.spec.target);
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
      for (const auto& rr : m_route_reqs) {
        if (const auto due = rr->state.next_timer()) {
          wake = std::min(wake, *due);
        }
      }
      if (!m_finished.empty() || m_route_news.load(std::memory_order_relaxed)) {
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
      advance_routes(m_engine.now_ns());
      collect();
      emit_progress(false);
    }
    return lanes;
  }

  bool lane_has_more(const Lane& lane, std::int64_t now) const {
    return lane.has_more(now, unit_stopped(lane.spec.target));
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
    if (unit_stopped(lane.spec.target)) {
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

  // Sends one request's attempt (a backlog entry or retry was counted when it was scheduled),
  // or starts a route's request.
  void start_attempt(const Work& work) {
    Lane& lane = *work.lane;
    ++lane.in_flight;
    ++m_in_flight;
    const Unit& unit = m_units[lane.spec.target];
    if (unit.route) {
      start_route(work, unit.index);
    } else {
      start_on(work, unit.index, nullptr, 0);
    }
  }

  // One attempt at target `target`; for a route, member attempt `route_index` of `rr`.
  void start_on(const Work& work, std::size_t target_index, RouteReq* rr, std::size_t route_index) {
    const TargetCtx& target = m_targets[target_index];
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
    a->target = target_index;
    a->route = rr;
    a->route_index = route_index;
    Attempt* raw = a.get();
    a->parser->set_on_done([this, raw](providers::ResponseParser&) { m_finished.push_back(raw); });
    if (rr != nullptr) {
      a->parser->set_on_first_token([this, raw] {
        raw->first_token.store(true, std::memory_order_release);
        m_route_news.store(true, std::memory_order_release);
        m_engine.wake();
      });
      rr->live[route_index] = raw;
    }
    m_attempts.push_back(std::move(a));
    route::AttemptRequest request;
    request.http = &tmpl.http;
    request.protocol = target.codec->name();
    request.model = target.target->model();
    request.mock = target.free;
    // A route's members each draw their own script for the same request.
    request.mock_index =
        rr == nullptr ? work.seq : work.seq * 64 + static_cast<std::int64_t>(target_index);
    if (rr != nullptr) {
      request.timeout = m_routes[rr->route].route->timeout;
    }
    m_driver.start(*raw, request);
  }

  // -- routes ------------------------------------------------------------------------------

  void start_route(const Work& work, std::size_t route_index) {
    RouteCtx& ctx = m_routes[route_index];
    const suite::Route& r = *ctx.route;
    std::optional<std::int64_t> delay;
    if (r.hedge_quantile) {
      delay = ctx.recent.quantile(*r.hedge_quantile);  // none until the route has 20 TTFTs
    } else if (r.hedge_delay) {
      delay = r.hedge_delay->count();
    }
    auto rr = std::unique_ptr<RouteReq>(
        new RouteReq{work,
                     route_index,
                     route::RouteRequest(ctx.options, delay, ctx.budget ? &*ctx.budget : nullptr),
                     {},
                     {},
                     m_route_reqs.size()});
    RouteReq* raw = rr.get();
    m_route_reqs.push_back(std::move(rr));
    apply(*raw, raw->state.begin(m_engine.now_ns()));
  }

  // Carries out a route request's actions: start a member, or cancel a running attempt.
  void apply(RouteReq& rr, const std::vector<route::RouteRequest::Action>& actions) {
    for (const auto& action : actions) {
      rr.live.resize(rr.state.attempts().size(), nullptr);
      rr.results.resize(rr.state.attempts().size());
      if (action.kind == route::RouteRequest::Action::Kind::start) {
        const std::size_t member = rr.state.attempts()[action.attempt].member;
        start_on(rr.work, m_routes[rr.route].route->members_index[member], &rr, action.attempt);
      } else if (Attempt* a = rr.live[action.attempt]) {
        rr.results[action.attempt].cancel_ns = m_engine.now_ns();
        m_driver.cancel(*a);
      }
    }
  }

  // First tokens of route attempts and hedges that fell due.
  void advance_routes(std::int64_t now) {
    m_route_news.store(false, std::memory_order_relaxed);
    for (std::size_t i = 0; i < m_route_reqs.size(); ++i) {
      RouteReq& rr = *m_route_reqs[i];
      for (std::size_t k = 0; k < rr.live.size(); ++k) {
        Attempt* a = rr.live[k];
        if (a != nullptr && !a->first_token_told &&
            a->first_token.load(std::memory_order_acquire)) {
          a->first_token_told = true;
          apply(rr, rr.state.on_first_token(k, now));
        }
      }
      if (const auto due = rr.state.next_timer(); due && *due <= now && !stopping()) {
        apply(rr, rr.state.on_timer(now));
      }
    }
  }

  // What a member attempt was billed: the prompt always, the output it received.
  std::optional<double> billed(const TargetCtx& target, const Template& tmpl,
                               const providers::Response& r, bool replayed) const {
    if (target.free || replayed) {
      return 0.0;
    }
    if (!target.price) {
      return std::nullopt;
    }
    pricing::Usage usage;
    usage.input_tokens = r.input_tokens.value_or(std::llround(tmpl.est_input_tokens));
    usage.cached_input_tokens = r.cached_input_tokens.value_or(0);
    usage.output_tokens = r.output_token_count();
    return pricing::cost_usd(*target.price, usage);
  }

  void finish_member(Attempt& attempt) {
    RouteReq& rr = *attempt.route;
    const std::size_t k = attempt.route_index;
    const providers::Response& r = attempt.parser->response();
    const TargetCtx& target = m_targets[attempt.target];
    const Template& tmpl = target.templates[rr.work.prompt];
    if (attempt.recorder) {
      if (auto recording = attempt.recorder->take()) {
        m_options.cache->record(target.codec->name(), tmpl.http.body, std::move(*recording));
      }
    }
    route::MemberResult& m = rr.results[k];
    m.response = r;
    m.streamed = attempt.parser->streamed();
    m.replayed = attempt.replayed();
    m.cost_usd = billed(target, tmpl, r, m.replayed);
    m.est_input_tokens = tmpl.est_input_tokens;
    rr.live[k] = nullptr;
    if (attempt.first_token.load(std::memory_order_acquire) && !attempt.first_token_told) {
      attempt.first_token_told = true;
      apply(rr, rr.state.on_first_token(k, m_engine.now_ns()));
    }
    const route::Outcome outcome = route::classify(r);
    if (stopping() && !r.ok()) {
      // Stopping: no fallback or hedge is started for it.
      for (std::size_t i = 0; i < rr.live.size(); ++i) {
        if (rr.live[i] != nullptr) {
          rr.results[i].cancel_ns = m_engine.now_ns();
          m_driver.cancel(*rr.live[i]);
        }
      }
    }
    auto actions = rr.state.on_done(k, outcome, m_engine.now_ns());
    if (stopping()) {
      std::erase_if(actions, [](const auto& a) {
        return a.kind == route::RouteRequest::Action::Kind::start;
      });
      // (A start the state counted but never made is settled as cancelled below.)
    }
    apply(rr, actions);
    if (stopping()) {
      for (std::size_t i = 0; i < rr.state.attempts().size(); ++i) {
        if (!rr.state.attempts()[i].done && (i >= rr.live.size() || rr.live[i] == nullptr)) {
          rr.results.resize(rr.state.attempts().size());
          rr.results[i].response.error = net::ErrorClass::cancelled;
          rr.results[i].response.error_message = "not started: the run is stopping";
          apply(rr, rr.state.on_done(i, route::Outcome::soft, m_engine.now_ns()));
        }
      }
    }
    // The request's row waits for its cancelled losers too: their tokens are part of it.
    const bool waiting =
        std::any_of(rr.live.begin(), rr.live.end(), [](const Attempt* x) { return x != nullptr; });
    if (rr.state.finished() && !waiting) {
      finish_route(rr);
    }
  }

  void finish_route(RouteReq& rr) {
    const Work& a = rr.work;
    Lane& lane = *a.lane;
    --lane.in_flight;
    --m_in_flight;
    RouteCtx& ctx = m_routes[rr.route];
    const suite::Route& route = *ctx.route;
    const std::size_t result = rr.state.result().value_or(0);
    const route::MemberResult& res = rr.results[result];
    const providers::Response& r = res.response;
    store::RequestRow row = request_row(m_options.run_id, a, route.name,
                                        m_suite.prompts[a.prompt].id, rr.state.send_ns(), r, false);
    if (r.t_done_ns < 0) {
      row.t_done_ns = m_engine.now_ns();
    }
    if (!rr.state.succeeded()) {
      row.error_class = std::string(
          net::to_string(r.error == net::ErrorClass::none ? net::ErrorClass::cancelled : r.error));
      row.error_message = r.error_message;
    }
    row.streamed = res.streamed;
    route::RequestRecords records = route::request_records(rr.state, route.members, rr.results);
    row.replayed = records.replayed;
    row.cost_usd = records.cost_usd;  // the winner's and every loser's billed tokens
    row.route_attempts = std::move(records.attempts);
    if (m_suite.store_content) {
      row.request_body =
          m_targets[m_routes[rr.route].route->members_index.front()].templates[a.prompt].http.body;
      row.response_text = r.text;
    }
    ++m_done;
    ++m_stage_done;
    const bool ok = rr.state.succeeded();
    if (!ok) {
      ++m_errors;
      ++m_stage_errors;
    }
    m_aggregator.record(row, r.content_times_ns);
    if (!a.warmup && ok) {
      ++lane.completed_measured;
      if (lane.first_send_ns < 0 || rr.state.send_ns() < lane.first_send_ns) {
        lane.first_send_ns = rr.state.send_ns();
      }
      lane.last_done_ns = std::max(lane.last_done_ns, *row.t_done_ns);
      if (row.t_first_token_ns) {
        const std::int64_t ttft = *row.t_first_token_ns - rr.state.send_ns();
        m_live_ttft.record(ttft);
        ctx.recent.add(ttft);
        ++m_stage_ok;
      }
    }
    m_writer.push(std::move(row));
    // Drop the request (swap with the last).
    const std::size_t at = rr.slot;
    std::swap(m_route_reqs[at], m_route_reqs.back());
    m_route_reqs[at]->slot = at;
    m_route_reqs.pop_back();
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
    if (attempt.route != nullptr) {
      finish_member(attempt);
      return;
    }
    const Work& a = attempt.work;
    Lane& lane = *a.lane;
    --lane.in_flight;
    --m_in_flight;
    const providers::Response& r = attempt.parser->response();
    const TargetCtx& target = m_targets[attempt.target];
    store::RequestRow row =
        request_row(m_options.run_id, a, target.target->name, m_suite.prompts[a.prompt].id,
                    r.t_send_ns, r, !attempt.replayed());
    if (!r.ok()) {
      row.error_class = std::string(net::to_string(r.error));
      row.error_message = r.error_message;
    }
    const Template& tmpl = target.templates[a.prompt];
    row.replayed = attempt.replayed();
    row.streamed = attempt.parser->streamed();
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
      note_outcome(attempt.target, r);
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
  std::vector<RouteCtx> m_routes;
  std::vector<Unit> m_units;  // what each lane measures (LaneSpec::target indexes this)
  std::vector<std::unique_ptr<RouteReq>> m_route_reqs;  // route requests in flight
  std::atomic<bool> m_route_news{false};                // a route attempt's first token arrived
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
