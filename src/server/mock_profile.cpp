#include "llmbench/server/mock_profile.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <charconv>
#include <cmath>

#include "llmbench/util/duration.hpp"
#include "llmbench/util/error.hpp"

namespace llmbench::server {

std::string_view to_string(Fault f) {
  switch (f) {
    case Fault::none:
      return "none";
    case Fault::rate_limited:
      return "rate_limited";
    case Fault::server_error:
      return "server_error";
    case Fault::unavailable:
      return "unavailable";
    case Fault::reset:
      return "reset";
    case Fault::malformed:
      return "malformed";
    case Fault::stall:
      return "stall";
    case Fault::no_terminator:
      return "no_terminator";
    case Fault::unauthorized:
      return "unauthorized";
  }
  return "none";
}

const std::vector<Fault>& all_faults() {
  static const std::vector<Fault> all = {
      Fault::rate_limited, Fault::server_error, Fault::unavailable,   Fault::reset,
      Fault::malformed,    Fault::stall,        Fault::no_terminator, Fault::unauthorized};
  return all;
}

std::optional<Fault> fault_from_string(std::string_view s) {
  if (s == "none") {
    return Fault::none;
  }
  for (Fault f : all_faults()) {
    if (to_string(f) == s) {
      return f;
    }
  }
  return std::nullopt;
}

double FaultRates::total() const {
  double sum = 0;
  for (const auto& [f, p] : rates) {
    sum += p;
  }
  return sum;
}

Fault FaultRates::pick(double u) const {
  double acc = 0;
  for (const auto& [f, p] : rates) {
    acc += p;
    if (u < acc) {
      return f;
    }
  }
  return Fault::none;
}

Result<FaultRates> FaultRates::parse(std::string_view text) {
  FaultRates out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const auto eq = item.find('=');
    const auto fault = fault_from_string(item.substr(0, eq));
    double p = -1;
    if (eq != std::string_view::npos) {
      const std::string_view num = item.substr(eq + 1);
      const auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), p);
      if (ec != std::errc() || ptr != num.data() + num.size()) {
        p = -1;
      }
    }
    if (!fault || *fault == Fault::none || !(p >= 0 && p <= 1)) {  // NaN fails too
      return Result<FaultRates>::failure(
          fmt::format("\"{}\": write NAME=PROBABILITY, NAME one of rate_limited, server_error, "
                      "unavailable, reset, malformed, stall, no_terminator, unauthorized",
                      item));
    }
    out.rates.emplace_back(*fault, p);
  }
  if (out.total() > 1.0 + 1e-9) {
    return Result<FaultRates>::failure(
        fmt::format("fault probabilities add up to {}, more than 1", out.total()));
  }
  return out;
}

MockScript make_script(const MockProfile& profile, const MockOverrides& overrides,
                       std::uint64_t index, std::optional<std::int64_t> max_tokens) {
  // SplitMix64 of (seed, index): neighbouring requests get unrelated streams. A request that
  // brings its own seed is scripted by that seed alone, so a client can reproduce it.
  if (overrides.seed) {
    index = overrides.index.value_or(0);
  }
  std::uint64_t z = overrides.seed.value_or(profile.seed) + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  std::mt19937_64 rng(z ^ (z >> 31));

  MockScript s;
  const FaultRates& rates = overrides.faults ? *overrides.faults : profile.faults;
  s.fault =
      overrides.fault.value_or(rates.pick(std::uniform_real_distribution<double>(0.0, 1.0)(rng)));
  s.ttft = Nanos(std::llround(overrides.ttft.value_or(profile.ttft).sample(rng)));
  const bool from_max =
      overrides.output_tokens ? overrides.output_from_max_tokens : profile.output_from_max_tokens;
  if (from_max && max_tokens) {
    s.output_tokens = *max_tokens;
  } else {
    // Clamped before rounding: a sample past 2^63 has no integer.
    const double sampled = overrides.output_tokens.value_or(profile.output_tokens).sample(rng);
    s.output_tokens = std::max<std::int64_t>(1, std::llround(std::min(sampled, 1e15)));
  }
  if (max_tokens) {
    s.output_tokens = std::min(s.output_tokens, std::max<std::int64_t>(*max_tokens, 1));
  }
  s.tokens_per_chunk =
      std::max<std::int64_t>(1, overrides.tokens_per_chunk.value_or(profile.tokens_per_chunk));
  if (s.output_tokens > k_max_mock_output_tokens) {
    return s;  // refused by the server; not worth scripting
  }
  const Distribution& itl = overrides.itl.value_or(profile.itl);
  const std::int64_t events = s.events();
  s.gaps.reserve(static_cast<std::size_t>(std::max<std::int64_t>(0, events - 1)));
  for (std::int64_t i = 1; i < events; ++i) {
    s.gaps.emplace_back(std::llround(itl.sample(rng)));
  }
  return s;
}

MockProfile MockProfile::load(const std::string& path) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    throw InputError(fmt::format("{}:{}:{}: {}", path, at.line, at.column, e.description()));
  }
  MockProfile p;
  const toml::table* mock = doc["mock"].as_table();
  if (mock == nullptr) {
    throw InputError(
        fmt::format("{}: a mock profile needs a [mock] table (see docs/mock.md)", path));
  }
  const auto where = [&](const toml::node& n) {
    return fmt::format("{}:{}:{}", path, n.source().begin.line, n.source().begin.column);
  };
  const auto spec = [&](const toml::node& n, std::string_view key, bool duration) {
    std::string text;
    if (auto s = n.value<std::string>()) {
      text = *s;
    } else if (auto i = n.value<std::int64_t>(); i && !duration) {
      text = std::to_string(*i);
    } else {
      throw InputError(fmt::format("{}: `{}` must be a string such as {}", where(n), key,
                                   duration ? "\"50ms\"" : "\"64\""));
    }
    auto d = Distribution::parse(text, duration);
    if (!d) {
      throw InputError(fmt::format("{}: `{}`: {}", where(n), key, d.error()));
    }
    return *d;
  };
  for (const auto& [key, node] : *mock) {
    const std::string_view k = key.str();
    if (k == "ttft") {
      p.ttft = spec(node, k, true);
    } else if (k == "itl") {
      p.itl = spec(node, k, true);
    } else if (k == "output_tokens") {
      if (node.value<std::string>() == std::optional<std::string>("max_tokens")) {
        p.output_from_max_tokens = true;
      } else {
        p.output_tokens = spec(node, k, false);
      }
    } else if (k == "tokens_per_chunk") {
      const auto v = node.value<std::int64_t>();
      if (!v || *v < 1) {
        throw InputError(
            fmt::format("{}: `tokens_per_chunk` must be an integer >= 1", where(node)));
      }
      p.tokens_per_chunk = *v;
    } else if (k == "seed") {
      const auto v = node.value<std::int64_t>();
      if (!v || *v < 0) {
        throw InputError(fmt::format("{}: `seed` must be a non-negative integer", where(node)));
      }
      p.seed = static_cast<std::uint64_t>(*v);
    } else if (k == "model") {
      const auto v = node.value<std::string>();
      if (!v) {
        throw InputError(fmt::format("{}: `model` must be a string", where(node)));
      }
      p.model = *v;
    } else if (k == "retry_after") {
      const auto v = node.value<std::string>();
      auto d = v ? util::parse_duration(*v) : Result<Nanos>::failure("not a string");
      if (!d) {
        throw InputError(
            fmt::format("{}: `retry_after` must be a duration such as \"2s\"", where(node)));
      }
      p.retry_after = *d;
    } else if (k == "timings") {
      const auto v = node.value<std::string>();
      if (!v || (*v != "llama.cpp" && *v != "none")) {
        throw InputError(
            fmt::format("{}: `timings` must be \"llama.cpp\" or \"none\"", where(node)));
      }
      p.llamacpp_timings = *v == "llama.cpp";
    } else if (k == "faults") {
      const toml::table* faults = node.as_table();
      if (faults == nullptr) {
        throw InputError(fmt::format("{}: `faults` must be a table of probabilities", where(node)));
      }
      for (const auto& [fname, fnode] : *faults) {
        const auto fault = fault_from_string(fname.str());
        const auto prob = fnode.value<double>();
        if (!fault || *fault == Fault::none) {
          throw InputError(
              fmt::format("{}: unknown fault `{}` (one of rate_limited, "
                          "server_error, unavailable, reset, malformed, stall, "
                          "no_terminator, unauthorized)",
                          where(fnode), fname.str()));
        }
        if (!prob || !(*prob >= 0 && *prob <= 1)) {  // NaN fails too
          throw InputError(fmt::format("{}: fault `{}` needs a probability between 0 and 1",
                                       where(fnode), fname.str()));
        }
        p.faults.rates.emplace_back(*fault, *prob);
      }
      if (p.faults.total() > 1.0 + 1e-9) {
        throw InputError(fmt::format("{}: fault probabilities add up to {}, more than 1",
                                     where(node), p.faults.total()));
      }
    } else {
      throw InputError(
          fmt::format("{}:{}:{}: unknown key `{}` in [mock] (known: ttft, itl, "
                      "output_tokens, tokens_per_chunk, seed, model, "
                      "retry_after, timings, faults)",
                      path, key.source().begin.line, key.source().begin.column, k));
    }
  }
  return p;
}

}  // namespace llmbench::server
