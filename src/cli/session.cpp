// `llmbench session`: harness benchmark sessions behind the proxy (docs/proxy.md).

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "llmbench/load/recover.hpp"
#include "llmbench/metrics/sample_stats.hpp"
#include "llmbench/report/writers.hpp"
#include "llmbench/session/config.hpp"
#include "llmbench/session/session.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/store/sessions.hpp"
#include "llmbench/util/build_info.hpp"
#include "llmbench/util/env.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/strings.hpp"
#include "llmbench/util/table.hpp"
#include "llmbench/util/time.hpp"
#include "llmbench/util/uuid.hpp"

namespace llmbench::cli {

namespace {

struct SessionFlags {
  std::string config = "proxy.toml";
  // create
  std::string experiment, variant, task_card, harness, label, notes, dir;
  // env
  std::string id, format = "sh", key;
  // finalize
  std::string status;
  // report; export
  std::string formats;
  std::string export_format = "csv";
};

// What `session show` and `list` print of a session's rows.
struct Figures {
  std::int64_t requests = 0;
  std::int64_t errors = 0;
  std::optional<double> ttft_p50_ms, ttft_p95_ms, e2e_p50_ms;
  std::int64_t output_tokens = 0;
  double cost = 0;
};

Figures figures(store::Database& db, const std::string& run_id) {
  Figures f;
  std::vector<double> ttft, e2e;
  for (const auto& r : store::final_attempts(db, run_id)) {
    ++f.requests;
    if (r.error_class) {
      ++f.errors;
      continue;
    }
    if (r.t_first_token_ns && r.t_send_ns && r.streamed) {
      ttft.push_back(static_cast<double>(*r.t_first_token_ns - *r.t_send_ns) / 1e6);
    }
    if (r.t_done_ns && r.t_send_ns) {
      e2e.push_back(static_cast<double>(*r.t_done_ns - *r.t_send_ns) / 1e6);
    }
    f.output_tokens += r.output_tokens.value_or(0);
    f.cost += r.cost_usd.value_or(0);
  }
  if (!ttft.empty()) {
    f.ttft_p50_ms = metrics::percentile(ttft, 50);
    f.ttft_p95_ms = metrics::percentile(ttft, 95);
  }
  if (!e2e.empty()) {
    f.e2e_p50_ms = metrics::percentile(e2e, 50);
  }
  return f;
}

// The model a harness is told to ask for: an alias, or a route standing in as one (named like
// the route, speaking its first member's protocol).
std::optional<session::ModelAlias> model_for(const session::Config& config,
                                             const std::string& name) {
  if (const auto* alias = config.model(name)) {
    return *alias;
  }
  if (const auto* route = config.route(name)) {
    session::ModelAlias m = *config.model(route->members.front());
    m.alias = route->name;
    m.model = fmt::format("{}", fmt::join(route->members, ","));
    m.base_url.clear();
    return m;
  }
  return std::nullopt;
}

std::string ms(const std::optional<double>& v) {
  return v ? fmt::format("{:.1f}", *v) : "-";
}

void create(Globals& g, const SessionFlags& f) {
  const session::Config config = session::load_config_or_throw(f.config);
  const session::Variant* variant = config.variant(f.variant);
  if (variant == nullptr) {
    std::vector<std::string> names;
    for (const auto& v : config.variants) {
      names.push_back(v.name);
    }
    throw InputError(
        fmt::format("--variant {}: {} has no such [[variants]] entry (it has: {})", f.variant,
                    f.config, names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
  }
  if (!f.experiment.empty()) {
    const session::Experiment* e = config.experiment(f.experiment);
    if (e == nullptr) {
      throw InputError(fmt::format("--experiment {}: {} has no such [[experiments]] entry",
                                   f.experiment, f.config));
    }
    if (std::find(e->variants.begin(), e->variants.end(), variant->name) == e->variants.end()) {
      throw InputError(fmt::format("--variant {} is not a variant of experiment {} ({})",
                                   variant->name, e->name, fmt::join(e->variants, ", ")));
    }
  }
  const session::TaskCard* task = nullptr;
  if (!f.task_card.empty()) {
    task = config.task_card(f.task_card);
    if (task == nullptr) {
      throw InputError(fmt::format("--task-card {}: {} has no such [[task_cards]] entry",
                                   f.task_card, f.config));
    }
  }
  const std::string harness_name = f.harness.empty() ? variant->harness : f.harness;
  const auto harness = config.harness(harness_name);
  if (!harness) {
    throw InputError(fmt::format("--harness {}: not a [[harnesses]] entry of {} nor one of {}",
                                 harness_name, f.config,
                                 fmt::join(session::harness_kind_names(), ", ")));
  }
  const std::optional<session::ModelAlias> alias = model_for(config, variant->model);
  const bool routed = config.route(variant->model) != nullptr;
  const std::string dir = f.dir.empty() ? std::filesystem::current_path().string() : f.dir;
  const util::GitState git = util::git_state_of(dir);
  const std::string key = session::new_session_key();
  const std::int64_t now = util::unix_ms_now();

  store::SessionRow s;
  s.id = util::uuid_v7();
  s.run_id = util::uuid_v7();
  s.key_hash = session::key_hash(key);
  if (!f.experiment.empty()) {
    s.experiment = f.experiment;
  }
  s.variant = variant->name;
  s.model_alias = alias->alias;
  s.harness = harness->name;
  s.harness_kind = std::string(session::to_string(harness->kind));
  if (task != nullptr) {
    s.task_card = task->name;
    if (task->timebox) {
      s.expires_at_ms = now + task->timebox->count() / 1'000'000;
    }
  }
  if (!f.label.empty()) {
    s.label = f.label;
  }
  if (!f.notes.empty()) {
    s.notes = f.notes;
  }
  s.settings_json = variant->settings_json;
  s.config_path = f.config;
  s.config_hash = config.hash;
  s.workdir = dir;
  s.git_branch = git.branch;
  s.git_commit = git.commit;
  s.git_dirty = git.dirty;
  s.created_at_ms = now;

  store::RunRow run;
  run.id = s.run_id;
  run.suite_name = fmt::format("session {}", variant->name);
  run.suite_path = f.config;
  run.suite_hash = config.hash;
  run.llmbench_version = build_info::k_version;
  run.host = util::hostname();
  run.git_commit = git.commit;
  run.started_at_ms = now;
  {
    util::JsonObject tags(run.tags_json = "");
    tags.str("session", s.id);
    tags.opt_str("experiment", s.experiment);
    tags.str("variant", s.variant);
    tags.str("harness", s.harness);
    tags.opt_str("task_card", s.task_card);
    tags.opt_str("label", s.label);
    tags.close();
  }
  store::RunTargetRow target;
  target.run_id = run.id;
  target.target = alias->alias;
  target.provider = routed ? "route" : std::string(suite::to_string(alias->provider));
  target.model = alias->model;
  target.base_url = alias->base_url;

  auto db = open_history(g, History::create);
  db.transaction([&] {
    store::insert_run(db, run);  // no pid: a session outlives the command that created it
    store::insert_run_target(db, target);
    store::insert_session(db, s);
  });
  std::cout << fmt::format("session {}\n", s.id);
  std::cout << fmt::format("  variant {} (model {}, harness {}){}{}\n", s.variant, s.model_alias,
                           s.harness, s.experiment ? ", experiment " + *s.experiment : "",
                           task != nullptr ? ", task " + task->name : "");
  if (git.commit) {
    std::cout << fmt::format("  git {} {}{}\n", git.branch.value_or("?"), *git.commit,
                             git.dirty.value_or(false) ? " (uncommitted changes)" : "");
  }
  if (s.expires_at_ms) {
    std::cout << fmt::format("  timebox until {}\n", util::iso8601_utc_ms(*s.expires_at_ms));
  }
  std::cout << fmt::format(
      "  key (shown once, stored only as a hash):\nexport {}={}\n"
      "then: llmbench session env {} --config {}\n",
      session::k_key_env, key, s.id, f.config);
}

void env(Globals& g, const SessionFlags& f) {
  auto db = open_history(g, History::existing);
  const auto s = store::get_session(db, store::resolve_session(db, f.id));
  const session::Config config = session::load_config_or_throw(f.config);
  std::string key = f.key;
  if (key.empty()) {
    if (const char* v = std::getenv(std::string(session::k_key_env).c_str())) {
      key = v;
    }
  }
  if (key.empty()) {
    throw InputError(fmt::format(
        "session {}'s key is needed for its snippet and is stored only as a hash: pass --key or "
        "export {} (as `llmbench session create` printed it)",
        s->id, session::k_key_env));
  }
  if (session::key_hash(key) != s->key_hash) {
    throw InputError(
        fmt::format("that key is not session {}'s (check {} or --key)", s->id, session::k_key_env));
  }
  session::EnvInput in;
  in.session_id = s->id;
  in.key = key;
  in.base_url = config.base_url();
  const std::optional<session::ModelAlias> model = model_for(config, s->model_alias);
  in.model = model ? &*model : nullptr;
  if (in.model == nullptr) {
    throw InputError(fmt::format("{} no longer has model alias \"{}\" of session {}", f.config,
                                 s->model_alias, s->id));
  }
  auto harness = config.harness(s->harness);
  if (!harness) {
    harness = config.harness(s->harness_kind);
  }
  in.harness = *harness;
  in.variant = config.variant(s->variant);
  const session::EnvFormat format = f.format == "json"   ? session::EnvFormat::json
                                    : f.format == "toml" ? session::EnvFormat::toml
                                                         : session::EnvFormat::sh;
  std::cout << session::render_env(in, format);
}

void list(Globals& g, const SessionFlags& f) {
  auto db = open_history(g, History::existing);
  util::TextTable table(
      {"session", "created", "status", "experiment", "variant", "harness", "requests", "errors",
       "ttft p50 ms"},
      {util::TextTable::Align::left, util::TextTable::Align::left, util::TextTable::Align::left,
       util::TextTable::Align::left, util::TextTable::Align::left, util::TextTable::Align::left,
       util::TextTable::Align::right, util::TextTable::Align::right,
       util::TextTable::Align::right});
  const std::int64_t now = util::unix_ms_now();
  for (const auto& s : store::list_sessions(db, f.variant, f.experiment)) {
    const Figures fig = figures(db, s.run_id);
    table.add_row({s.id, util::short_utc(s.created_at_ms),
                   s.status == "active" && !s.open_at(now) ? "timed out" : s.status,
                   s.experiment.value_or("-"), s.variant, s.harness, std::to_string(fig.requests),
                   std::to_string(fig.errors), ms(fig.ttft_p50_ms)});
  }
  if (table.rows() == 0) {
    std::cout << "no sessions (create one with `llmbench session create`)\n";
    return;
  }
  std::cout << table.render();
}

void show(Globals& g, const SessionFlags& f) {
  auto db = open_history(g, History::existing);
  const auto s = store::get_session(db, store::resolve_session(db, f.id));
  const Figures fig = figures(db, s->run_id);
  std::cout << fmt::format("session    {}\nrun        {}\nstatus     {}\n", s->id, s->run_id,
                           s->status);
  std::cout << fmt::format("experiment {}\nvariant    {}\nmodel      {}\nharness    {} ({})\n",
                           s->experiment.value_or("-"), s->variant, s->model_alias, s->harness,
                           s->harness_kind);
  std::cout << fmt::format("task card  {}\nlabel      {}\nnotes      {}\n",
                           s->task_card.value_or("-"), s->label.value_or("-"),
                           s->notes.value_or("-"));
  std::cout << fmt::format("workdir    {}\ngit        {} {}{}\n", s->workdir,
                           s->git_branch.value_or("-"), s->git_commit.value_or("-"),
                           s->git_dirty.value_or(false) ? " (dirty)" : "");
  std::cout << fmt::format("created    {}\n", util::iso8601_utc_ms(s->created_at_ms));
  if (s->expires_at_ms) {
    std::cout << fmt::format("timebox    until {}\n", util::iso8601_utc_ms(*s->expires_at_ms));
  }
  if (s->finalized_at_ms) {
    std::cout << fmt::format("finalized  {}\n", util::iso8601_utc_ms(*s->finalized_at_ms));
  }
  std::cout << fmt::format(
      "requests   {} ({} failed)\nttft       p50 {} ms, p95 {} ms\ne2e        p50 {} ms\n"
      "output     {} tokens\ncost       ${:.6f}\n",
      fig.requests, fig.errors, ms(fig.ttft_p50_ms), ms(fig.ttft_p95_ms), ms(fig.e2e_p50_ms),
      fig.output_tokens, fig.cost);
}

void finalize(Globals& g, const SessionFlags& f) {
  auto db = open_history(g, History::existing);
  const auto s = store::get_session(db, store::resolve_session(db, f.id));
  const std::int64_t now = util::unix_ms_now();
  if (!store::finalize_session(db, s->id, f.status, now)) {
    throw InputError(fmt::format("session {} is already finalized ({})", s->id, s->status));
  }
  const std::int64_t rows = load::rebuild_histograms(db, s->run_id);
  store::finish_run(db, s->run_id,
                    f.status == "completed" ? "completed"
                    : f.status == "failed"  ? "failed"
                                            : "interrupted",
                    now);
  std::cout << fmt::format(
      "session {} {}: {} requests; its key is refused from now on\n"
      "report: llmbench report {}\n",
      s->id, f.status, rows, s->run_id);
}

// The run to report for a session (histograms rebuilt from its rows so far), or a run that
// pools every session of a variant (made anew each time).
std::string report_run(store::Database& db, const SessionFlags& f) {
  if (!f.id.empty()) {
    const auto s = store::get_session(db, store::resolve_session(db, f.id));
    load::rebuild_histograms(db, s->run_id);
    return s->run_id;
  }
  const auto sessions = store::list_sessions(db, f.variant, f.experiment);
  if (sessions.empty()) {
    throw InputError(fmt::format("no sessions of variant {}{}", f.variant,
                                 f.experiment.empty() ? "" : " in experiment " + f.experiment));
  }
  store::RunRow run;
  run.id = util::uuid_v7();
  run.suite_name = fmt::format("variant {} ({} sessions)", f.variant, sessions.size());
  run.llmbench_version = build_info::k_version;
  run.host = util::hostname();
  run.started_at_ms = sessions.back().created_at_ms;
  run.status = "completed";
  {
    util::JsonObject tags(run.tags_json = "");
    tags.str("pooled_variant", f.variant);
    tags.key("sessions");
    run.tags_json += '[';
    for (std::size_t i = 0; i < sessions.size(); ++i) {
      run.tags_json += i > 0 ? "," : "";
      util::append_json_string(run.tags_json, sessions[i].id);
    }
    run.tags_json += ']';
    tags.close();
  }
  db.transaction([&] {
    store::insert_run(db, run);
    for (const auto& s : sessions) {
      store::copy_run_rows(db, s.run_id, run.id);
    }
    store::finish_run(db, run.id, "completed", util::unix_ms_now());
  });
  load::rebuild_histograms(db, run.id);
  return run.id;
}

void report(Globals& g, const SessionFlags& f) {
  if (f.id.empty() == f.variant.empty()) {
    throw InputError("llmbench session report takes one session ID or --variant NAME");
  }
  auto db = open_history(g, History::existing);
  const std::string run_id = report_run(db, f);
  std::cerr << fmt::format("run {} (compare runs with `llmbench report diff BASE CAND`)\n", run_id);
  report::print_reports(report::build_report(db, run_id), f.formats.empty() ? "md" : f.formats,
                        std::cout);
}

void export_rows(Globals& g, const SessionFlags& f) {
  auto db = open_history(g, History::existing);
  std::vector<store::SessionRow> sessions;
  if (!f.id.empty()) {
    sessions.push_back(*store::get_session(db, store::resolve_session(db, f.id)));
  } else {
    sessions = store::list_sessions(db, f.variant, f.experiment);
  }
  const bool csv = f.export_format != "json";
  if (csv) {
    std::cout << "session,experiment,variant,harness,seq,endpoint,model,upstream_model,status,"
                 "error_class,ttft_ms,e2e_ms,client_ttft_ms,client_e2e_ms,input_tokens,"
                 "output_tokens,cost_usd,client_disconnected\n";
  } else {
    std::cout << "[";
  }
  bool first = true;
  const auto ms_between = [](const std::optional<std::int64_t>& a,
                             const std::optional<std::int64_t>& b) -> std::optional<double> {
    if (!a || !b) {
      return std::nullopt;
    }
    return std::round(static_cast<double>(*a - *b) / 1e3) / 1e3;  // ms, to the microsecond
  };
  for (const auto& s : sessions) {
    for (const auto& r : store::proxied_requests(db, s.run_id)) {
      const store::ProxyRow none;
      const store::ProxyRow& p = r.proxy ? *r.proxy : none;
      const auto ttft = r.streamed ? ms_between(r.t_first_token_ns, r.t_send_ns) : std::nullopt;
      const auto e2e = ms_between(r.t_done_ns, r.t_send_ns);
      const auto client_ttft = ms_between(p.t_client_first_ns, p.t_recv_ns);
      const auto client_e2e = ms_between(p.t_client_done_ns, p.t_recv_ns);
      if (csv) {
        const auto opt = [](const auto& v) { return v ? fmt::format("{}", *v) : std::string(); };
        std::string line;
        for (const std::string& field :
             {s.id, s.experiment.value_or(""), s.variant, s.harness, std::to_string(r.seq),
              p.endpoint, r.target, p.upstream_model, opt(r.status_code),
              r.error_class.value_or(""), opt(ttft), opt(e2e), opt(client_ttft), opt(client_e2e),
              opt(r.input_tokens), opt(r.output_tokens), opt(r.cost_usd),
              std::string(p.client_disconnected ? "1" : "0")}) {
          if (!line.empty()) {
            line += ',';
          }
          util::append_csv_field(line, field);
        }
        std::cout << line << '\n';
        continue;
      }
      std::string out = first ? "\n" : ",\n";
      first = false;
      util::JsonObject o(out);
      o.str("session", s.id);
      o.opt_str("experiment", s.experiment);
      o.str("variant", s.variant);
      o.str("harness", s.harness);
      o.integer("seq", r.seq);
      o.str("endpoint", p.endpoint);
      o.str("model", r.target);
      o.str("upstream_model", p.upstream_model);
      o.opt_integer("status", r.status_code);
      o.opt_str("error_class", r.error_class);
      o.opt_num("ttft_ms", ttft);
      o.opt_num("e2e_ms", e2e);
      o.opt_num("client_ttft_ms", client_ttft);
      o.opt_num("client_e2e_ms", client_e2e);
      o.opt_integer("input_tokens", r.input_tokens);
      o.opt_integer("output_tokens", r.output_tokens);
      o.opt_num("cost_usd", r.cost_usd);
      o.boolean("client_disconnected", p.client_disconnected);
      o.close();
      std::cout << out;
    }
  }
  if (!csv) {
    std::cout << "\n]\n";
  }
}

}  // namespace

void register_session(CLI::App& app, Globals& globals) {
  auto* cmd = app.add_subcommand(
      "session", "Harness benchmark sessions behind `llmbench proxy` (docs/proxy.md)");
  cmd->require_subcommand(1);
  static SessionFlags f;
  const auto config_flag = [](CLI::App* sub) {
    sub->add_option("--config", f.config, "The proxy and session config (TOML)")
        ->capture_default_str();
  };

  auto* validate = cmd->add_subcommand("validate", "Check a proxy and session config");
  config_flag(validate);
  validate->callback([] {
    const auto result = session::load_config(f.config);
    for (const auto& d : result.diagnostics.items()) {
      std::cerr << d.to_string() << "\n";
    }
    if (!result.config) {
      throw InputError(fmt::format("{} has {} error{}", f.config, result.diagnostics.error_count(),
                                   result.diagnostics.error_count() == 1 ? "" : "s"));
    }
    const auto& c = *result.config;
    std::cout << fmt::format(
        "{}: ok ({} models, {} routes, {} harnesses, {} variants, {} experiments, {} task "
        "cards; proxy at {})\n",
        f.config, c.models.size(), c.routes.size(), c.harnesses.size(), c.variants.size(),
        c.experiments.size(), c.task_cards.size(), c.base_url());
  });

  auto* create_cmd = cmd->add_subcommand("create", "Start a session: an id, a key, git state");
  config_flag(create_cmd);
  create_cmd->add_option("--variant", f.variant, "A [[variants]] name")->required();
  create_cmd->add_option("--experiment", f.experiment, "An [[experiments]] name");
  create_cmd->add_option("--task-card", f.task_card, "A [[task_cards]] name (its timebox applies)");
  create_cmd->add_option("--harness", f.harness, "The harness (default: the variant's)");
  create_cmd->add_option("--label", f.label, "A label for reports");
  create_cmd->add_option("--notes", f.notes, "Free-form notes");
  create_cmd->add_option("--dir", f.dir, "The working directory whose git state is recorded");
  create_cmd->callback([&globals] { create(globals, f); });

  auto* env_cmd =
      cmd->add_subcommand("env", "Print what points the session's harness at the proxy");
  config_flag(env_cmd);
  env_cmd->add_option("id", f.id, "Session id (or a unique prefix)")->required();
  env_cmd->add_option("--format", f.format, "sh, json or toml")
      ->check(CLI::IsMember({"sh", "json", "toml"}))
      ->capture_default_str();
  env_cmd->add_option("--key", f.key,
                      "The session key (default: $LLMBENCH_SESSION_KEY, as create printed it)");
  env_cmd->callback([&globals] { env(globals, f); });

  auto* list_cmd = cmd->add_subcommand("list", "Sessions, newest first");
  list_cmd->add_option("--variant", f.variant, "Only this variant's");
  list_cmd->add_option("--experiment", f.experiment, "Only this experiment's");
  list_cmd->callback([&globals] { list(globals, f); });

  auto* show_cmd = cmd->add_subcommand("show", "One session and its figures so far");
  show_cmd->add_option("id", f.id, "Session id (or a unique prefix)")->required();
  show_cmd->callback([&globals] { show(globals, f); });

  auto* fin = cmd->add_subcommand("finalize", "End a session: its key is refused from now on");
  fin->add_option("id", f.id, "Session id (or a unique prefix)")->required();
  fin->add_option("--status", f.status, "completed, abandoned or failed")
      ->required()
      ->check(CLI::IsMember({"completed", "abandoned", "failed"}));
  fin->callback([&globals] { finalize(globals, f); });

  auto* rep = cmd->add_subcommand(
      "report", "A session's report, or every session of a variant pooled (--variant)");
  rep->add_option("id", f.id, "Session id (or a unique prefix)");
  rep->add_option("--variant", f.variant, "Pool every session of this variant");
  rep->add_option("--experiment", f.experiment, "With --variant: only this experiment's");
  rep->add_option("--format", f.formats, "md, json, csv or html (default md)");
  rep->callback([&globals] { report(globals, f); });

  auto* exp = cmd->add_subcommand("export", "Every request of sessions, as CSV or JSON");
  exp->add_option("id", f.id, "Session id (or a unique prefix); none: every session");
  exp->add_option("--variant", f.variant, "Only this variant's sessions");
  exp->add_option("--experiment", f.experiment, "Only this experiment's sessions");
  exp->add_option("--format", f.export_format, "csv or json")
      ->check(CLI::IsMember({"csv", "json"}))
      ->capture_default_str();
  exp->callback([&globals] { export_rows(globals, f); });
}

}  // namespace llmbench::cli
