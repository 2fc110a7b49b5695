// The default run store: one SQLite file beside the config. WAL with synchronous=NORMAL: a commit is in
// the OS once sqlite3_step returns, so it survives the process being killed (SIGKILL); synchronous=FULL
// (`sync: full`) would also survive power loss at the price of an fsync per commit.
#include "store/sqlite.h"

#include <mutex>

#include <sqlite3.h>

#include "workflow/store/run_store.h"

namespace occam::workflow {
namespace {

Error sqlite_error(sqlite3* db, std::string_view what) {
  return store::sqlite::error(db, "run store (sqlite)", what);
}
using store::sqlite::column_text;
using store::sqlite::Statement;

class SqliteRunStore final : public RunStore {
 public:
  explicit SqliteRunStore(sqlite3* db) : db_(db) {}
  ~SqliteRunStore() override { sqlite3_close(db_); }

  static Result<std::unique_ptr<RunStore>> open(const RunStoreSettings& settings) {
    if (settings.path.empty()) return make_error(ErrorCode::invalid_argument, "run store (sqlite): no path");
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(settings.path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      Error e = sqlite_error(db, fmt::format("opening '{}'", settings.path));
      sqlite3_close(db);
      return e;
    }
    auto store = std::make_unique<SqliteRunStore>(db);
    sqlite3_busy_timeout(db, 10000);
    OCCAM_TRY(store->exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        "CREATE TABLE IF NOT EXISTS workflow_runs (id TEXT PRIMARY KEY, workflow TEXT NOT NULL,"
        " input TEXT NOT NULL, status TEXT NOT NULL, output TEXT NOT NULL DEFAULT '', error TEXT NOT NULL "
        "DEFAULT '',"
        " created_ms INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)));"
        "CREATE INDEX IF NOT EXISTS workflow_runs_status ON workflow_runs (status, workflow);"
        "CREATE TABLE IF NOT EXISTS workflow_steps (run_id TEXT NOT NULL, path TEXT NOT NULL, status TEXT "
        "NOT NULL,"
        " output TEXT NOT NULL DEFAULT '', tier TEXT NOT NULL DEFAULT '', idempotency_key TEXT NOT NULL "
        "DEFAULT '',"
        " attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, path));"));
    return std::unique_ptr<RunStore>(std::move(store));
  }

  Result<RunRecord> open_run(const std::string& id, const std::string& workflow,
                             const std::string& input_json) override {
    std::lock_guard lock(mutex_);
    OCCAM_TRY(
        run("INSERT OR IGNORE INTO workflow_runs (id, workflow, input, status) VALUES (?, ?, ?, 'running')",
            {id, workflow, input_json}));
    OCCAM_ASSIGN_OR_RETURN(auto record, get_locked(id));
    if (!record) return make_error(ErrorCode::internal, "run store (sqlite): run '{}' vanished", id);
    return *record;
  }

  Result<std::optional<RunRecord>> get_run(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return get_locked(id);
  }

  Result<std::map<std::string, StepRecord>> steps(const std::string& run_id) override {
    std::lock_guard lock(mutex_);
    Statement s;
    OCCAM_TRY(
        prepare("SELECT path, status, output, tier, idempotency_key, attempts FROM workflow_steps "
                "WHERE run_id = ?",
                {run_id}, s));
    std::map<std::string, StepRecord> out;
    int rc;
    while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) {
      StepRecord r;
      r.path = column_text(s.stmt, 0);
      r.status = column_text(s.stmt, 1);
      r.output_json = column_text(s.stmt, 2);
      r.tier = column_text(s.stmt, 3);
      r.idempotency_key = column_text(s.stmt, 4);
      r.attempts = sqlite3_column_int64(s.stmt, 5);
      out.emplace(r.path, std::move(r));
    }
    if (rc != SQLITE_DONE) return sqlite_error(db_, "reading steps");
    return out;
  }

  Status step_started(const std::string& run_id, const std::string& path, const std::string& key) override {
    std::lock_guard lock(mutex_);
    return run(
        "INSERT INTO workflow_steps (run_id, path, status, idempotency_key, attempts) VALUES (?, ?, "
        "'started', ?, 1)"
        " ON CONFLICT (run_id, path) DO UPDATE SET attempts = attempts + 1, idempotency_key = "
        "excluded.idempotency_key",
        {run_id, path, key});
  }

  Status step_done(const std::string& run_id, const std::string& path, const std::string& output_json,
                   const std::string& tier) override {
    std::lock_guard lock(mutex_);
    return run(
        "INSERT INTO workflow_steps (run_id, path, status, output, tier) VALUES (?, ?, 'done', ?, ?)"
        " ON CONFLICT (run_id, path) DO UPDATE SET status = 'done', output = excluded.output, tier = "
        "excluded.tier",
        {run_id, path, output_json, tier});
  }

  Status finish_run(const std::string& id, const std::string& status, const std::string& output_json,
                    const std::string& error) override {
    std::lock_guard lock(mutex_);
    return run("UPDATE workflow_runs SET status = ?, output = ?, error = ? WHERE id = ?",
               {status, output_json, error, id});
  }

  Result<std::vector<std::string>> unfinished_runs(const std::string& workflow) override {
    std::lock_guard lock(mutex_);
    Statement s;
    OCCAM_TRY(
        prepare("SELECT id FROM workflow_runs WHERE status = 'running' AND (? = '' OR workflow = ?) "
                "ORDER BY created_ms, id",
                {workflow, workflow}, s));
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) out.push_back(column_text(s.stmt, 0));
    if (rc != SQLITE_DONE) return sqlite_error(db_, "listing unfinished runs");
    return out;
  }

 private:
  Status exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      Error e = make_error(ErrorCode::io, "run store (sqlite): {}", message ? message : "exec failed");
      sqlite3_free(message);
      return e;
    }
    return ok_status();
  }

  Status prepare(const char* sql, std::initializer_list<std::string_view> args, Statement& s) {
    if (sqlite3_prepare_v2(db_, sql, -1, &s.stmt, nullptr) != SQLITE_OK) return sqlite_error(db_, "prepare");
    int i = 1;
    for (std::string_view a : args) {
      if (sqlite3_bind_text(s.stmt, i++, a.data(), static_cast<int>(a.size()), SQLITE_TRANSIENT) !=
          SQLITE_OK) {
        return sqlite_error(db_, "bind");
      }
    }
    return ok_status();
  }

  Status run(const char* sql, std::initializer_list<std::string_view> args) {
    Statement s;
    OCCAM_TRY(prepare(sql, args, s));
    if (sqlite3_step(s.stmt) != SQLITE_DONE) return sqlite_error(db_, "write");
    return ok_status();
  }

  Result<std::optional<RunRecord>> get_locked(const std::string& id) {
    Statement s;
    OCCAM_TRY(prepare("SELECT id, workflow, input, status, output, error FROM workflow_runs WHERE id = ?",
                      {id}, s));
    int rc = sqlite3_step(s.stmt);
    if (rc == SQLITE_DONE) return std::optional<RunRecord>();
    if (rc != SQLITE_ROW) return sqlite_error(db_, "reading run");
    RunRecord r{column_text(s.stmt, 0), column_text(s.stmt, 1), column_text(s.stmt, 2),
                column_text(s.stmt, 3), column_text(s.stmt, 4), column_text(s.stmt, 5)};
    return std::optional<RunRecord>(std::move(r));
  }

  sqlite3* db_;
  std::mutex mutex_;
};

}  // namespace

OCCAM_REGISTER_RUN_STORE(sqlite, SqliteRunStore::open);

}  // namespace occam::workflow
