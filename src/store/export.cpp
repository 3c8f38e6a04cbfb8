#include "llmbench/store/export.hpp"

#include <fmt/format.h>
#include <simdjson.h>
#include <zlib.h>

#include <array>

#include "llmbench/util/error.hpp"
#include "llmbench/util/json_writer.hpp"

namespace llmbench::store {

namespace {

// The tables a run lives in, in insertion order (parents first).
// Larger than any export of a million requests; a gzip bomb stops here.
constexpr std::size_t k_max_import_bytes = std::size_t{1} << 30;

// (route_attempts came with schema v8: an older export has none.)
constexpr std::array<std::string_view, 5> k_tables = {"runs", "run_targets", "requests",
                                                      "histograms", "route_attempts"};

std::string key_column(std::string_view table) {
  return table == "runs" ? "id" : "run_id";
}

// Every row of `table` for the run, as a JSON array of objects (column -> value).
void dump_table(Database& db, std::string_view table, const std::string& run_id, std::string& out) {
  auto st = db.prepare(fmt::format("SELECT * FROM {} WHERE {} = ?", table, key_column(table)));
  st.bind(1, run_id);
  out += '[';
  bool first_row = true;
  while (st.step()) {
    out += first_row ? "{" : ",{";
    first_row = false;
    for (int c = 0; c < st.column_count(); ++c) {
      if (c > 0) {
        out += ',';
      }
      util::append_json_string(out, st.column_name(c));
      out += ':';
      switch (st.column_type(c)) {
        case Statement::Type::integer:
          out += std::to_string(st.int64(c));
          break;
        case Statement::Type::real:
          util::append_json_number(out, st.real(c));
          break;
        case Statement::Type::text:
        case Statement::Type::blob:
          util::append_json_string(out, st.text(c));
          break;
        case Statement::Type::null:
          out += "null";
          break;
      }
    }
    out += '}';
  }
  out += ']';
}

// Inserts one row of an export (its columns already checked to be plain identifiers).
void insert_row(Database& db, std::string_view table, const std::string& columns,
                const std::string& marks, simdjson::dom::object obj, const std::string& path) {
  auto st = db.prepare(fmt::format("INSERT INTO {} ({}) VALUES ({})", table, columns, marks));
  int i = 1;
  for (const auto field : obj) {
    const simdjson::dom::element v = field.value;
    std::int64_t n = 0;
    double r = 0;
    std::string_view s;
    if (v.is_null()) {
      st.bind_null(i);
    } else if (v.get_int64().get(n) == simdjson::SUCCESS) {
      st.bind(i, n);
    } else if (v.get_double().get(r) == simdjson::SUCCESS) {
      st.bind(i, r);
    } else if (v.get_string().get(s) == simdjson::SUCCESS) {
      st.bind(i, s);
    } else {
      throw InputError(fmt::format("{}: an unexpected value in `{}`", path, table));
    }
    ++i;
  }
  st.step();
}

}  // namespace

void export_run(Database& db, const std::string& run_id, const std::string& path) {
  std::string json = "{\"schema\":";
  util::append_json_string(json, k_export_schema);
  json += fmt::format(",\"schema_version\":{}", db.user_version());
  for (const auto table : k_tables) {
    json += ",";
    util::append_json_string(json, table);
    json += ":";
    dump_table(db, table, run_id, json);
  }
  json += "}\n";
  gzFile f = gzopen(path.c_str(), "wb");
  if (f == nullptr) {
    throw InputError(fmt::format("cannot write {}; choose another -o path", path));
  }
  const int written = gzwrite(f, json.data(), static_cast<unsigned>(json.size()));
  const int closed = gzclose(f);
  if (written != static_cast<int>(json.size()) || closed != Z_OK) {
    throw InputError(fmt::format("writing {} failed (disk full?)", path));
  }
}

std::string import_run(Database& db, const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) {
    throw InputError(fmt::format("cannot read {}", path));
  }
  std::string text;
  std::array<char, 1 << 16> buf{};
  for (;;) {
    const int n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      gzclose(f);
      throw InputError(fmt::format("{} is not a readable gzip file", path));
    }
    if (n == 0) {
      break;
    }
    text.append(buf.data(), static_cast<std::size_t>(n));
    if (text.size() > k_max_import_bytes) {
      gzclose(f);
      throw InputError(fmt::format("{} unpacks to more than {} MiB; no run export is that large",
                                   path, k_max_import_bytes >> 20));
    }
  }
  gzclose(f);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view schema;
  if (parser.parse(simdjson::padded_string(text)).get(doc) != simdjson::SUCCESS ||
      doc["schema"].get_string().get(schema) != simdjson::SUCCESS || schema != k_export_schema) {
    throw InputError(fmt::format("{} is not an llmbench run export ({})", path, k_export_schema));
  }
  simdjson::dom::array runs;
  if (doc["runs"].get_array().get(runs) != simdjson::SUCCESS || runs.size() != 1) {
    throw InputError(fmt::format("{}: an export holds exactly one run", path));
  }
  std::string_view run_id;
  if (runs.at(0)["id"].get_string().get(run_id) != simdjson::SUCCESS) {
    throw InputError(fmt::format("{}: the run has no id", path));
  }
  const std::string id(run_id);
  {
    auto st = db.prepare("SELECT 1 FROM runs WHERE id = ?");
    st.bind(1, id);
    if (st.step()) {
      throw InputError(fmt::format("run {} is already in {}; nothing was imported", id, db.path()));
    }
  }
  db.transaction([&] {
    for (const auto table : k_tables) {
      simdjson::dom::array rows;
      if (doc[table].get_array().get(rows) != simdjson::SUCCESS) {
        if (table == "route_attempts") {
          continue;
        }
        throw InputError(fmt::format("{}: the export has no `{}`", path, table));
      }
      for (simdjson::dom::element row : rows) {
        simdjson::dom::object obj;
        if (row.get_object().get(obj) != simdjson::SUCCESS) {
          throw InputError(fmt::format("{}: a `{}` row is not an object", path, table));
        }
        std::string columns;
        std::string marks;
        for (const auto field : obj) {
          // Column names go into SQL: only plain identifiers are accepted.
          const std::string_view key = field.key;
          if (key.empty() || key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789") !=
                                 std::string_view::npos) {
            throw InputError(
                fmt::format("{}: `{}` has an unexpected column \"{}\"", path, table, key));
          }
          columns += columns.empty() ? "" : ",";
          columns += "\"" + std::string(field.key) + "\"";
          marks += marks.empty() ? "?" : ",?";
        }
        // A row that does not fit the schema (a column it lacks, a constraint) is the file's
        // fault, not the database's.
        try {
          insert_row(db, table, columns, marks, obj, path);
        } catch (const RunError& e) {
          throw InputError(fmt::format("{}: a `{}` row does not fit this version's schema ({})",
                                       path, table, e.what()));
        }
      }
    }
  });
  return id;
}

}  // namespace llmbench::store
