// The durable run store: every run and every finished step is committed here before the next step
// starts, so a run that a crash interrupted resumes from its last finished step. One small interface,
// one file per engine (sqlite.cpp, postgres.cpp), registered with OCCAM_REGISTER_RUN_STORE.
//
// Tool steps write `started` (with the step's idempotency key) before the call and `done` after it: a
// crash between the two leaves `started`, and the resumed run repeats the call with the same key, which
// the tool server uses to answer the repeat without doing the work twice (docs in src/workflow/README.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace occam::workflow {

struct RunRecord {
  std::string id;
  std::string workflow;
  std::string input_json;
  std::string status;  // running, done, failed
  std::string output_json;
  std::string error;
};

struct StepRecord {
  std::string path;             // "pii", "items[3].classify", "agent.iter2.tool0"
  std::string status;           // started, done
  std::string output_json;      // when done
  std::string tier;             // what answered: rules, classic, a model name, tool, ...
  std::string idempotency_key;  // when the step called a tool
  int64_t attempts = 0;         // how many times it was started
};

class RunStore {
 public:
  virtual ~RunStore() = default;
  // Creates the run when absent; returns the stored record either way (a resumed run keeps its input).
  virtual Result<RunRecord> open_run(const std::string& id, const std::string& workflow,
                                     const std::string& input_json) = 0;
  virtual Result<std::optional<RunRecord>> get_run(const std::string& id) = 0;
  // Every step of a run, by path.
  virtual Result<std::map<std::string, StepRecord>> steps(const std::string& run_id) = 0;
  // Records that a step is about to call out (attempts + 1), durably, before the call.
  virtual Status step_started(const std::string& run_id, const std::string& path,
                              const std::string& idempotency_key) = 0;
  virtual Status step_done(const std::string& run_id, const std::string& path, const std::string& output_json,
                           const std::string& tier) = 0;
  virtual Status finish_run(const std::string& id, const std::string& status, const std::string& output_json,
                            const std::string& error) = 0;
  // Runs still `running` (interrupted), oldest first; all workflows when `workflow` is empty.
  virtual Result<std::vector<std::string>> unfinished_runs(const std::string& workflow) = 0;
};

struct RunStoreSettings {
  std::string kind = "sqlite";  // sqlite, postgres
  std::string path;             // sqlite: the database file
  std::string url;              // postgres: a libpq connection string or URI
};

using RunStoreFactory = std::function<Result<std::unique_ptr<RunStore>>(const RunStoreSettings&)>;
std::map<std::string, RunStoreFactory, std::less<>>& run_store_registry();
Result<std::unique_ptr<RunStore>> make_run_store(const RunStoreSettings& settings);

struct RunStoreRegistration {
  RunStoreRegistration(std::string kind, RunStoreFactory factory) {
    run_store_registry()[std::move(kind)] = std::move(factory);
  }
};

}  // namespace occam::workflow

#define OCCAM_REGISTER_RUN_STORE(kind, factory) \
  static ::occam::workflow::RunStoreRegistration occam_run_store_registration_##kind(#kind, factory)
