#include "llmbench/metrics/prometheus.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace llmbench::metrics {

namespace {

bool valid_name(std::string_view name, bool label) {
  if (name.empty() || (label && name.rfind("__", 0) == 0)) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) {
      return false;
    }
  }
  return true;
}

std::string number(double v) {
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  if (std::isnan(v)) {
    return "NaN";
  }
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return fmt::format("{:.1f}", v);
  }
  return fmt::format("{}", v);
}

std::string labels_text(const std::vector<std::string>& names,
                        const std::vector<std::string>& values, std::string_view extra_name = {},
                        std::string_view extra_value = {}) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i];
    out += "=\"";
    out += prometheus_escape(values[i], true);
    out += '"';
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  if (!out.empty()) {
    out += '}';
  }
  return out;
}

}  // namespace

std::string prometheus_escape(std::string_view text, bool label_value) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && label_value) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

const std::vector<double>& Prometheus::latency_buckets() {
  static const std::vector<double> b = {
      0.005, 0.00625, 0.0125, 0.025, 0.05, 0.1,  0.5,  1.0,   1.5,   2.0,   2.5,  3.0,
      3.5,   4.0,     4.5,    5.0,   5.5,  6.0,  6.5,  7.0,   7.5,   8.0,   8.5,  9.0,
      9.5,   10.0,    15.0,   20.0,  25.0, 30.0, 60.0, 120.0, 180.0, 240.0, 300.0};
  return b;
}

const std::vector<double>& Prometheus::token_buckets() {
  static const std::vector<double> b = {1,    10,    100,   500,   1000,   2000,  4000,
                                        8000, 16000, 32000, 64000, 128000, 256000};
  return b;
}

void Prometheus::declare(std::string name, Type type, std::string help,
                         std::vector<std::string> label_names, std::vector<double> buckets) {
  if (!valid_name(name, false)) {
    throw std::logic_error("not a Prometheus metric name: " + name);
  }
  for (const auto& l : label_names) {
    if (!valid_name(l, true) || (type == Type::histogram && l == "le")) {
      throw std::logic_error("not a Prometheus label name: " + l);
    }
  }
  std::lock_guard lock(m_mu);
  Family f;
  f.name = std::move(name);
  f.type = type;
  f.help = std::move(help);
  f.label_names = std::move(label_names);
  f.buckets = std::move(buckets);
  m_families.push_back(std::move(f));
}

Prometheus::Family& Prometheus::family(std::string_view name, std::size_t values) {
  for (auto& f : m_families) {
    if (f.name == name) {
      if (values != f.label_names.size()) {
        throw std::logic_error(
            fmt::format("{} takes {} label values, not {}", name, f.label_names.size(), values));
      }
      return f;
    }
  }
  throw std::logic_error(fmt::format("undeclared metric {}", name));
}

void Prometheus::add(std::string_view name, const std::vector<std::string>& values, double amount) {
  std::lock_guard lock(m_mu);
  family(name, values.size()).series[values].value += amount;
}

void Prometheus::set(std::string_view name, const std::vector<std::string>& values, double value) {
  std::lock_guard lock(m_mu);
  family(name, values.size()).series[values].value = value;
}

void Prometheus::observe(std::string_view name, const std::vector<std::string>& values,
                         double value) {
  std::lock_guard lock(m_mu);
  Family& f = family(name, values.size());
  Series& s = f.series[values];
  if (s.counts.empty()) {
    s.counts.assign(f.buckets.size() + 1, 0);
  }
  std::size_t i = 0;
  while (i < f.buckets.size() && value > f.buckets[i]) {
    ++i;
  }
  s.counts[i] += 1;
  s.sum += value;
  s.count += 1;
}

std::string Prometheus::render() const {
  std::lock_guard lock(m_mu);
  std::string out;
  for (const auto& f : m_families) {
    const std::string shown = f.type == Type::counter ? f.name + "_total" : f.name;
    const std::string_view type = f.type == Type::counter ? "counter"
                                  : f.type == Type::gauge ? "gauge"
                                                          : "histogram";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", shown, prometheus_escape(f.help, false),
                       shown, type);
    for (const auto& [values, s] : f.series) {
      if (f.type != Type::histogram) {
        out += shown + labels_text(f.label_names, values) + ' ' + number(s.value) + '\n';
        continue;
      }
      double cumulative = 0;
      for (std::size_t i = 0; i <= f.buckets.size(); ++i) {
        cumulative += s.counts[i];
        const std::string le = i < f.buckets.size() ? number(f.buckets[i]) : "+Inf";
        out += f.name + "_bucket" + labels_text(f.label_names, values, "le", le) + ' ' +
               number(cumulative) + '\n';
      }
      out += f.name + "_sum" + labels_text(f.label_names, values) + ' ' + number(s.sum) + '\n';
      out += f.name + "_count" + labels_text(f.label_names, values) + ' ' + number(s.count) + '\n';
    }
  }
  return out;
}

}  // namespace llmbench::metrics
