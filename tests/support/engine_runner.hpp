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

}  // namespace llmbench::testing
