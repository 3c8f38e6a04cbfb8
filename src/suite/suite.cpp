#include "llmbench/suite/suite.hpp"

#include <algorithm>

namespace llmbench::suite {

void RequestParams::overlay(const RequestParams& over) {
  const auto take = [](auto& mine, const auto& theirs) {
    if (theirs) {
      mine = theirs;
    }
  };
  take(model, over.model);
  take(max_tokens, over.max_tokens);
  take(temperature, over.temperature);
  take(top_p, over.top_p);
  take(stop, over.stop);
  take(system, over.system);
  take(stream, over.stream);
  for (const auto& [key, value] : over.extra) {
    auto it =
        std::find_if(extra.begin(), extra.end(), [&](const auto& kv) { return kv.first == key; });
    if (it != extra.end()) {
      it->second = value;
    } else {
      extra.emplace_back(key, value);
    }
  }
}

std::string_view to_string(Provider p) {
  switch (p) {
    case Provider::openai:
      return "openai";
    case Provider::anthropic:
      return "anthropic";
    case Provider::mock:
      return "mock";
  }
  return "?";
}

std::optional<Provider> provider_from_string(std::string_view s) {
  if (s == "openai") {
    return Provider::openai;
  }
  if (s == "anthropic") {
    return Provider::anthropic;
  }
  if (s == "mock") {
    return Provider::mock;
  }
  return std::nullopt;
}

std::string_view to_string(LoadMode m) {
  switch (m) {
    case LoadMode::concurrency:
      return "concurrency";
    case LoadMode::rate:
      return "rate";
    case LoadMode::poisson:
      return "poisson";
    case LoadMode::sweep:
      return "sweep";
  }
  return "?";
}

RequestParams Suite::effective_params(const Target& target, const Prompt& prompt) const {
  RequestParams p = defaults;
  p.overlay(prompt.params);
  p.overlay(target.params);
  return p;
}

const Target* Suite::find_target(std::string_view target_name) const {
  for (const auto& t : targets) {
    if (t.name == target_name) {
      return &t;
    }
  }
  return nullptr;
}

const std::vector<std::string_view>& mock_fault_names() {
  static const std::vector<std::string_view> names = {"rate_limited", "server_error", "unavailable",
                                                      "reset",        "malformed",    "stall",
                                                      "no_terminator"};
  return names;
}

}  // namespace llmbench::suite
