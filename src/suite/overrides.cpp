#include "llmbench/suite/overrides.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "llmbench/util/duration.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/strings.hpp"

namespace llmbench::suite {

namespace {

// Keeps the items whose name is in `wanted`, in their own order; an unknown name is an error.
template <typename T, typename Name>
std::vector<T> select(const std::vector<T>& all, const std::vector<std::string>& wanted,
                      std::string_view flag, std::string_view what, Name name_of) {
  std::vector<std::string> names;
  for (const auto& item : all) {
    names.push_back(name_of(item));
  }
  for (const auto& w : wanted) {
    if (std::find(names.begin(), names.end(), w) == names.end()) {
      const std::vector<std::string_view> views(names.begin(), names.end());
      const auto near = util::closest_match(w, views);
      throw InputError(fmt::format(
          "{} {}: the suite has no {} of that name{} (it has: {})", flag, w, what,
          near ? fmt::format("; did you mean \"{}\"?", *near) : "", util::join(names, ", ")));
    }
  }
  std::vector<T> out;
  for (const auto& item : all) {
    if (std::find(wanted.begin(), wanted.end(), name_of(item)) != wanted.end()) {
      out.push_back(item);
    }
  }
  return out;
}

}  // namespace

bool LoadOverrides::empty() const {
  return !concurrency && !rate && !requests && !duration && !warmup && targets.empty() &&
         prompts.empty();
}

std::string LoadOverrides::describe() const {
  std::vector<std::string> parts;
  if (concurrency) {
    parts.push_back(fmt::format("--concurrency {}", *concurrency));
  }
  if (rate) {
    parts.push_back(fmt::format("--rate {}", *rate));
  }
  if (requests) {
    parts.push_back(fmt::format("--requests {}", *requests));
  }
  if (duration) {
    parts.push_back(fmt::format("--duration {}", *duration));
  }
  if (warmup) {
    parts.push_back(fmt::format("--warmup {}", *warmup));
  }
  for (const auto& t : targets) {
    parts.push_back(fmt::format("--target {}", t));
  }
  for (const auto& p : prompts) {
    parts.push_back(fmt::format("--prompt {}", p));
  }
  return util::join(parts, " ");
}

std::string LoadOverrides::to_json() const {
  std::string out;
  util::JsonObject o(out);
  if (concurrency) {
    o.integer("concurrency", *concurrency);
  }
  if (rate) {
    o.num("rate", *rate);
  }
  if (requests) {
    o.integer("requests", *requests);
  }
  if (duration) {
    o.str("duration", *duration);
  }
  if (warmup) {
    o.integer("warmup", *warmup);
  }
  const auto list = [&](std::string_view key, const std::vector<std::string>& items) {
    if (items.empty()) {
      return;
    }
    o.key(key);
    out += '[';
    for (std::size_t i = 0; i < items.size(); ++i) {
      out += i > 0 ? "," : "";
      util::append_json_string(out, items[i]);
    }
    out += ']';
  };
  list("targets", targets);
  list("prompts", prompts);
  o.close();
  return out;
}

void apply_overrides(Suite& s, const LoadOverrides& o) {
  LoadProfile& load = s.load;
  if (o.concurrency && o.rate) {
    throw InputError(
        "--concurrency and --rate: choose one (a closed loop keeps N in flight; an open loop "
        "sends R per second)");
  }
  if ((o.concurrency || o.rate) && load.mode == LoadMode::sweep) {
    throw InputError(fmt::format(
        "{}: the suite's [load] is a sweep, whose steps set the rate; edit rates or steps in "
        "the suite instead",
        o.concurrency ? "--concurrency" : "--rate"));
  }
  if (o.concurrency) {
    if (*o.concurrency < 1 || *o.concurrency > 1'000'000) {
      throw InputError(fmt::format("--concurrency {}: use 1 to 1000000", *o.concurrency));
    }
    load.mode = LoadMode::concurrency;
    load.concurrency = *o.concurrency;
  }
  if (o.rate) {
    if (!(*o.rate > 0) || *o.rate > 1e7) {
      throw InputError(fmt::format("--rate {}: use a rate above 0 (requests per second)", *o.rate));
    }
    if (load.mode != LoadMode::poisson) {
      load.mode = LoadMode::rate;
    }
    load.rate = *o.rate;
  }
  if (o.requests) {
    if (*o.requests < 1) {
      throw InputError(fmt::format("--requests {}: use 1 or more (per target)", *o.requests));
    }
    load.requests = *o.requests;
    if (!o.duration) {
      load.duration.reset();  // the flag says when to stop
    }
  }
  if (o.duration) {
    const auto d = util::parse_duration(*o.duration);
    if (!d || d->count() <= 0) {
      throw InputError(
          fmt::format("--duration {}: write a duration such as 30s or 2m", *o.duration));
    }
    load.duration = *d;
    if (!o.requests) {
      load.requests.reset();
    }
  }
  if (o.warmup) {
    if (*o.warmup < 0 || *o.warmup > 1'000'000) {
      throw InputError(fmt::format("--warmup {}: use 0 to 1000000", *o.warmup));
    }
    load.warmup = *o.warmup;
  }
  if (!o.targets.empty() && s.routes.empty()) {
    s.targets =
        select(s.targets, o.targets, "--target", "target", [](const Target& t) { return t.name; });
  } else if (!o.targets.empty()) {
    // --target names targets or routes; a chosen route keeps its members.
    std::vector<std::string> names;
    for (const auto& t : s.targets) {
      names.push_back(t.name);
    }
    for (const auto& r : s.routes) {
      names.push_back(r.name);
    }
    for (const auto& w : o.targets) {
      if (std::find(names.begin(), names.end(), w) == names.end()) {
        const std::vector<std::string_view> views(names.begin(), names.end());
        const auto near = util::closest_match(w, views);
        throw InputError(fmt::format(
            "--target {}: the suite has no target or route of that name{} (it has: {})", w,
            near ? fmt::format("; did you mean \"{}\"?", *near) : "", util::join(names, ", ")));
      }
    }
    const auto wanted = [&](const std::string& name) {
      return std::find(o.targets.begin(), o.targets.end(), name) != o.targets.end();
    };
    std::vector<Route> routes;
    for (const auto& r : s.routes) {
      if (wanted(r.name)) {
        routes.push_back(r);
      }
    }
    std::vector<Target> targets;
    for (const auto& t : s.targets) {
      bool keep = wanted(t.name);
      for (const auto& r : routes) {
        keep = keep || std::find(r.members.begin(), r.members.end(), t.name) != r.members.end();
      }
      if (keep) {
        targets.push_back(t);
      }
    }
    for (auto& r : routes) {
      r.members_index.clear();
      for (const auto& m : r.members) {
        for (std::size_t i = 0; i < targets.size(); ++i) {
          if (targets[i].name == m) {
            r.members_index.push_back(i);
          }
        }
      }
    }
    s.targets = std::move(targets);
    s.routes = std::move(routes);
  }
  if (!o.prompts.empty()) {
    s.prompts =
        select(s.prompts, o.prompts, "--prompt", "prompt", [](const Prompt& p) { return p.id; });
  }
}

}  // namespace llmbench::suite
