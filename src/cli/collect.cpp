// `llmbench collect`: the self-hostable beacon collector, and `collect report`, its
// dashboard (docs/privacy.md).

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "commands.hpp"
#include "llmbench/beacon/collector.hpp"
#include "llmbench/report/svg.hpp"
#include "llmbench/util/duration.hpp"
#include "llmbench/util/strings.hpp"
#include "llmbench/util/xml.hpp"
#include "server_flags.hpp"

namespace llmbench::cli {

namespace {

struct CollectFlags {
  std::string host = "127.0.0.1";
  int port = 8788;
  std::string db = "collector.db";
  std::string attestation = "token";
  std::int64_t rate_limit = 60;
  std::string window = "60s";
  std::string compat = "llmbench";
  int threads = 1;
  std::int64_t k = 50;
  std::string out = "dashboard";
  std::string formats = "md,csv,html";
  ServerLimitFlags limits;
};

std::string dashboard_html(const beacon::Dashboard& d) {
  const auto esc = [](std::string_view s) { return util::xml_escape(s); };
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>llmbench beacon dashboard</title><style>body{font-family:system-ui,sans-serif;"
      "max-width:72rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;"
      "margin:1rem 0}td,th{border:1px solid #bbb;padding:.25rem .5rem;text-align:right}"
      "td:first-child,th:first-child{text-align:left}</style></head><body>\n"
      "<h1>llmbench beacon dashboard</h1>\n";
  out += fmt::format(
      "<p>{} beacons in {} (model, provider, region, hour) buckets; {} buckets with fewer than {} "
      "beacons are suppressed ({} beacons withheld, k-anonymity).</p>\n",
      d.beacons, d.buckets, d.suppressed_buckets, d.k, d.suppressed_beacons);
  // p50 latency per hour, one series per model and region.
  std::map<std::string, report::svg::Series> by_model;
  std::map<std::string, double> hour_index;
  for (const auto& r : d.latency) {
    hour_index.emplace(r.hour, 0);
  }
  double i = 0;
  for (auto& [hour, x] : hour_index) {
    x = i++;
  }
  for (const auto& r : d.latency) {
    auto& s = by_model[r.model + (r.region.empty() ? "" : " " + r.region)];
    s.name = r.model + (r.region.empty() ? "" : " " + r.region);
    s.points.push_back({hour_index[r.hour], r.p50});
  }
  std::vector<report::svg::Series> series;
  for (auto& [name, s] : by_model) {
    series.push_back(std::move(s));
  }
  if (!series.empty()) {
    out +=
        report::svg::line_chart("latency", "p50 latency by hour (hours in table order)",
                                {"hour (index)", false, false}, {"p50 (ms)", false, false}, series);
  }
  out +=
      "<h2>Latency by model, region and hour (ms)</h2>\n<table><thead><tr><th>model</th>"
      "<th>region</th><th>hour (UTC)</th><th>n</th><th>p50</th><th>p95</th><th>p99</th>"
      "<th>TTFT p50</th><th>TTFT p95</th><th>TTFT p99</th></tr></thead><tbody>\n";
  for (const auto& r : d.latency) {
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0f}</td><td>{:.0f}</td>"
        "<td>{:.0f}</td><td>{:.0f}</td><td>{:.0f}</td><td>{:.0f}</td></tr>\n",
        esc(r.model), esc(r.region), esc(r.hour), r.n, r.p50, r.p95, r.p99, r.ttft_p50, r.ttft_p95,
        r.ttft_p99);
  }
  out +=
      "</tbody></table>\n<h2>Error rate by provider and hour</h2>\n<table><thead><tr>"
      "<th>provider</th><th>hour (UTC)</th><th>n</th><th>errors</th><th>rate</th></tr>"
      "</thead><tbody>\n";
  for (const auto& r : d.errors) {
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2f}%</td></tr>\n", esc(r.provider),
        esc(r.hour), r.n, r.errors,
        r.n > 0 ? 100.0 * static_cast<double>(r.errors) / static_cast<double>(r.n) : 0.0);
  }
  out +=
      "</tbody></table>\n<h2>Cost per 1k tokens by model</h2>\n<table><thead><tr>"
      "<th>model</th><th>n</th><th>tokens</th><th>USD per 1k tokens</th></tr></thead>"
      "<tbody>\n";
  for (const auto& r : d.cost) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.6f}</td></tr>\n", esc(r.model),
                       r.n, r.tokens,
                       r.tokens > 0 ? r.usd * 1000.0 / static_cast<double>(r.tokens) : 0.0);
  }
  return out + "</tbody></table>\n</body></html>\n";
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    throw RunError(fmt::format("cannot write {}", path.string()));
  }
}

void report(const CollectFlags& f) {
  if (!std::filesystem::exists(f.db)) {
    throw InputError(fmt::format("no collector database at {} (give one with --db)", f.db));
  }
  if (f.k < 1) {
    throw InputError("--k must be 1 or more");
  }
  const auto d = beacon::build_dashboard(f.db, f.k);
  std::vector<std::string> wrote;
  const auto formats = util::split(f.formats, ',');
  for (const auto& fmt_name : formats) {
    if (fmt_name != "md" && fmt_name != "csv" && fmt_name != "html") {
      throw InputError(fmt::format("--format {}: use md, csv and/or html", fmt_name));
    }
  }
  if (f.out == "-") {
    std::cout << beacon::dashboard_markdown(d);
    return;
  }
  std::filesystem::create_directories(f.out);
  for (const auto& name : formats) {
    if (name == "md") {
      write_file(std::filesystem::path(f.out) / "dashboard.md", beacon::dashboard_markdown(d));
      wrote.push_back("dashboard.md");
    } else if (name == "csv") {
      for (const auto& [file, text] : beacon::dashboard_csv(d)) {
        write_file(std::filesystem::path(f.out) / file, text);
        wrote.push_back(file);
      }
    } else {
      write_file(std::filesystem::path(f.out) / "dashboard.html", dashboard_html(d));
      wrote.push_back("dashboard.html");
    }
  }
  std::cout << fmt::format("{} beacons, {} of {} buckets shown (k = {}): {}/ ({})\n", d.beacons,
                           d.buckets - d.suppressed_buckets, d.buckets, d.k, f.out,
                           util::join(wrote, ", "));
}

void serve(const Globals& g, const CollectFlags& f) {
  beacon::CollectorOptions options;
  options.host = f.host;
  options.port = static_cast<std::uint16_t>(f.port);
  options.db_path = f.db;
  options.threads = f.threads;
  options.rate_limit = f.rate_limit;
  const auto window = util::parse_duration(f.window);
  if (!window || window->count() < 1'000'000) {
    throw InputError(fmt::format("--window {}: a duration of at least 1ms, e.g. 60s", f.window));
  }
  options.window = std::chrono::duration_cast<std::chrono::milliseconds>(*window);
  options.attestation = *beacon::attestation_from_string(f.attestation);
  options.compat =
      f.compat == "f3dx-worker" ? beacon::Compat::f3dx_worker : beacon::Compat::llmbench;
  options.limits = server_limits(f.limits, options.limits);
  options.log = log_to_stderr;
  StopSignals stop_signals;  // before any server thread exists
  beacon::Collector collector(options);
  collector.start();
  const bool worker = options.compat == beacon::Compat::f3dx_worker;
  std::cout << fmt::format("llmbench collect listening on {} (beacons into {}, {})\n",
                           collector.base_url(), f.db,
                           worker ? "as the f3dx-bench worker: token pinning, queued forgets"
                                  : f.attestation + " attestation");
  if (!g.quiet) {
    std::cout << fmt::format(
        "  POST {0}/v1/beacon  POST {0}/v1/forget{1}  GET {0}/v1/health\n"
        "  point clients at it with LLMBENCH_BEACON_URL={0}; stop with Ctrl-C\n",
        collector.base_url(),
        worker ? "" : fmt::format("  POST {}/v1/register", collector.base_url()));
  }
  std::cout.flush();
  stop_signals.wait();
  collector.stop();
  if (!g.quiet) {
    std::cout << fmt::format("llmbench collect stopped after {} beacon posts\n",
                             collector.beacon_posts());
  }
}

}  // namespace

void register_collect(CLI::App& app, Globals& globals) {
  auto* cmd = app.add_subcommand(
      "collect",
      "A self-hostable collector for latency beacons; `collect report` writes its "
      "dashboard (docs/privacy.md)");
  static CollectFlags f;
  cmd->add_option("--db", f.db, "The collector's SQLite file")->capture_default_str();
  cmd->add_option("--host", f.host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", f.port, "Port; 0 picks a free one and prints it")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--attestation", f.attestation,
                  "token (pin the first install_hmac per install) or message (verify each "
                  "beacon's HMAC with the install's registered secret)")
      ->check(CLI::IsMember({"token", "message"}))
      ->capture_default_str();
  cmd->add_option("--rate-limit", f.rate_limit, "Beacons per install per window")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--window", f.window,
                  "The rate limit's window (the public ingest's is a minute; shorter for tests)")
      ->capture_default_str();
  cmd->add_option("--compat", f.compat,
                  "llmbench (default), or f3dx-worker: answer exactly as the public ingest's "
                  "worker does (no counts in 429, no /v1/register, queued forgets)")
      ->check(CLI::IsMember({"llmbench", "f3dx-worker"}))
      ->capture_default_str();
  cmd->add_option("--threads", f.threads, "Server threads")->check(CLI::Range(1, 64));
  add_server_limit_flags(*cmd, f.limits);
  auto* rep = cmd->add_subcommand("report", "Write the dashboard from the collector's database");
  rep->add_option("--k", f.k,
                  "Suppress (model, provider, region, hour) buckets with fewer "
                  "beacons than this")
      ->capture_default_str();
  rep->add_option("--out", f.out, "Folder, or - for Markdown on standard output")
      ->capture_default_str();
  rep->add_option("--format", f.formats, "md, csv, html")->capture_default_str();
  rep->callback([] { report(f); });
  cmd->callback([&globals, rep] {
    if (!rep->parsed()) {
      serve(globals, f);
    }
  });
}

}  // namespace llmbench::cli
