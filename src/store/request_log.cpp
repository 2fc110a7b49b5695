#include "store/request_log.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <sqlite3.h>

#include "store/sqlite.h"

namespace occam::store {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS requests ("
    " request_id TEXT PRIMARY KEY, route TEXT NOT NULL, unix_ms INTEGER NOT NULL, answered_by TEXT NOT NULL,"
    " refused INTEGER NOT NULL, attempts INTEGER NOT NULL, escalations INTEGER NOT NULL,"
    " verify_failures INTEGER NOT NULL, latency_ms REAL NOT NULL, prompt_tokens INTEGER NOT NULL,"
    " completion_tokens INTEGER NOT NULL, cost REAL NOT NULL, baseline_cost REAL NOT NULL,"
    " energy_j REAL NOT NULL, trace TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS requests_route ON requests(route, unix_ms);";

constexpr const char* kColumns =
    "request_id, route, unix_ms, answered_by, refused, attempts, escalations, verify_failures, latency_ms,"
    " prompt_tokens, completion_tokens, cost, baseline_cost, energy_j, trace";

Error sqlite_error(sqlite3* db, std::string_view what) {
  return sqlite::error(db, "request log", what);
}
using sqlite::column_text;
using sqlite::Statement;

RequestRecord read_row(sqlite3_stmt* s) {
  RequestRecord r;
  r.request_id = column_text(s, 0);
  r.route = column_text(s, 1);
  r.unix_ms = sqlite3_column_int64(s, 2);
  r.answered_by = column_text(s, 3);
  r.refused = sqlite3_column_int(s, 4) != 0;
  r.attempts = sqlite3_column_int(s, 5);
  r.escalations = sqlite3_column_int(s, 6);
  r.verify_failures = sqlite3_column_int(s, 7);
  r.latency_ms = sqlite3_column_double(s, 8);
  r.prompt_tokens = sqlite3_column_int64(s, 9);
  r.completion_tokens = sqlite3_column_int64(s, 10);
  r.cost = sqlite3_column_double(s, 11);
  r.baseline_cost = sqlite3_column_double(s, 12);
  r.energy_j = sqlite3_column_double(s, 13);
  r.trace_json = column_text(s, 14);
  return r;
}

}  // namespace

struct RequestLog::Impl {
  sqlite3* db = nullptr;
  RequestLogOptions options;
  mutable std::mutex db_mutex;  // one connection: readers and the writer take turns

  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable flushed;
  std::deque<RequestRecord> queue;
  uint64_t appended = 0;
  uint64_t written = 0;
  bool stopping = false;
  int flush_waiters = 0;
  std::optional<Error> write_error;
  std::thread writer;

  ~Impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    if (writer.joinable()) writer.join();
    sqlite3_close(db);
  }

  Status write_batch(std::vector<RequestRecord>& batch) {
    std::lock_guard lock(db_mutex);
    if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) return sqlite_error(db, "begin");
    Statement insert;
    std::string sql =
        fmt::format("INSERT OR REPLACE INTO requests ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", kColumns);
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &insert.stmt, nullptr) != SQLITE_OK) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return sqlite_error(db, "prepare insert");
    }
    for (const RequestRecord& r : batch) {
      sqlite3_stmt* s = insert.stmt;
      sqlite3_bind_text(s, 1, r.request_id.data(), static_cast<int>(r.request_id.size()), SQLITE_STATIC);
      sqlite3_bind_text(s, 2, r.route.data(), static_cast<int>(r.route.size()), SQLITE_STATIC);
      sqlite3_bind_int64(s, 3, r.unix_ms);
      sqlite3_bind_text(s, 4, r.answered_by.data(), static_cast<int>(r.answered_by.size()), SQLITE_STATIC);
      sqlite3_bind_int(s, 5, r.refused ? 1 : 0);
      sqlite3_bind_int(s, 6, r.attempts);
      sqlite3_bind_int(s, 7, r.escalations);
      sqlite3_bind_int(s, 8, r.verify_failures);
      sqlite3_bind_double(s, 9, r.latency_ms);
      sqlite3_bind_int64(s, 10, r.prompt_tokens);
      sqlite3_bind_int64(s, 11, r.completion_tokens);
      sqlite3_bind_double(s, 12, r.cost);
      sqlite3_bind_double(s, 13, r.baseline_cost);
      sqlite3_bind_double(s, 14, r.energy_j);
      sqlite3_bind_text(s, 15, r.trace_json.data(), static_cast<int>(r.trace_json.size()), SQLITE_STATIC);
      if (sqlite3_step(s) != SQLITE_DONE) {
        Error e = sqlite_error(db, "insert");
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        return e;
      }
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
    if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return sqlite_error(db, "commit");
    return ok_status();
  }

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait_for(lock, options.flush_interval, [&] {
        return stopping || queue.size() >= options.batch_size || (flush_waiters > 0 && !queue.empty());
      });
      if (queue.empty()) {
        if (stopping) return;
        continue;
      }
      std::vector<RequestRecord> batch;
      size_t n = std::min(queue.size(), options.batch_size);
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      lock.unlock();
      Status status = write_batch(batch);
      lock.lock();
      if (!status.ok() && !write_error) write_error = status.error();
      written += n;
      flushed.notify_all();
    }
  }
};

RequestLog::RequestLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RequestLog::~RequestLog() = default;

Result<std::unique_ptr<RequestLog>> RequestLog::open(const std::filesystem::path& path,
                                                     RequestLogOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (impl->options.batch_size == 0) impl->options.batch_size = 1;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(path.c_str(), &impl->db, flags, nullptr) != SQLITE_OK) {
    return sqlite_error(impl->db, fmt::format("opening '{}'", path.string()));
  }
  sqlite3_busy_timeout(impl->db, 5000);
  // WAL: readers (occam report / explain in another process) do not block the writer.
  sqlite3_exec(impl->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr, nullptr);
  if (sqlite3_exec(impl->db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return sqlite_error(impl->db, "creating the schema");
  }
  Impl* raw = impl.get();
  impl->writer = std::thread([raw] { raw->run(); });
  return std::unique_ptr<RequestLog>(new RequestLog(std::move(impl)));
}

void RequestLog::append(RequestRecord record) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->queue.push_back(std::move(record));
    ++impl_->appended;
    if (impl_->queue.size() < impl_->options.batch_size) return;
  }
  impl_->wake.notify_one();
}

Status RequestLog::flush() {
  std::unique_lock lock(impl_->mutex);
  uint64_t target = impl_->appended;
  ++impl_->flush_waiters;
  impl_->wake.notify_one();
  impl_->flushed.wait(lock, [&] { return impl_->written >= target; });
  --impl_->flush_waiters;
  if (impl_->write_error) return *impl_->write_error;
  return ok_status();
}

Result<std::optional<RequestRecord>> RequestLog::find(const std::string& request_id) const {
  std::lock_guard lock(impl_->db_mutex);
  Statement q;
  std::string sql = fmt::format("SELECT {} FROM requests WHERE request_id = ?", kColumns);
  if (sqlite3_prepare_v2(impl_->db, sql.c_str(), -1, &q.stmt, nullptr) != SQLITE_OK) {
    return sqlite_error(impl_->db, "prepare find");
  }
  sqlite3_bind_text(q.stmt, 1, request_id.data(), static_cast<int>(request_id.size()), SQLITE_STATIC);
  int rc = sqlite3_step(q.stmt);
  if (rc == SQLITE_DONE) return std::optional<RequestRecord>();
  if (rc != SQLITE_ROW) return sqlite_error(impl_->db, "find");
  return std::optional<RequestRecord>(read_row(q.stmt));
}

Result<std::vector<RequestRecord>> RequestLog::all(const std::string& route) const {
  std::lock_guard lock(impl_->db_mutex);
  Statement q;
  std::string sql = fmt::format("SELECT {} FROM requests {} ORDER BY unix_ms, rowid", kColumns,
                                route.empty() ? "" : "WHERE route = ?");
  if (sqlite3_prepare_v2(impl_->db, sql.c_str(), -1, &q.stmt, nullptr) != SQLITE_OK) {
    return sqlite_error(impl_->db, "prepare select");
  }
  if (!route.empty())
    sqlite3_bind_text(q.stmt, 1, route.data(), static_cast<int>(route.size()), SQLITE_STATIC);
  std::vector<RequestRecord> rows;
  int rc;
  while ((rc = sqlite3_step(q.stmt)) == SQLITE_ROW) rows.push_back(read_row(q.stmt));
  if (rc != SQLITE_DONE) return sqlite_error(impl_->db, "select");
  return rows;
}

Result<RequestLog::Totals> RequestLog::totals() const {
  std::lock_guard lock(impl_->db_mutex);
  Statement q;
  const char* sql =
      "SELECT COUNT(*), TOTAL(prompt_tokens), TOTAL(completion_tokens), TOTAL(cost), TOTAL(baseline_cost),"
      " TOTAL(energy_j), TOTAL(latency_ms) FROM requests";
  if (sqlite3_prepare_v2(impl_->db, sql, -1, &q.stmt, nullptr) != SQLITE_OK) {
    return sqlite_error(impl_->db, "prepare totals");
  }
  if (sqlite3_step(q.stmt) != SQLITE_ROW) return sqlite_error(impl_->db, "totals");
  Totals t;
  t.requests = sqlite3_column_int64(q.stmt, 0);
  t.prompt_tokens = static_cast<int64_t>(sqlite3_column_double(q.stmt, 1));
  t.completion_tokens = static_cast<int64_t>(sqlite3_column_double(q.stmt, 2));
  t.cost = sqlite3_column_double(q.stmt, 3);
  t.baseline_cost = sqlite3_column_double(q.stmt, 4);
  t.energy_j = sqlite3_column_double(q.stmt, 5);
  t.latency_ms = sqlite3_column_double(q.stmt, 6);
  return t;
}

}  // namespace occam::store
