#pragma once
// The service's web UI (docs/serve.md): pages rendered on the server, so everything reads with
// JavaScript off; one small script (ui.js) adds live progress to a running run's page. No CDN,
// no external font, no inline script (the pages are served with a Content-Security-Policy that
// allows only this origin's script). Reports and diffs are the report writers' own
// self-contained pages, framed.
//
//   /                      runs: filter by status, suite and tag; pages of 50, newest first
//   /runs/{id}             a run: its fields, live progress while queued or running, its HTML
//                          report, links to every format
//   /compare?base=&cand=   pick two runs; the diff page (curves overlaid, table, gates)
//   /login                 where a browser gives the token once (kept in an HttpOnly cookie)

#include <optional>
#include <string>
#include <vector>

#include "llmbench/load/runner.hpp"
#include "llmbench/store/runs.hpp"

namespace llmbench::server::ui {

struct RunsView {
  std::vector<store::RunSummary> runs;
  std::string status, suite, tag;  // the filters shown
  std::string cursor;              // this page's
  std::string next_cursor;         // empty: the last page
};
std::string runs_page(const RunsView& v);

struct RunView {
  store::RunRow run;
  std::string short_id;
  std::optional<load::Progress> progress;
  std::int64_t requests = 0;
  std::int64_t errors = 0;
};
std::string run_page(const RunView& v);

struct CompareView {
  std::vector<store::RunSummary> choices;  // newest first
  std::string base, cand;                  // as asked
  std::string base_id, cand_id;            // resolved; empty until both are
  std::string error;                       // why they could not be compared
  bool gates_failed = false;
  bool regressed = false;
};
std::string compare_page(const CompareView& v);

std::string login_page(const std::string& error);
std::string not_found_page(const std::string& detail);

const std::string& script();  // /ui.js

}  // namespace llmbench::server::ui
