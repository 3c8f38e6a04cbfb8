#pragma once
// A run as one portable file: the run, its targets, every request row and its histograms, as
// gzipped JSON ("llmbench.run-export/1"), so a baseline can travel as a CI artifact or be
// committed, and be imported into another database.

#include <string>

#include "llmbench/store/database.hpp"

namespace llmbench::store {

inline constexpr std::string_view k_export_schema = "llmbench.run-export/1";

// Writes run `run_id` to `path` (gzip). Throws InputError when the file cannot be written.
void export_run(Database& db, const std::string& run_id, const std::string& path);
// Reads a file written by export_run into `db`; returns the run id. A run already in the
// database is refused (InputError), and nothing is written unless everything is.
std::string import_run(Database& db, const std::string& path);

}  // namespace llmbench::store
