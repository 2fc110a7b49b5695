// Small SQLite helpers shared by every store that keeps a SQLite file (request log, workflow runs).
#pragma once

#include <string>
#include <string_view>

#include <sqlite3.h>

#include "core/error.h"

namespace occam::store::sqlite {

// An io error "<who>: <what>: <SQLite's message>".
inline Error error(sqlite3* db, std::string_view who, std::string_view what) {
  return make_error(ErrorCode::io, "{}: {}: {}", who, what, db ? sqlite3_errmsg(db) : "no database");
}

// A prepared statement finalized when it goes out of scope.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt); }
};

// Column i as text ("" for NULL), embedded NULs kept.
inline std::string column_text(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

}  // namespace occam::store::sqlite
