#pragma once

#include <string_view>
#include <vector>

namespace llmbench::store {

// Migration i (0-based) takes a database from user_version i to i + 1. Append only: a
// released migration is never edited, a change is a new migration.
const std::vector<std::string_view>& migrations();
inline int latest_schema_version() {
  return static_cast<int>(migrations().size());
}

class Database;
// Applies the missing migrations, each in its own transaction. Safe against a concurrent
// opener: the version is read again under the write lock.
void migrate(Database& db);

}  // namespace llmbench::store
