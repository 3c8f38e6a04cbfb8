#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include "llmbench/report/writers.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/strings.hpp"
#include "llmbench/util/table.hpp"
#include "sections.hpp"

namespace llmbench::report {

namespace {

std::string safe_name(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  return out;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) {
    throw InputError(fmt::format("cannot write {}; choose another --out folder", path.string()));
  }
}

}  // namespace

const std::vector<std::string>& all_formats() {
  static const std::vector<std::string> all = {"md", "csv", "json", "hlog", "html"};
  return all;
}

std::vector<std::string> parse_formats(const std::string& text) {
  if (util::trim(text).empty()) {
    return all_formats();
  }
  std::vector<std::string> out;
  for (auto f : util::split(text, ',')) {
    f = std::string(util::trim(f));
    if (f.empty()) {
      continue;
    }
    if (std::find(all_formats().begin(), all_formats().end(), f) == all_formats().end()) {
      throw InputError(fmt::format(
          "--format {}: unknown format \"{}\" (use md, csv, json, hlog, html)", text, f));
    }
    out.push_back(f);
  }
  return out;
}

// The same table report.md and report.html lead with (sections::summary), laid out for a
// terminal.
std::string render_summary_table(const RunReport& r) {
  using Align = util::TextTable::Align;
  const sections::Table summary = sections::summary(r);
  std::vector<Align> align;
  for (const bool numeric : summary.numeric) {
    align.push_back(numeric ? Align::right : Align::left);
  }
  util::TextTable table(summary.header, align);
  for (const auto& row : summary.rows) {
    table.add_row(row);
  }
  std::string out = table.render() + summary.note + "\n";
  if (const auto note = r.replay_note(); !note.empty()) {
    out += note + "\n";
  }
  return out;
}

void print_reports(const RunReport& report, const std::string& formats, std::ostream& out) {
  for (const auto& name : parse_formats(util::trim(formats).empty() ? "md" : formats)) {
    if (name == "md") {
      out << render_markdown(report);
    } else if (name == "csv") {
      out << render_summary_csv(report);
    } else if (name == "json") {
      out << render_json(report);
    } else if (name == "html") {
      out << render_html(report);
    }
  }
}

void check_writable_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir) || access(dir.c_str(), W_OK) != 0) {
    throw InputError(
        fmt::format("cannot write reports into {} ({}); choose another folder "
                    "with --out",
                    dir, ec ? ec.message() : "not writable"));
  }
}

RequestsCsvWriter::RequestsCsvWriter(const std::string& db_path, const std::string& run_id,
                                     const std::string& dir)
    : m_path((std::filesystem::path(dir) / "requests.csv").string()) {
  check_writable_dir(dir);
  m_thread = std::thread([this, db_path, run_id] {
    try {
      follow(db_path, run_id);
    } catch (...) {
      m_error = std::current_exception();
    }
  });
}

void RequestsCsvWriter::follow(const std::string& db_path, const std::string& run_id) {
  store::OpenOptions options;
  options.run_schema = false;  // the caller's connection has migrated it
  auto db = store::Database::open(db_path, options);
  std::ofstream out(m_path, std::ios::binary);
  write_requests_csv_header(out);
  std::int64_t last = 0;
  for (;;) {
    bool finishing = false;
    {
      std::unique_lock lock(m_mutex);
      m_cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return m_finishing; });
      finishing = m_finishing;
    }
    // Each pass is its own read transaction: the writer's checkpoints go on between them.
    last = write_requests_csv(db, run_id, out, last);
    out.flush();
    if (!out) {
      throw InputError(fmt::format("cannot write {}", m_path));
    }
    if (finishing) {
      return;  // every row was stored before finish(): this pass read them all
    }
  }
}

RequestsCsvWriter::~RequestsCsvWriter() {
  try {
    finish();
  } catch (...) {
    // finish() was not called (the caller is leaving on an error of its own): nothing to add.
  }
}

std::string RequestsCsvWriter::finish() {
  {
    const std::lock_guard lock(m_mutex);
    m_finishing = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
  if (m_error) {
    std::rethrow_exception(std::exchange(m_error, nullptr));
  }
  return m_path;
}

std::vector<std::string> write_reports(store::Database& db, const RunReport& report,
                                       const std::string& dir,
                                       const std::vector<std::string>& formats,
                                       RequestsCsvWriter* csv) {
  check_writable_dir(dir);
  const std::filesystem::path base(dir);
  std::vector<std::string> written;
  const auto want = [&](std::string_view f) {
    return std::find(formats.begin(), formats.end(), f) != formats.end();
  };
  if (want("md")) {
    write_file(base / "report.md", render_markdown(report));
    written.push_back((base / "report.md").string());
  }
  if (want("csv")) {
    write_file(base / "summary.csv", render_summary_csv(report));
    written.push_back((base / "summary.csv").string());
  }
  // requests.csv: the caller's writer (started with the run), else one of our own.
  std::optional<RequestsCsvWriter> own_csv;
  if (want("csv") && csv == nullptr) {
    own_csv.emplace(db.path(), report.run.id, dir);
    csv = &*own_csv;
  }
  if (want("json")) {
    write_file(base / "report.json", render_json(report));
    written.push_back((base / "report.json").string());
  }
  if (want("html")) {
    write_file(base / "report.html", render_html(report));
    written.push_back((base / "report.html").string());
  }
  if (want("hlog")) {
    for (const auto& t : report.targets) {
      for (const auto& m : t.metrics) {
        std::string name = safe_name(t.target);
        if (!t.phase.empty()) {
          name += "." + safe_name(t.phase);
        }
        name += "." + m.metric + ".hlog";
        write_file(base / name, render_hlog(report, t, m));
        written.push_back((base / name).string());
      }
    }
  }
  if (want("csv")) {
    written.push_back(csv->finish());
  }
  return written;
}

}  // namespace llmbench::report
