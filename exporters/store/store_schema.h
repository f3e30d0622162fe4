// The event store's SQLite schema, shared by the writer (exporters/
// sqlite_store) and the read-only queries (event_store_reader). The schema
// is documented in docs/store.md; PRAGMA user_version carries its version.
#pragma once

#include <string>

#include "exit_codes.h"

struct sqlite3;

namespace hupwatch {

inline constexpr int kStoreSchemaVersion = 1;
// The store hupwatch run writes and replay, why and tree read.
inline constexpr const char* kDefaultDbPath = "/var/lib/hupwatch/hupwatch.db";

enum class SchemaState { Empty, Current, Invalid };

// Checks that `db` is a hupwatch store this build can read. Empty: a new,
// empty SQLite file (the writer then creates the schema). Invalid: `error`
// holds one line naming `path` ("is not a SQLite database", "is not a
// hupwatch database", "newer schema 7; ...", "is corrupt").
SchemaState check_store_schema(sqlite3* db, const std::string& path, std::string& error);

// Creates the tables and indexes and sets user_version, in one transaction.
bool create_store_schema(sqlite3* db, std::string& error);

// Adds what later versions added to schema 1, each by addition (a column
// older readers ignore): gaps.reason. false with a one-line error.
bool upgrade_store_schema(sqlite3* db, std::string& error);
bool store_has_column(sqlite3* db, const char* table, const char* column);

// One line for a failed SQLite call on `path`, mapping the codes people meet
// (not a database, corrupt, read-only, disk full) to plain words.
std::string store_error_line(sqlite3* db, int rc, const std::string& path);

}  // namespace hupwatch
