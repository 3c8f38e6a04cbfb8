// `llmbench beacon`: opt-in anonymized latency beacons (status, preview, send, forget,
// optout), and the opt-in decision `run` uses (docs/privacy.md).

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "beacon_setup.hpp"
#include "commands.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/duration.hpp"
#include "llmbench/util/env.hpp"

namespace llmbench::cli {

namespace {

bool env_yes(const char* name) {
  const auto v = util::getenv_str(name);
  return v && (*v == "1" || *v == "true" || *v == "yes");
}

std::string config_dir() {
  return std::filesystem::path(beacon::default_install_path()).parent_path().string();
}

void print_first_notice(const std::string& url, const std::string& path) {
  std::cerr << fmt::format(
      "llmbench: beacons are on (you opted in). This install now has an anonymous identity in\n"
      "  {}\n"
      "For each measured request, one row goes to {}\n"
      "with exactly these fields: schema_version, ts (request start), install_id, install_hmac,\n"
      "model, provider, region (if the target names one), status_code, latency_ms_total,\n"
      "latency_ms_to_first_token, input_tokens, output_tokens, cost_usd_estimate.\n"
      "Never: prompt or response text, headers, keys, host names, URLs, suite names or tags.\n"
      "See them first: llmbench beacon preview. Delete them: llmbench beacon forget.\n"
      "Stop: llmbench beacon optout. Details: docs/privacy.md\n",
      path, url);
}

beacon::Attestation stored_attestation(store::Database& db) {
  auto st = db.prepare("SELECT value FROM beacon_state WHERE key = 'attestation'");
  if (st.step() && st.text(0) == "message") {
    return beacon::Attestation::message;
  }
  return beacon::Attestation::token;
}

// After a forget or a rotation the old identity's stop (a 401) no longer applies.
void clear_sender_state(store::Database& db) {
  db.exec("DELETE FROM beacon_state WHERE key IN ('stopped', 'last_error')");
}

struct CommandFlags {
  BeaconFlags beacon;
  bool show_secret = false;
  std::string run;
  bool rotate = false;
  std::string wait = "30s";
};

void status(const Globals& g, const CommandFlags& f) {
  const std::string path = install_path(f.beacon);
  const auto install = beacon::load_install(path);
  const bool marker = std::filesystem::exists(optout_marker_path());
  std::cout << fmt::format("opted in      {}\n",
                           marker ? "no (beacon optout)"
                           : env_yes("LLMBENCH_BEACON_OPTIN") || env_yes("F3DX_BENCH_OPTIN")
                               ? "yes (environment)"
                               : "per run (--beacon, or [beacon] enabled = true in a suite)");
  std::cout << fmt::format("endpoint      {}\n", beacon_url(f.beacon));
  std::cout << fmt::format("install file  {}\n", path);
  if (install) {
    std::cout << fmt::format("install id    {}\n", install->install_id);
    std::cout << fmt::format("token         {}\n", f.show_secret
                                                       ? install->install_hmac
                                                       : beacon::abbreviate(install->install_hmac));
    if (!install->secret.empty()) {
      std::cout << fmt::format("secret        {}\n", f.show_secret
                                                         ? install->secret
                                                         : beacon::abbreviate(install->secret));
    }
  } else {
    std::cout << "install id    none yet (made on the first opt-in)\n";
  }
  if (std::filesystem::exists(g.db_path)) {
    auto db = store::Database::open(g.db_path);
    const auto c = beacon::outbox_counts(db);
    std::cout << fmt::format("outbox        {} queued, {} sent, {} dropped, {} uncertain ({})\n",
                             c.queued, c.sent, c.dropped, c.uncertain, g.db_path);
    if (c.stopped) {
      std::cout << fmt::format("stopped       {} (fix it, then `llmbench beacon send`)\n",
                               *c.stopped);
    }
    if (c.last_error) {
      std::cout << fmt::format("last error    {}\n", *c.last_error);
    }
  } else {
    std::cout << fmt::format("outbox        none ({} does not exist)\n", g.db_path);
  }
}

void preview(const Globals& g, const CommandFlags& f) {
  if (!std::filesystem::exists(g.db_path)) {
    throw InputError(fmt::format("no run database at {} (give one with --db)", g.db_path));
  }
  auto db = store::Database::open(g.db_path);
  std::optional<std::string> run;
  if (!f.run.empty()) {
    run = store::resolve_run(db, f.run);
  }
  const auto queued = beacon::queued_beacons(db, run);
  for (const auto& [id, body] : queued) {
    std::cout << body << "\n";
  }
  std::cerr << fmt::format(
      "{} beacons queued{}; this is exactly what `llmbench beacon send` "
      "would post to {}\n",
      queued.size(), run ? " for run " + *run : "", beacon_url(f.beacon));
}

int send(const Globals& g, const CommandFlags& f) {
  if (!std::filesystem::exists(g.db_path)) {
    throw InputError(fmt::format("no run database at {} (give one with --db)", g.db_path));
  }
  const auto install = beacon::load_install(install_path(f.beacon));
  if (!install) {
    throw InputError("there is no beacon identity yet: nothing was ever queued");
  }
  const auto wait = util::parse_duration(f.wait);
  if (!wait) {
    throw InputError(fmt::format("--wait {}", wait.error()));
  }
  beacon::Attestation attestation = beacon::Attestation::token;
  {
    auto db = store::Database::open(g.db_path);
    attestation = stored_attestation(db);
  }
  auto options = sender_options(f.beacon, *install, attestation);
  options.wait = std::chrono::duration_cast<std::chrono::milliseconds>(*wait);
  options.retry_after_unauthorized = true;
  const auto r = beacon::send_outbox(g.db_path, options);
  std::cout << fmt::format(
      "sent {}, dropped {}, {} left queued{} ({})\n", r.sent, r.dropped, r.left,
      r.uncertain > 0 ? fmt::format(", {} uncertain", r.uncertain) : "", options.url);
  print_send_notes(r);
  if (r.last_error) {
    std::cerr << fmt::format("llmbench: last error from the collector: {}\n", *r.last_error);
  }
  if (r.unauthorized) {
    throw Error(ExitCode::run_failed,
                "the collector refused this install (401); `llmbench beacon forget --rotate` "
                "makes a new identity");
  }
  return 0;
}

void forget(const Globals& g, const CommandFlags& f) {
  const std::string path = install_path(f.beacon);
  const auto install = beacon::load_install(path);
  if (!install) {
    throw InputError(fmt::format("no install identity at {}: nothing to forget", path));
  }
  std::optional<store::Database> db;
  beacon::Attestation attestation = beacon::Attestation::token;
  if (std::filesystem::exists(g.db_path)) {
    db.emplace(store::Database::open(g.db_path));
    attestation = stored_attestation(*db);
  }
  const auto reply = beacon::forget_install(beacon_url(f.beacon), *install, attestation);
  if (reply.status != 202) {
    if (!f.rotate) {
      throw Error(ExitCode::run_failed,
                  fmt::format("the collector did not accept the request to forget install {}: {} "
                              "(nothing local was changed; `beacon forget --rotate` still "
                              "makes a new identity)",
                              install->install_id, reply.error));
    }
    // The identity is unusable there anyway (a 401 is what made most users come here):
    // rotate, so the next beacons start afresh, and say what happened to the old one.
    std::int64_t cleared = db ? beacon::clear_queued(*db) : 0;
    if (db) {
      clear_sender_state(*db);
    }
    const auto fresh = beacon::create_install(path);
    std::cerr << fmt::format(
        "llmbench: warning: the collector at {} refused to forget install {} ({}): what it "
        "stored under that id stays there\n",
        beacon_url(f.beacon), install->install_id, reply.error);
    std::cout << fmt::format("{} queued beacons cleared; new install id {}\n", cleared,
                             fresh.install_id);
    return;
  }
  std::int64_t cleared = 0;
  if (db) {
    cleared = beacon::clear_queued(*db);
    clear_sender_state(*db);
  }
  if (reply.deleted) {
    std::cout << fmt::format(
        "the collector at {} deleted the {} beacons of install {}; {} queued beacons cleared\n",
        beacon_url(f.beacon), *reply.deleted, install->install_id, cleared);
  } else {
    std::cout << fmt::format(
        "the collector at {} queued the request to forget install {}: it deletes the rows "
        "later (the public f3dx-bench ingest records the request for 30 days and drops the "
        "install's rows in a scheduled job), and it still accepts beacons under this id. {} "
        "queued beacons cleared{}\n",
        beacon_url(f.beacon), install->install_id, cleared,
        f.rotate ? "" : "; `beacon forget --rotate` stops using this id");
  }
  if (f.rotate) {
    const auto fresh = beacon::create_install(path);
    std::cout << fmt::format("new install id {}\n", fresh.install_id);
  }
}

void optout(const Globals& g, const CommandFlags& /*f*/) {
  std::filesystem::create_directories(config_dir());
  std::ofstream(optout_marker_path()) << "opted out of llmbench beacons\n";
  std::int64_t cleared = 0;
  if (std::filesystem::exists(g.db_path)) {
    auto db = store::Database::open(g.db_path);
    cleared = beacon::clear_queued(db);
  }
  std::cout << fmt::format(
      "beacons are off: LLMBENCH_BEACON_OPTIN and [beacon] enabled are ignored from now on "
      "(`run --beacon` opts in again); {} queued beacons cleared. What was already sent stays "
      "until `llmbench beacon forget`.\n",
      cleared);
}

}  // namespace

beacon::SenderOptions sender_options(const BeaconFlags& f, const beacon::Install& install,
                                     beacon::Attestation attestation) {
  beacon::SenderOptions o;
  o.url = beacon_url(f);
  o.install = install;
  o.attestation = attestation;
  o.ledger_path = install_path(f) + ".sends";
  if (const auto ms = util::getenv_str("LLMBENCH_BEACON_WINDOW_MS")) {
    const long long v = std::strtoll(ms->c_str(), nullptr, 10);
    if (v <= 0) {
      throw InputError(fmt::format(
          "LLMBENCH_BEACON_WINDOW_MS={}: a positive number of milliseconds (tests only)", *ms));
    }
    o.window = std::chrono::milliseconds(v);
  }
  return o;
}

void print_send_notes(const beacon::SendReport& r) {
  for (const auto& w : r.warnings) {
    std::cerr << "llmbench: note: " << w << "\n";
  }
  if (r.uncertain > 0) {
    std::cerr << fmt::format(
        "llmbench: warning: {} beacons reached the collector but no answer came back: they may "
        "or may not be stored there, so they are marked uncertain and never sent again\n",
        r.uncertain);
  }
}

std::string beacon_url(const BeaconFlags& f) {
  if (!f.url.empty()) {
    return f.url;
  }
  return util::getenv_str("LLMBENCH_BEACON_URL").value_or(std::string(beacon::k_default_url));
}

std::string install_path(const BeaconFlags& f) {
  return f.install_file.empty() ? beacon::default_install_path() : f.install_file;
}

std::string optout_marker_path() {
  return (std::filesystem::path(config_dir()) / "beacon-optout").string();
}

bool opted_in(const BeaconFlags& f, const suite::Suite* suite) {
  if (f.beacon) {
    std::error_code ec;
    std::filesystem::remove(optout_marker_path(), ec);  // an explicit opt-in wins
    return true;
  }
  if (std::filesystem::exists(optout_marker_path())) {
    return false;
  }
  return env_yes("LLMBENCH_BEACON_OPTIN") || env_yes("F3DX_BENCH_OPTIN") ||
         (suite != nullptr && suite->beacon.enabled);
}

beacon::Install ensure_install(const BeaconFlags& f, bool quiet) {
  const std::string path = install_path(f);
  if (auto install = beacon::load_install(path)) {
    return *install;
  }
  if (!f.install_file.empty()) {
    throw InputError(fmt::format("--install-file {}: no such file", path));
  }
  auto install = beacon::create_install(path);
  if (!quiet) {
    print_first_notice(beacon_url(f), path);
  }
  return install;
}

void register_beacon(CLI::App& app, Globals& globals) {
  auto* cmd =
      app.add_subcommand("beacon",
                         "Opt-in anonymized latency beacons: status, preview, send, forget, optout "
                         "(docs/privacy.md)");
  cmd->require_subcommand(1);
  static CommandFlags f;
  cmd->add_option("--beacon-url", f.beacon.url,
                  "The collector (default: $LLMBENCH_BEACON_URL, else the public f3dx-bench "
                  "ingest)");
  cmd->add_option("--install-file", f.beacon.install_file,
                  "The install identity (default: $XDG_CONFIG_HOME/llmbench/install.json)");
  auto* st = cmd->add_subcommand("status", "Opted in? Identity, endpoint, outbox counts");
  st->add_flag("--show-secret", f.show_secret, "Print the install's token and secret in full");
  st->callback([&globals] { status(globals, f); });
  auto* pv = cmd->add_subcommand("preview", "Print the exact NDJSON that would be sent");
  pv->add_option("run", f.run, "Only this run's beacons");
  pv->callback([&globals] { preview(globals, f); });
  auto* sd = cmd->add_subcommand("send", "Send what is queued now");
  sd->add_option("--wait", f.wait, "Give up after this long (the rest stays queued)")
      ->capture_default_str();
  sd->callback([&globals] { globals.exit_code = static_cast<ExitCode>(send(globals, f)); });
  auto* fg = cmd->add_subcommand(
      "forget",
      "Ask the collector to delete this install's beacons (the public ingest queues the request), "
      "then clear the outbox");
  fg->add_flag("--rotate", f.rotate,
               "Then make a new identity (even when the collector refuses the request)");
  fg->callback([&globals] { forget(globals, f); });
  cmd->add_subcommand("optout", "Stop beacons (clears the queued ones)")->callback([&globals] {
    optout(globals, f);
  });
}

}  // namespace llmbench::cli
