// `llmbench replay SOURCE`: re-send recorded requests to a target and compare the outputs
// (and latency) with what was recorded. SOURCE is a cache file, a stored run (a run id or
// baseline name in --db, when it kept content), or a JSONL trace bundle (docs/cache.md).

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "llmbench/cache/store.hpp"
#include "llmbench/cache/traces.hpp"
#include "llmbench/load/send_all.hpp"
#include "llmbench/providers/codec.hpp"
#include "llmbench/providers/mock.hpp"
#include "llmbench/server/mock_server.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/suite/loader.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/table.hpp"

namespace llmbench::cli {

namespace {

struct ReplayFlags {
  std::string source;
  std::string suite_path;
  std::string target;
  std::string base_url;
  std::string provider;
  std::string model;
  std::string api_key_env;
  std::string diff = "text";
  std::string format = "text";
  std::string out;
  bool fail_on_diff = false;
  std::int64_t concurrency = 0;
  std::int64_t limit = 0;
};

struct RowResult {
  const cache::TraceRow* row = nullptr;
  providers::Response response;
  cache::Verdict verdict;
  std::optional<double> new_ms;
  std::optional<double> new_ttft_ms;
};

struct Summary {
  std::int64_t total = 0;
  std::int64_t passed = 0;
  std::int64_t failed = 0;  // outputs that differ
  std::int64_t errors = 0;  // requests that failed
  std::vector<double> recorded_ms, new_ms, recorded_ttft_ms, new_ttft_ms;
};

bool is_sqlite(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char header[16] = {};
  in.read(header, sizeof header);
  return in.gcount() == 16 && std::string_view(header, 15) == "SQLite format 3";
}

std::vector<cache::TraceRow> load_source(const Globals& g, const std::string& source) {
  if (std::filesystem::is_regular_file(source)) {
    if (!is_sqlite(source)) {
      return cache::read_trace_bundle(source);
    }
    store::OpenOptions raw;
    raw.run_schema = false;
    auto db = store::Database::open(source, raw);
    auto st = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?");
    st.bind(1, std::string("responses"));
    if (!st.step()) {
      throw InputError(fmt::format(
          "{} is a SQLite file but not a response cache (for a stored run, give its id or "
          "baseline name, with --db {})",
          source, source));
    }
    auto store = cache::CacheStore::open(source);
    return cache::traces_from_cache(store);
  }
  const bool looks_like_path =
      source.find('/') != std::string::npos || source.find('.') != std::string::npos;
  if (looks_like_path && !std::filesystem::exists(source)) {
    throw InputError(fmt::format(
        "{}: no such file (give a response cache, a JSONL trace bundle, or a run id or baseline "
        "name from --db)",
        source));
  }
  if (!std::filesystem::exists(g.db_path)) {
    throw InputError(
        fmt::format("{} is neither a file (cache or JSONL bundle) nor a run: no run database at {}",
                    source, g.db_path));
  }
  auto db = store::Database::open(g.db_path);
  return cache::traces_from_run(db, store::resolve_run(db, source));
}

suite::Target target_from_flags(const ReplayFlags& f, std::int64_t& concurrency) {
  if (!f.suite_path.empty()) {
    if (f.target.empty()) {
      throw InputError("--suite needs --target NAME (the target to replay against)");
    }
    const auto loaded = suite::load_suite(f.suite_path);
    for (const auto& d : loaded.diagnostics.items()) {
      std::cerr << d.to_string() << "\n";
    }
    if (!loaded.suite) {
      throw InputError(fmt::format("{} has errors; nothing was sent", f.suite_path));
    }
    const auto* t = loaded.suite->find_target(f.target);
    if (t == nullptr) {
      std::string names;
      for (const auto& other : loaded.suite->targets) {
        names += (names.empty() ? "" : ", ") + other.name;
      }
      throw InputError(fmt::format("--target {}: {} has no such target (it has: {})", f.target,
                                   f.suite_path, names));
    }
    if (concurrency <= 0) {
      concurrency = loaded.suite->load.concurrency;
    }
    return *t;
  }
  if (f.base_url.empty() || f.model.empty()) {
    throw InputError(
        "say where to replay: --suite FILE --target NAME, or --base-url URL --model NAME "
        "[--provider openai|anthropic] [--api-key-env VAR]");
  }
  suite::Target t;
  t.name = f.model;
  const auto provider = suite::provider_from_string(f.provider.empty() ? "openai" : f.provider);
  if (!provider || *provider == suite::Provider::mock) {
    throw InputError(fmt::format("--provider {}: use openai or anthropic", f.provider));
  }
  t.provider = *provider;
  t.base_url = f.base_url;
  t.api_key_env = f.api_key_env;
  t.params.model = f.model;
  return t;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

std::string ms_or_dash(std::optional<double> v) {
  return v ? fmt::format("{:.1f}", *v) : "-";
}

std::string result_word(const RowResult& r) {
  if (!r.response.ok()) {
    return "error";
  }
  return r.verdict.pass ? "pass" : "FAIL";
}

std::string note_of(const RowResult& r) {
  if (!r.response.ok()) {
    return fmt::format("{}: {}", net::to_string(r.response.error), r.response.error_message);
  }
  return r.verdict.note;
}

std::string latency_line(const char* what, const std::vector<double>& recorded,
                         const std::vector<double>& fresh) {
  if (recorded.empty() || fresh.empty()) {
    return fmt::format("{}: new p50 {:.1f} ms, p95 {:.1f} ms (nothing recorded to compare)", what,
                       percentile(fresh, 50), percentile(fresh, 95));
  }
  return fmt::format("{}: p50 {:.1f} ms recorded -> {:.1f} ms new; p95 {:.1f} -> {:.1f} ms", what,
                     percentile(recorded, 50), percentile(fresh, 50), percentile(recorded, 95),
                     percentile(fresh, 95));
}

std::string render_text(const std::vector<RowResult>& results, const Summary& s, bool markdown,
                        const std::string& header) {
  std::string out;
  if (markdown) {
    out += fmt::format(
        "# llmbench replay\n\n{}\n\n| row | result | recorded ms | new ms | note |\n"
        "| --- | --- | ---: | ---: | --- |\n",
        header);
    for (const auto& r : results) {
      std::string note = note_of(r);
      std::replace(note.begin(), note.end(), '|', '/');
      out += fmt::format("| {} | {} | {} | {} | {} |\n", r.row->id, result_word(r),
                         ms_or_dash(r.row->recorded_ms), ms_or_dash(r.new_ms), note);
    }
    out += "\n";
  } else {
    using Align = util::TextTable::Align;
    util::TextTable table({"row", "result", "recorded ms", "new ms", "note"},
                          {Align::left, Align::left, Align::right, Align::right, Align::left});
    for (const auto& r : results) {
      std::string note = note_of(r);
      if (note.size() > 100) {
        note = note.substr(0, 97) + "...";
      }
      table.add_row(
          {r.row->id, result_word(r), ms_or_dash(r.row->recorded_ms), ms_or_dash(r.new_ms), note});
    }
    out += header + "\n" + table.render();
  }
  const std::string bullet = markdown ? "- " : "";
  out += fmt::format("{}{} rows: {} passed, {} failed, {} errors\n", bullet, s.total, s.passed,
                     s.failed, s.errors);
  out += bullet + latency_line("end to end", s.recorded_ms, s.new_ms) + "\n";
  if (!s.new_ttft_ms.empty()) {
    out += bullet + latency_line("time to first token", s.recorded_ttft_ms, s.new_ttft_ms) + "\n";
  }
  return out;
}

std::string render_json(const std::vector<RowResult>& results, const Summary& s,
                        const std::string& source, const std::string& target,
                        const std::string& diff) {
  std::string out;
  util::JsonObject root(out);
  root.str("schema", "llmbench.replay/1");
  root.str("source", source);
  root.str("target", target);
  root.str("diff", diff);
  root.key("summary");
  {
    util::JsonObject o(out);
    o.integer("total", s.total);
    o.integer("passed", s.passed);
    o.integer("failed", s.failed);
    o.integer("errors", s.errors);
    const auto pair = [&](std::string_view key, const std::vector<double>& recorded,
                          const std::vector<double>& fresh) {
      o.key(key);
      util::JsonObject l(out);
      for (const auto& [name, v] : {std::pair{"recorded", &recorded}, std::pair{"new", &fresh}}) {
        if (v->empty()) {
          l.null(std::string(name) + "_p50");
          l.null(std::string(name) + "_p95");
        } else {
          l.num(std::string(name) + "_p50", percentile(*v, 50));
          l.num(std::string(name) + "_p95", percentile(*v, 95));
        }
      }
      l.close();
    };
    pair("e2e_ms", s.recorded_ms, s.new_ms);
    pair("ttft_ms", s.recorded_ttft_ms, s.new_ttft_ms);
    o.close();
  }
  root.key("rows");
  out += '[';
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (i > 0) {
      out += ',';
    }
    util::JsonObject o(out);
    o.str("id", r.row->id);
    o.str("result", result_word(r) == "FAIL" ? "fail" : result_word(r));
    o.str("note", note_of(r));
    const auto opt = [&](std::string_view key, std::optional<double> v) {
      if (v) {
        o.num(key, *v);
      } else {
        o.null(key);
      }
    };
    opt("recorded_ms", r.row->recorded_ms);
    opt("new_ms", r.new_ms);
    opt("recorded_ttft_ms", r.row->recorded_ttft_ms);
    opt("new_ttft_ms", r.new_ttft_ms);
    o.close();
  }
  out += ']';
  root.close();
  return out + "\n";
}

int replay(Globals& g, ReplayFlags f) {
  const auto mode = cache::diff_mode_from_string(f.diff);
  if (!mode) {
    throw InputError(fmt::format("--diff {}: use bytes, structured or text", f.diff));
  }
  if (f.format != "text" && f.format != "md" && f.format != "json") {
    throw InputError(fmt::format("--format {}: use text, md or json", f.format));
  }
  std::int64_t concurrency = f.concurrency;
  suite::Target target = target_from_flags(f, concurrency);
  concurrency = concurrency > 0 ? concurrency : 4;
  std::vector<cache::TraceRow> rows = load_source(g, f.source);
  if (f.limit > 0 && static_cast<std::int64_t>(rows.size()) > f.limit) {
    rows.resize(static_cast<std::size_t>(f.limit));
  }

  std::optional<server::MockServer> mock;
  std::string base_url = target.base_url;
  if (target.provider == suite::Provider::mock) {
    server::MockServerOptions options;
    options.threads = 1;
    mock.emplace(server::MockProfile{}, options);
    mock->start();
    base_url = mock->base_url();
  }
  std::string api_key;
  if (!target.api_key_env.empty() && target.provider != suite::Provider::mock) {
    const char* value = std::getenv(target.api_key_env.c_str());
    if (value == nullptr || *value == '\0') {
      throw InputError(fmt::format("the API key variable {} is not set", target.api_key_env));
    }
    api_key = value;
  }
  const providers::Codec& codec = providers::codec_for(target.provider);
  std::vector<net::HttpRequest> requests;
  requests.reserve(rows.size());
  for (const auto& row : rows) {
    providers::ChatRequest req;
    req.base_url = base_url;
    req.api_key = api_key;
    req.headers = target.headers;
    if (target.provider == suite::Provider::mock) {
      for (auto& h : providers::mock_script_headers(target.mock)) {
        req.headers.push_back(std::move(h));
      }
    }
    req.messages = row.messages;
    req.params = row.params;
    req.params.overlay(target.params);  // the target's model (and its overrides) win
    req.stream = true;
    requests.push_back(codec.build(req));
  }
  if (!g.quiet) {
    std::cerr << fmt::format("replaying {} rows from {} to {} ({}), {} at a time\n", rows.size(),
                             f.source, target.name, target.model(), concurrency);
  }
  const auto redactor = util::Redactor::for_credentials(api_key, target.headers);
  auto responses = load::send_all(codec, requests, concurrency, true, &redactor);
  if (mock) {
    mock->stop();
  }

  std::vector<RowResult> results;
  Summary s;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    RowResult r;
    r.row = &rows[i];
    r.response = std::move(responses[i]);
    ++s.total;
    if (!r.response.ok()) {
      ++s.errors;
    } else {
      r.verdict = cache::compare_outputs(*mode, rows[i].recorded_output, r.response.text);
      ++(r.verdict.pass ? s.passed : s.failed);
      r.new_ms = static_cast<double>(r.response.t_done_ns - r.response.t_send_ns) / 1e6;
      if (r.response.t_first_token_ns >= 0) {
        r.new_ttft_ms =
            static_cast<double>(r.response.t_first_token_ns - r.response.t_send_ns) / 1e6;
        s.new_ttft_ms.push_back(*r.new_ttft_ms);
      }
      s.new_ms.push_back(*r.new_ms);
      if (rows[i].recorded_ms) {
        s.recorded_ms.push_back(*rows[i].recorded_ms);
      }
      if (rows[i].recorded_ttft_ms) {
        s.recorded_ttft_ms.push_back(*rows[i].recorded_ttft_ms);
      }
    }
    results.push_back(std::move(r));
  }
  const std::string header = fmt::format("replay of {} against {} ({}), diff {}", f.source,
                                         target.name, target.model(), f.diff);
  std::string text;
  if (f.format == "json") {
    text = render_json(results, s, f.source, target.name, f.diff);
  } else {
    text = render_text(results, s, f.format == "md", header);
  }
  std::cout << text;
  if (!f.out.empty()) {
    std::ofstream out(f.out, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
      throw RunError(fmt::format("cannot write {}", f.out));
    }
  }
  if (f.fail_on_diff && (s.failed > 0 || s.errors > 0)) {
    std::cerr << fmt::format("llmbench: {} of {} rows did not match (--fail-on-diff)\n",
                             s.failed + s.errors, s.total);
    return static_cast<int>(ExitCode::gate_failed);
  }
  return 0;
}

}  // namespace

void register_replay(CLI::App& app, Globals& globals) {
  auto* cmd = app.add_subcommand(
      "replay",
      "Re-send recorded requests (cache file, stored run, or JSONL trace bundle) to a target; "
      "diff outputs and latency");
  static ReplayFlags f;
  cmd->add_option("source", f.source,
                  "A cache file, a JSONL trace bundle, or a run id / baseline name in --db")
      ->required();
  cmd->add_option("--suite", f.suite_path, "Take the target from this suite (with --target)");
  cmd->add_option("--target", f.target, "The suite target to replay against");
  cmd->add_option("--base-url", f.base_url, "Or: the endpoint, e.g. https://api.openai.com/v1");
  cmd->add_option("--provider", f.provider, "With --base-url: openai (default) or anthropic");
  cmd->add_option("--model", f.model, "With --base-url: the model to ask");
  cmd->add_option("--api-key-env", f.api_key_env, "With --base-url: the variable holding the key");
  cmd->add_option("--diff", f.diff,
                  "bytes (exact), structured (JSON, compared canonically) or text "
                  "(whitespace- and Unicode-normalized)")
      ->capture_default_str();
  cmd->add_option("--format", f.format, "text, md or json")->capture_default_str();
  cmd->add_option("--out", f.out, "Also write the result to this file");
  cmd->add_flag("--fail-on-diff", f.fail_on_diff, "Exit 1 when any row differs or fails");
  cmd->add_option("--concurrency", f.concurrency,
                  "Requests in flight (default: the suite's concurrency, else 4)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--limit", f.limit, "Replay only the first N rows")->check(CLI::PositiveNumber);
  cmd->callback([&globals] { globals.exit_code = static_cast<ExitCode>(replay(globals, f)); });
}

}  // namespace llmbench::cli
