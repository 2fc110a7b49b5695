// The run store on PostgreSQL (libpqxx), for several `occam` processes sharing runs. Each write is its own
// transaction, committed before the call returns. One connection, guarded by a mutex: the run store's
// writes are small and a batch's concurrency is a handful of workers.
#include <mutex>

#include <pqxx/pqxx>

#include "workflow/store/run_store.h"

namespace occam::workflow {
namespace {

class PostgresRunStore final : public RunStore {
 public:
  explicit PostgresRunStore(std::unique_ptr<pqxx::connection> c) : conn_(std::move(c)) {}

  static Result<std::unique_ptr<RunStore>> open(const RunStoreSettings& settings) {
    if (settings.url.empty()) return make_error(ErrorCode::invalid_argument, "run store (postgres): no url");
    try {
      auto conn = std::make_unique<pqxx::connection>(settings.url);
      pqxx::work tx(*conn);
      tx.exec("CREATE TABLE IF NOT EXISTS workflow_runs (id TEXT PRIMARY KEY, workflow TEXT NOT NULL,"
              " input TEXT NOT NULL, status TEXT NOT NULL, output TEXT NOT NULL DEFAULT '',"
              " error TEXT NOT NULL DEFAULT '', created TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())");
      tx.exec("CREATE INDEX IF NOT EXISTS workflow_runs_status ON workflow_runs (status, workflow)");
      tx.exec("CREATE TABLE IF NOT EXISTS workflow_steps (run_id TEXT NOT NULL, path TEXT NOT NULL,"
              " status TEXT NOT NULL, output TEXT NOT NULL DEFAULT '', tier TEXT NOT NULL DEFAULT '',"
              " idempotency_key TEXT NOT NULL DEFAULT '', attempts BIGINT NOT NULL DEFAULT 0,"
              " PRIMARY KEY (run_id, path))");
      tx.commit();
      return std::unique_ptr<RunStore>(std::make_unique<PostgresRunStore>(std::move(conn)));
    } catch (const std::exception& e) {
      return make_error(ErrorCode::unavailable, "run store (postgres): {}", e.what());
    }
  }

  Result<RunRecord> open_run(const std::string& id, const std::string& workflow,
                             const std::string& input_json) override {
    return guarded<RunRecord>("opening run", [&](pqxx::work& tx) -> Result<RunRecord> {
      tx.exec_params("INSERT INTO workflow_runs (id, workflow, input, status) VALUES ($1, $2, $3, 'running') "
                     "ON CONFLICT (id) DO NOTHING", id, workflow, input_json);
      auto record = read_run(tx, id);
      if (!record) return make_error(ErrorCode::internal, "run store (postgres): run '{}' vanished", id);
      return *record;
    });
  }

  Result<std::optional<RunRecord>> get_run(const std::string& id) override {
    return guarded<std::optional<RunRecord>>("reading run", [&](pqxx::work& tx) -> Result<std::optional<RunRecord>> {
      return read_run(tx, id);
    });
  }

  Result<std::map<std::string, StepRecord>> steps(const std::string& run_id) override {
    using Steps = std::map<std::string, StepRecord>;
    return guarded<Steps>("reading steps", [&](pqxx::work& tx) -> Result<Steps> {
      Steps out;
      for (const auto& row : tx.exec_params("SELECT path, status, output, tier, idempotency_key, attempts "
                                            "FROM workflow_steps WHERE run_id = $1", run_id)) {
        StepRecord r{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                     row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<int64_t>()};
        out.emplace(r.path, std::move(r));
      }
      return out;
    });
  }

  Status step_started(const std::string& run_id, const std::string& path, const std::string& key) override {
    return write("recording a started step", [&](pqxx::work& tx) {
      tx.exec_params("INSERT INTO workflow_steps (run_id, path, status, idempotency_key, attempts) "
                     "VALUES ($1, $2, 'started', $3, 1) ON CONFLICT (run_id, path) DO UPDATE SET "
                     "attempts = workflow_steps.attempts + 1, idempotency_key = excluded.idempotency_key",
                     run_id, path, key);
    });
  }

  Status step_done(const std::string& run_id, const std::string& path, const std::string& output_json,
                   const std::string& tier) override {
    return write("recording a finished step", [&](pqxx::work& tx) {
      tx.exec_params("INSERT INTO workflow_steps (run_id, path, status, output, tier) VALUES ($1, $2, 'done', $3, $4) "
                     "ON CONFLICT (run_id, path) DO UPDATE SET status = 'done', output = excluded.output, "
                     "tier = excluded.tier", run_id, path, output_json, tier);
    });
  }

  Status finish_run(const std::string& id, const std::string& status, const std::string& output_json,
                    const std::string& error) override {
    return write("finishing run", [&](pqxx::work& tx) {
      tx.exec_params("UPDATE workflow_runs SET status = $1, output = $2, error = $3 WHERE id = $4", status,
                     output_json, error, id);
    });
  }

  Result<std::vector<std::string>> unfinished_runs(const std::string& workflow) override {
    using Ids = std::vector<std::string>;
    return guarded<Ids>("listing unfinished runs", [&](pqxx::work& tx) -> Result<Ids> {
      Ids out;
      for (const auto& row : tx.exec_params("SELECT id FROM workflow_runs WHERE status = 'running' AND "
                                            "($1 = '' OR workflow = $1) ORDER BY created, id", workflow)) {
        out.push_back(row[0].as<std::string>());
      }
      return out;
    });
  }

 private:
  static std::optional<RunRecord> read_run(pqxx::work& tx, const std::string& id) {
    auto rows = tx.exec_params("SELECT id, workflow, input, status, output, error FROM workflow_runs WHERE id = $1", id);
    if (rows.empty()) return std::nullopt;
    const auto& row = rows[0];
    return RunRecord{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                     row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>()};
  }

  template <typename T, typename F>
  Result<T> guarded(std::string_view what, F&& body) {
    std::lock_guard lock(mutex_);
    try {
      pqxx::work tx(*conn_);
      Result<T> out = body(tx);
      tx.commit();
      return out;
    } catch (const std::exception& e) {
      return make_error(ErrorCode::unavailable, "run store (postgres): {}: {}", what, e.what());
    }
  }

  template <typename F>
  Status write(std::string_view what, F&& body) {
    std::lock_guard lock(mutex_);
    try {
      pqxx::work tx(*conn_);
      body(tx);
      tx.commit();
      return ok_status();
    } catch (const std::exception& e) {
      return make_error(ErrorCode::unavailable, "run store (postgres): {}: {}", what, e.what());
    }
  }

  std::unique_ptr<pqxx::connection> conn_;
  std::mutex mutex_;
};

}  // namespace

OCCAM_REGISTER_RUN_STORE(postgres, PostgresRunStore::open);

}  // namespace occam::workflow
