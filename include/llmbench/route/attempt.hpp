#pragma once
// One attempt of a request: sent through the engine, or answered from the response cache
// (docs/cache.md) and fed to its parser at the recorded pace, or refused as a cache miss.
// Whatever happens, the attempt's parser completes exactly once (its on_done runs), so the
// caller (the runner, later a proxy) sees every attempt end the same way.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmbench/net/engine.hpp"
#include "llmbench/providers/parser.hpp"
#include "llmbench/providers/recording.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::route {

// The response cache as an attempt sees it. The command wires it to cache::CacheStore
// (cache/ is a peer of this area, so only this interface is known here).
class ResponseCache {
 public:
  virtual ~ResponseCache() = default;
  // The recorded response to this request body (in `provider`'s protocol), or nothing.
  // Shared: a response asked for again and again is read and parsed once.
  virtual std::shared_ptr<const providers::Recording> lookup(std::string_view provider,
                                                             std::string_view body) = 0;
  // Keeps a complete, successful response. Must not block the loop on disk.
  virtual void record(std::string_view provider, std::string_view body,
                      providers::Recording recording) = 0;
};

struct Attempt {
  std::unique_ptr<providers::ResponseParser> parser;
  // Record mode: sits in front of the parser and keeps the stream.
  std::unique_ptr<providers::Recorder> recorder;
  // Replayed from the cache: the recording, and how far it has been fed to the parser.
  std::shared_ptr<const providers::Recording> replay;
  std::size_t next_event = 0;
  bool replay_started = false;
  std::int64_t replay_t0 = 0;
  std::int64_t replay_first_byte = -1;
  // Sent through the engine: its transfer, for a cancel.
  bool sent = false;
  net::Engine::RequestId transfer = 0;
  bool replayed() const { return replay != nullptr; }
};

// What to send for an attempt.
struct AttemptRequest {
  const net::HttpRequest* http = nullptr;
  std::string_view protocol;  // the codec's name: what the cache keys on
  std::string_view model;     // what a recording notes
  // A mock target: the mock scripts each request from (seed, index), so the request carries
  // its index and the run is reproducible.
  bool mock = false;
  std::int64_t mock_index = 0;
  // A route member's own timeout, in place of the request's.
  std::optional<net::Nanos> timeout;
};

struct CacheOptions {
  ResponseCache* cache = nullptr;
  suite::CacheMode mode = suite::CacheMode::off;
  suite::ReplayTiming replay_timing;
  bool on() const { return cache != nullptr && mode != suite::CacheMode::off; }
};

class AttemptDriver {
 public:
  AttemptDriver(net::Engine& engine, CacheOptions cache) : m_engine(engine), m_cache(cache) {}

  // Starts `a` (its parser made, its on_done set): a cache hit is replayed, a miss in replay
  // mode completes at once as a `cache_miss`, anything else is sent (and recorded in record
  // and auto modes).
  void start(Attempt& a, const AttemptRequest& request);
  // Feeds every replay what is due by `now`.
  void advance(std::int64_t now);
  // The earliest instant a replay has something due, or `wake` if that is sooner.
  std::int64_t next_due(std::int64_t wake) const;
  // Replays still running complete as cancelled (at the end of a grace period).
  void cancel_replays();
  // Cancels one attempt still running (a route's loser): a transfer through the engine (its
  // parser completes as cancelled in a later poll), a replay at once.
  void cancel(Attempt& a);
  const CacheOptions& cache() const { return m_cache; }

 private:
  std::int64_t replay_due(const Attempt& a, std::int64_t offset_us) const;
  std::int64_t next_replay_due(const Attempt& a) const;
  bool step_replay(Attempt& a, std::int64_t now);

  net::Engine& m_engine;
  CacheOptions m_cache;
  std::vector<Attempt*> m_replaying;  // replays waiting for their next recorded instant
};

}  // namespace llmbench::route
