#include "llmbench/load/send_all.hpp"

#include <algorithm>
#include <memory>

namespace llmbench::load {

std::vector<providers::Response> send_all(const providers::Codec& codec,
                                          const std::vector<net::HttpRequest>& requests,
                                          std::int64_t concurrency, bool stream,
                                          const util::Redactor* redactor) {
  net::Engine engine;
  std::vector<std::unique_ptr<providers::ResponseParser>> parsers(requests.size());
  std::vector<providers::Response> out(requests.size());
  std::size_t next = 0;
  std::size_t done = 0;
  std::int64_t in_flight = 0;
  std::vector<std::size_t> finished;
  const std::int64_t limit = std::max<std::int64_t>(1, concurrency);
  while (done < requests.size()) {
    while (next < requests.size() && in_flight < limit) {
      providers::ParserOptions options;
      options.stream = stream;
      options.keep_text = true;
      options.redactor = redactor;
      parsers[next] = codec.parser(options);
      const std::size_t i = next;
      parsers[i]->set_on_done([&, i](providers::ResponseParser& p) {
        out[i] = std::move(p.response());
        finished.push_back(i);
        ++done;
        --in_flight;
      });
      ++in_flight;
      ++next;
      engine.start(requests[i], *parsers[i]);
    }
    engine.poll(std::chrono::milliseconds(100));
    // A parser is released after its callback has returned, never inside it.
    for (const std::size_t i : finished) {
      parsers[i].reset();
    }
    finished.clear();
  }
  return out;
}

}  // namespace llmbench::load
