// Small SQLite calls the store's writer, row writer and pruner share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace hupwatch {

// sqlite3_exec without results; false on any error (sqlite3_errmsg says it).
bool exec_sql(sqlite3* db, const char* sql);
// The first column of the first row, or fallback (no row, NULL, an error).
std::int64_t query_int(sqlite3* db, const char* sql, std::int64_t fallback = 0);

void bind_i64(sqlite3_stmt* stmt, int index, std::int64_t value);
void bind_u64(sqlite3_stmt* stmt, int index, std::uint64_t value);
// Copied: the text may go before the step.
void bind_text(sqlite3_stmt* stmt, int index, const std::string& text);
// Not copied: the text must outlive the step.
void bind_static_text(sqlite3_stmt* stmt, int index, std::string_view text);
// Steps a prepared statement once, then resets it for the next binding.
bool step_done(sqlite3_stmt* stmt);

}  // namespace hupwatch
