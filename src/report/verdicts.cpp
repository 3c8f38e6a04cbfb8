#include "llmbench/report/verdicts.hpp"

#include <fmt/format.h>

#include "llmbench/util/time.hpp"
#include "llmbench/util/xml.hpp"

namespace llmbench::report {

std::string slo_message(const TargetReport& t, const SloCheck& s) {
  const std::string who = t.label();
  const bool rate = s.metric == "errors";
  const auto shown = [&](double v) {
    return rate ? fmt::format("{:.2f}%", v * 100.0) : fmt::format("{:.1f} ms", v);
  };
  const std::string what = rate ? "error rate" : s.metric + " " + s.stat;
  if (!s.judged) {
    return fmt::format("{}: {} {}: not judged, limit {} ({})", who, what, s.note, shown(s.limit),
                       s.key);
  }
  if (!s.actual) {
    return fmt::format("{}: {} not measured (no successful request), limit {} ({})", who, what,
                       shown(s.limit), s.key);
  }
  return fmt::format("{}: {} {} {} limit {} ({}){}", who, what, shown(*s.actual),
                     s.pass ? "<=" : ">", shown(s.limit), s.key,
                     s.note.empty() ? "" : "; " + s.note);
}

std::vector<VerdictCase> slo_verdicts(const RunReport& report) {
  std::vector<VerdictCase> out;
  for (const auto& t : report.targets) {
    for (const auto& s : t.slo) {
      VerdictCase c;
      c.kind = "slo";
      c.name = s.key;
      c.target = t.label();
      c.failed = s.judged && !s.pass;
      c.skipped = !s.judged;
      c.binding = report.slo_enforced;
      c.messages.push_back(slo_message(t, s));
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::vector<VerdictCase> diff_verdicts(const DiffResult& d, bool fail_on_regression) {
  std::vector<VerdictCase> out;
  for (const auto& g : d.gates) {
    if (g.checks.empty()) {
      VerdictCase c;
      c.kind = "gate";
      c.name = g.text;
      c.messages.push_back(
          fmt::format("no target has {} {} in both runs: nothing to judge", g.metric, g.stat));
      out.push_back(std::move(c));
    }
    for (const auto& k : g.checks) {
      VerdictCase c;
      c.kind = "gate";
      c.name = g.text;
      c.target = k.phase.empty() ? k.target : k.target + " [" + k.phase + "]";
      c.failed = k.failed;
      c.messages.push_back(k.message);
      out.push_back(std::move(c));
    }
  }
  if (fail_on_regression || d.gates.empty()) {
    VerdictCase c;
    c.kind = "regression";
    c.name = "check";
    c.messages = regression_messages(d);
    c.failed = !c.messages.empty();
    c.binding = fail_on_regression;
    if (c.messages.empty()) {
      c.messages.push_back("no cell regressed");
    }
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

std::string status_word(const VerdictCase& c) {
  if (c.skipped) {
    return "SKIP";
  }
  if (!c.failed) {
    return "pass";
  }
  return c.binding ? "FAIL" : "miss";
}

}  // namespace

std::string render_verdicts_text(const std::vector<VerdictCase>& cases) {
  std::string out;
  for (const auto& c : cases) {
    const std::string head =
        c.kind == "gate" ? fmt::format("gate {}", c.name) : std::string(c.kind);
    for (const auto& m : c.messages) {
      out += fmt::format("{} {}: {}\n", status_word(c), head, m);
    }
  }
  return out;
}

std::string render_verdicts_markdown(const std::vector<VerdictCase>& cases) {
  std::string out;
  for (const auto& c : cases) {
    const std::string mark = c.skipped   ? ":heavy_minus_sign:"
                             : !c.failed ? ":white_check_mark:"
                             : c.binding ? ":x:"
                                         : ":warning:";
    const std::string head =
        c.kind == "gate" ? fmt::format("gate `{}`", c.name) : std::string(c.kind);
    for (const auto& m : c.messages) {
      out += fmt::format("- {} {} {}: {}\n", mark, status_word(c), head, m);
    }
  }
  return out;
}

std::string render_junit(const std::vector<VerdictCase>& cases, const store::RunRow& run) {
  const auto esc = [](const std::string& s) { return util::xml_escape(s); };
  std::size_t failures = 0;
  std::size_t skipped = 0;
  for (const auto& c : cases) {
    failures += c.failed && c.binding ? 1 : 0;
    skipped += c.skipped ? 1 : 0;
  }
  const double seconds =
      run.ended_at_ms ? static_cast<double>(*run.ended_at_ms - run.started_at_ms) / 1000.0 : 0.0;
  // JUnit's timestamp is ISO 8601 without a zone designator (the schema's xs:dateTime
  // pattern); it is UTC.
  std::string timestamp = util::iso8601_utc_ms(run.started_at_ms);
  if (!timestamp.empty() && timestamp.back() == 'Z') {
    timestamp.pop_back();
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out +=
      fmt::format("<testsuites name=\"llmbench\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n",
                  cases.size(), failures, seconds);
  out += fmt::format(
      "  <testsuite name=\"llmbench.{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" "
      "skipped=\"{}\" time=\"{:.3f}\" timestamp=\"{}\" hostname=\"{}\">\n",
      esc(run.id), cases.size(), failures, skipped, seconds, esc(timestamp), esc(run.host));
  for (const auto& c : cases) {
    const std::string name =
        c.target.empty() ? c.kind + " " + c.name : c.kind + " " + c.name + " · " + c.target;
    std::string detail;
    for (const auto& m : c.messages) {
      detail += m + "\n";
    }
    out += fmt::format("    <testcase classname=\"llmbench.{}\" name=\"{}\" time=\"0\"", c.kind,
                       esc(name));
    if (c.skipped) {
      out += fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                         esc(c.messages.front()));
    } else if (c.failed && c.binding) {
      out += fmt::format(
          ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
          esc(c.messages.front()), c.kind, esc(detail));
    } else if (c.failed) {
      // A miss that does not fail the build (an SLO without enforce): visible, not red.
      out += fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n",
                         esc("missed (not enforced): " + detail));
    } else {
      out += fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n", esc(detail));
    }
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace llmbench::report
