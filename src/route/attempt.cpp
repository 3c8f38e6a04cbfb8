#include "llmbench/route/attempt.hpp"

#include <algorithm>
#include <cmath>

namespace llmbench::route {

void AttemptDriver::start(Attempt& a, const AttemptRequest& request) {
  const auto mode = m_cache.mode;
  const net::HttpRequest& http = *request.http;
  if (m_cache.on() && mode != suite::CacheMode::record) {
    if (auto hit = m_cache.cache->lookup(request.protocol, http.body)) {
      a.replay = std::move(hit);
      a.replay_t0 = m_engine.now_ns();
      if (!step_replay(a, a.replay_t0)) {
        m_replaying.push_back(&a);
      }
      return;
    }
    if (mode == suite::CacheMode::replay) {
      net::TransferResult miss;
      miss.error = net::ErrorClass::cache_miss;
      miss.message =
          "no cached response for this request (record one first with "
          "--cache-mode record or auto; `llmbench cache ls` shows what is cached)";
      miss.t_send_ns = miss.t_done_ns = m_engine.now_ns();
      a.parser->on_complete(miss);
      return;
    }
  }
  if (m_cache.on()) {  // record, or auto on a miss
    a.recorder = std::make_unique<providers::Recorder>(*a.parser, std::string(request.protocol),
                                                       std::string(request.model));
  }
  a.sent = true;
  if (request.mock || request.timeout) {
    net::HttpRequest copy = http;
    if (request.mock) {
      copy.headers.emplace_back("x-mock-index", std::to_string(request.mock_index));
    }
    if (request.timeout) {
      copy.total_timeout = *request.timeout;
    }
    a.transfer = m_engine.start(std::move(copy), *a.parser);
  } else {
    a.transfer = m_engine.start(http, *a.parser);
  }
}

void AttemptDriver::cancel(Attempt& a) {
  if (a.sent) {
    m_engine.cancel(a.transfer);
    return;
  }
  const auto it = std::find(m_replaying.begin(), m_replaying.end(), &a);
  if (it == m_replaying.end()) {
    return;  // complete already
  }
  m_replaying.erase(it);
  net::TransferResult cancelled;
  cancelled.error = net::ErrorClass::cancelled;
  cancelled.message = "cancelled during replay";
  cancelled.status_code = a.replay_started ? a.replay->status : 0;
  cancelled.t_send_ns = a.replay_t0;
  cancelled.t_first_byte_ns = a.replay_first_byte;
  cancelled.t_done_ns = m_engine.now_ns();
  a.parser->on_complete(cancelled);
}

// When the recorded instant `offset_us` (from the send) falls due under the replay timing.
std::int64_t AttemptDriver::replay_due(const Attempt& a, std::int64_t offset_us) const {
  const auto& timing = m_cache.replay_timing;
  if (timing.kind == suite::ReplayTiming::Kind::none) {
    return a.replay_t0;
  }
  const double scale = timing.kind == suite::ReplayTiming::Kind::scaled ? timing.scale : 1.0;
  return a.replay_t0 +
         std::llround(static_cast<double>(std::max<std::int64_t>(0, offset_us)) * 1e3 * scale);
}

std::int64_t AttemptDriver::next_replay_due(const Attempt& a) const {
  const providers::Recording& rec = *a.replay;
  if (!a.replay_started) {
    return replay_due(
        a, rec.stream && !rec.events.empty() ? rec.events.front().offset_us : rec.duration_us);
  }
  if (a.next_event < rec.events.size()) {
    return replay_due(a, rec.events[a.next_event].offset_us);
  }
  return replay_due(a, rec.duration_us);
}

// Feeds the parser what is due by `now`; true once the replay is complete.
bool AttemptDriver::step_replay(Attempt& a, std::int64_t now) {
  const providers::Recording& rec = *a.replay;
  if (next_replay_due(a) > now) {
    return false;
  }
  if (!a.replay_started) {
    providers::replay_start(*a.parser, rec, now);
    a.replay_started = true;
    a.replay_first_byte = now;
  }
  while (a.next_event < rec.events.size() && next_replay_due(a) <= now) {
    if (!providers::replay_event(*a.parser, rec.events[a.next_event], now)) {
      a.next_event = rec.events.size();
      break;
    }
    ++a.next_event;
  }
  if (next_replay_due(a) > now) {
    return false;
  }
  if (!rec.stream) {
    providers::replay_body(*a.parser, rec, now);
  }
  providers::replay_complete(*a.parser, rec, a.replay_t0, a.replay_first_byte, now);
  return true;
}

void AttemptDriver::advance(std::int64_t now) {
  for (std::size_t i = 0; i < m_replaying.size();) {
    if (step_replay(*m_replaying[i], now)) {
      m_replaying[i] = m_replaying.back();
      m_replaying.pop_back();
    } else {
      ++i;
    }
  }
}

std::int64_t AttemptDriver::next_due(std::int64_t wake) const {
  for (const Attempt* a : m_replaying) {
    wake = std::min(wake, next_replay_due(*a));
  }
  return wake;
}

void AttemptDriver::cancel_replays() {
  for (Attempt* a : m_replaying) {
    net::TransferResult cancelled;
    cancelled.error = net::ErrorClass::cancelled;
    cancelled.message = "cancelled during replay";
    cancelled.status_code = a->replay_started ? a->replay->status : 0;
    cancelled.t_send_ns = a->replay_t0;
    cancelled.t_first_byte_ns = a->replay_first_byte;
    cancelled.t_done_ns = m_engine.now_ns();
    a->parser->on_complete(cancelled);
  }
  m_replaying.clear();
}

}  // namespace llmbench::route
