#pragma once
// Sends requests through a real Engine and waits for them: the glue every engine test needs.

#include <chrono>
#include <memory>
#include <stdexcept>
#include <vector>

#include "llmbench/net/engine.hpp"
#include "llmbench/providers/codec.hpp"

namespace llmbench::testing {

struct Exchange {
  std::unique_ptr<providers::ResponseParser> parser;
  bool done = false;
  net::Engine::RequestId id = 0;
  const providers::Response& r() const { return parser->response(); }
};

// Starts `request` on `engine` with a parser from `codec`; poll with wait_all().
inline std::unique_ptr<Exchange> start(net::Engine& engine, const providers::Codec& codec,
                                       const providers::ChatRequest& request,
                                       providers::ParserOptions options = {}) {
  auto ex = std::make_unique<Exchange>();
  options.stream = request.stream;
  options.keep_headers = true;
  options.keep_text = true;
  ex->parser = codec.parser(options);
  Exchange* raw = ex.get();
  ex->parser->set_on_done([raw](providers::ResponseParser&) { raw->done = true; });
  ex->id = engine.start(codec.build(request), *ex->parser);
  return ex;
}

inline void wait_all(net::Engine& engine, const std::vector<std::unique_ptr<Exchange>>& all,
                     std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    bool pending = false;
    for (const auto& ex : all) {
      pending |= !ex->done;
    }
    if (!pending) {
      return;
    }
    if (std::chrono::steady_clock::now() > until) {
      throw std::runtime_error("requests did not finish in time");
    }
    engine.poll(std::chrono::milliseconds(100));
  }
}

inline std::unique_ptr<Exchange> run_one(net::Engine& engine, const providers::Codec& codec,
                                         const providers::ChatRequest& request,
                                         providers::ParserOptions options = {}) {
  std::vector<std::unique_ptr<Exchange>> one;
  one.push_back(start(engine, codec, request, options));
  wait_all(engine, one);
  return std::move(one.front());
}

// A closed loop: keeps `concurrency` requests in flight until `total` have completed, the
// first `concurrency` started `ramp` apart so the loop settles into a staggered steady state.
// With `pace` > 0, request n starts no earlier than n / pace seconds in (a rate cap, for
// measuring the client's cost at a given load). `make(i)` gives the i-th request;
// `on_done(exchange, i)` sees each finished one, after which it is freed (memory stays flat
// however many requests run).
template <typename Make, typename OnDone>
void closed_loop(net::Engine& engine, const providers::Codec& codec, std::size_t concurrency,
                 std::size_t total, std::chrono::nanoseconds ramp, Make&& make, OnDone&& on_done,
                 providers::ParserOptions options = {}, double pace = 0) {
  struct Slot {
    std::unique_ptr<Exchange> ex;
    std::size_t index = 0;
  };
  std::vector<Slot> slots(concurrency);
  std::vector<std::size_t> free_slots;
  for (std::size_t i = concurrency; i > 0; --i) {
    free_slots.push_back(i - 1);
  }
  std::vector<std::size_t> finished;
  finished.reserve(concurrency);
  std::size_t started = 0;
  std::size_t completed = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (completed < total) {
    auto wait = std::chrono::nanoseconds(std::chrono::milliseconds(100));
    while (!free_slots.empty() && started < total) {
      auto due = t0 + (started < concurrency ? ramp * static_cast<std::int64_t>(started)
                                             : std::chrono::nanoseconds(0));
      if (pace > 0) {
        due = std::max(due, t0 + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                     static_cast<double>(started) * 1e9 / pace)));
      }
      const auto now = std::chrono::steady_clock::now();
      if (due > now) {
        wait = std::min<std::chrono::nanoseconds>(wait, due - now);
        break;
      }
      const std::size_t slot = free_slots.back();
      free_slots.pop_back();
      const providers::ChatRequest request = make(started);
      auto ex = std::make_unique<Exchange>();
      options.stream = request.stream;
      ex->parser = codec.parser(options);
      ex->parser->set_on_done(
          [&finished, slot](providers::ResponseParser&) { finished.push_back(slot); });
      slots[slot].index = started++;
      slots[slot].ex = std::move(ex);
      slots[slot].ex->id = engine.start(codec.build(request), *slots[slot].ex->parser);
    }
    engine.poll(wait);
    for (const std::size_t slot : finished) {
      slots[slot].ex->done = true;
      on_done(*slots[slot].ex, slots[slot].index);
      slots[slot].ex.reset();
      ++completed;
      free_slots.push_back(slot);  // a completion frees its place for the next request
    }
    finished.clear();
  }
}

}  // namespace llmbench::testing
