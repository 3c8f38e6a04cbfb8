#include "llmbench/suite/suite.hpp"

#include <algorithm>
#include <cstdlib>

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
  for (const auto& field : over.extra) {
    auto it = std::find_if(extra.begin(), extra.end(),
                           [&](const auto& kv) { return kv.first == field.first; });
    if (it != extra.end()) {
      it->second = field.second;
    } else {
      extra.push_back(field);
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

std::string_view to_string(CacheMode m) {
  switch (m) {
    case CacheMode::off:
      return "off";
    case CacheMode::record:
      return "record";
    case CacheMode::replay:
      return "replay";
    case CacheMode::automatic:
      return "auto";
  }
  return "?";
}

std::optional<CacheMode> cache_mode_from_string(std::string_view s) {
  for (const auto m :
       {CacheMode::off, CacheMode::record, CacheMode::replay, CacheMode::automatic}) {
    if (to_string(m) == s) {
      return m;
    }
  }
  return std::nullopt;
}

std::optional<ReplayTiming> replay_timing_from_string(std::string_view s) {
  ReplayTiming t;
  if (s == "none") {
    return t;
  }
  if (s == "recorded") {
    t.kind = ReplayTiming::Kind::recorded;
    return t;
  }
  if (s.starts_with("scale:")) {
    const std::string number(s.substr(6));
    char* end = nullptr;
    const double f = std::strtod(number.c_str(), &end);
    if (!number.empty() && end == number.c_str() + number.size() && f > 0 && f <= 1000) {
      t.kind = ReplayTiming::Kind::scaled;
      t.scale = f;
      return t;
    }
  }
  return std::nullopt;
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
  static const std::vector<std::string_view> names = {
      "rate_limited", "server_error", "unavailable",   "reset",
      "malformed",    "stall",        "no_terminator", "unauthorized"};
  return names;
}

std::string_view to_string(RoutePolicy p) {
  return p == RoutePolicy::hedged ? "hedged" : "sequential";
}

bool Suite::measured_alone(std::size_t index) const {
  bool member = false;
  for (const auto& route : routes) {
    for (const std::size_t m : route.members_index) {
      if (m == index) {
        member = true;
        if (route.measure_members) {
          return true;
        }
      }
    }
  }
  return !member;
}

}  // namespace llmbench::suite
