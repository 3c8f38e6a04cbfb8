#pragma once
// A strict reader of the Prometheus text exposition format (0.0.4), for tests: every line is
// a HELP, a TYPE or a sample; names and label names match the format's grammar; label values
// use only its escapes; every sample belongs to the family its TYPE declared just before
// (histograms: _bucket with an `le`, _sum, _count; buckets cumulative and ending at +Inf ==
// _count); a family is declared once. Any violation throws std::runtime_error naming the line.

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace llmbench::testing {

struct PromSample {
  std::string name;  // as written (with _bucket, _sum, _count, _total)
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromFamily {
  std::string name;
  std::string type;
  std::string help;
  std::vector<PromSample> samples;
};

inline double prom_value(const std::string& text, int line) {
  if (text == "+Inf")
    return INFINITY;
  if (text == "-Inf")
    return -INFINITY;
  if (text == "NaN")
    return NAN;
  static const std::regex number(R"([-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?)");
  if (!std::regex_match(text, number)) {
    throw std::runtime_error("line " + std::to_string(line) + ": not a number: " + text);
  }
  return std::stod(text);
}

inline std::map<std::string, PromFamily> parse_prometheus(const std::string& text) {
  static const std::regex metric_name("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex label_name("[a-zA-Z_][a-zA-Z0-9_]*");
  std::map<std::string, PromFamily> families;
  std::string current;
  int line_no = 0;
  std::size_t at = 0;
  if (!text.empty() && text.back() != '\n') {
    throw std::runtime_error("the exposition does not end with a newline");
  }
  const auto fail = [&](const std::string& why) {
    throw std::runtime_error("line " + std::to_string(line_no) + ": " + why);
  };
  while (at < text.size()) {
    const std::size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    ++line_no;
    if (line.empty()) {
      fail("empty line");
    }
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const bool help = line[2] == 'H';
      const std::string rest = line.substr(7);
      const auto sp = rest.find(' ');
      const std::string name = rest.substr(0, sp);
      if (!std::regex_match(name, metric_name)) {
        fail("bad metric name " + name);
      }
      PromFamily& f = families[name];
      f.name = name;
      if (help) {
        if (!f.help.empty())
          fail("second HELP for " + name);
        f.help = sp == std::string::npos ? "" : rest.substr(sp + 1);
      } else {
        if (!f.type.empty())
          fail("second TYPE for " + name);
        f.type = sp == std::string::npos ? "" : rest.substr(sp + 1);
        static const std::set<std::string> types = {"counter", "gauge", "histogram", "summary",
                                                    "untyped"};
        if (types.count(f.type) == 0)
          fail("bad type " + f.type);
        if (!f.samples.empty())
          fail("TYPE after samples of " + name);
        current = name;
      }
      continue;
    }
    if (line[0] == '#') {
      continue;  // a comment
    }
    PromSample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ')
      ++i;
    s.name = line.substr(0, i);
    if (!std::regex_match(s.name, metric_name))
      fail("bad sample name " + s.name);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t eq = line.find('=', i);
        if (eq == std::string::npos)
          fail("label without =");
        const std::string lname = line.substr(i, eq - i);
        if (!std::regex_match(lname, label_name))
          fail("bad label name " + lname);
        if (eq + 1 >= line.size() || line[eq + 1] != '"')
          fail("label value not quoted");
        std::size_t j = eq + 2;
        std::string value;
        for (;; ++j) {
          if (j >= line.size())
            fail("unterminated label value");
          if (line[j] == '"')
            break;
          if (line[j] == '\\') {
            ++j;
            if (j >= line.size())
              fail("dangling escape");
            if (line[j] == 'n')
              value += '\n';
            else if (line[j] == '\\' || line[j] == '"')
              value += line[j];
            else
              fail("bad escape");
          } else {
            value += line[j];
          }
        }
        if (!s.labels.emplace(lname, value).second)
          fail("duplicate label " + lname);
        i = j + 1;
        if (i < line.size() && line[i] == ',')
          ++i;
      }
      if (i >= line.size())
        fail("unterminated labels");
      ++i;
    }
    if (i >= line.size() || line[i] != ' ')
      fail("no value");
    const std::string rest = line.substr(i + 1);
    const std::string value_text = rest.substr(0, rest.find(' '));
    s.value = prom_value(value_text, line_no);
    if (current.empty())
      fail("a sample before any TYPE");
    PromFamily& f = families[current];
    const bool histogram = f.type == "histogram";
    const bool belongs = s.name == current || (histogram && (s.name == current + "_bucket" ||
                                                             s.name == current + "_sum" ||
                                                             s.name == current + "_count"));
    if (!belongs)
      fail(s.name + " is not of family " + current);
    if (histogram && s.name == current + "_bucket" && s.labels.count("le") == 0) {
      fail("a bucket without le");
    }
    if (f.type == "counter" && (s.value < 0 || std::isnan(s.value)))
      fail("negative counter");
    f.samples.push_back(std::move(s));
  }
  // Histogram consistency, per series.
  for (const auto& [name, f] : families) {
    if (f.type != "histogram")
      continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts;
    for (const auto& s : f.samples) {
      auto labels = s.labels;
      if (s.name == name + "_bucket") {
        const double le = prom_value(labels["le"], 0);
        labels.erase("le");
        buckets[labels].emplace_back(le, s.value);
      } else if (s.name == name + "_count") {
        counts[labels] = s.value;
      }
    }
    for (const auto& [labels, list] : buckets) {
      double last_le = -INFINITY, last = 0;
      for (const auto& [le, v] : list) {
        if (le <= last_le || v < last) {
          throw std::runtime_error(name + ": buckets not ascending and cumulative");
        }
        last_le = le;
        last = v;
      }
      if (!std::isinf(last_le) || counts.count(labels) == 0 || counts[labels] != last) {
        throw std::runtime_error(name + ": the +Inf bucket is missing or differs from _count");
      }
    }
  }
  return families;
}

// The sum of a family's samples named `sample` whose labels include `match`.
inline double prom_sum(const std::map<std::string, PromFamily>& families, const std::string& family,
                       const std::string& sample,
                       const std::map<std::string, std::string>& match = {}) {
  double total = 0;
  const auto it = families.find(family);
  if (it == families.end())
    return 0;
  for (const auto& s : it->second.samples) {
    if (s.name != sample)
      continue;
    bool ok = true;
    for (const auto& [k, v] : match) {
      const auto l = s.labels.find(k);
      ok = ok && l != s.labels.end() && l->second == v;
    }
    if (ok)
      total += s.value;
  }
  return total;
}

}  // namespace llmbench::testing
