// Workflows: YAML files of typed inputs, steps and typed outputs, run durably. Each step runs on the
// cheapest tier that does the job (rules, a classic model, a route of the router, a pinned model, a tool)
// and its result is committed to the run store before the next step starts; an interrupted run resumes
// from its last finished step. src/workflow/README.md documents the file format and the guarantees.
//
//   auto engine = workflow::Engine::load("occam.yaml");        // models, routes, workflows, run store
//   auto outcome = engine->run("triage", "run-1", input);      // or resume("run-1") after a crash
//   outcome->output  // the workflow's outputs, typed as declared
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/config.h"
#include "core/error.h"

namespace occam::workflow {

class RunStore;
struct RunStoreSettings;

struct RunOutcome {
  std::string run_id;
  std::string status;  // done, failed
  boost::json::value output;
  std::string error;
  std::map<std::string, int64_t> tiers;  // what answered the steps: rules, classic, tool, a model name
  int64_t steps_run = 0;                 // steps executed by this call
  int64_t steps_replayed = 0;            // steps whose result came from the store (resumed)
  double cost = 0;                       // model cost of the steps executed by this call
};

struct EngineOptions {
  // Replaces the `workflows.store` setting of the config (e.g. `--store postgresql://...`).
  std::optional<std::string> store_url;
};

class Engine {
 public:
  // Reads `models:`, `routes:` and `workflows:` of occam.yaml. Errors name the file, line and step.
  static Result<std::unique_ptr<Engine>> load(const std::filesystem::path& config_path,
                                               const EngineOptions& options = {});
  static Result<std::unique_ptr<Engine>> from_config(const ConfigNode& root, const std::filesystem::path& base_dir,
                                                     const std::filesystem::path& default_store,
                                                     const EngineOptions& options = {});
  ~Engine();

  std::vector<std::string> workflow_names() const;
  bool has_workflow(std::string_view name) const;

  // Starts run `run_id` of `workflow`, or continues it when the store already has it (its stored input
  // wins). A finished run is returned as stored, without running anything. Thread-safe.
  Result<RunOutcome> run(std::string_view workflow, const std::string& run_id, const boost::json::value& input);
  // Continues an interrupted run from its last finished step.
  Result<RunOutcome> resume(const std::string& run_id);

  RunStore& store();

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Parses `source` in the `value` form of `store:` ("sqlite:PATH", "PATH.db", "postgresql://...",
// "postgres://...", "host=... dbname=..."), for the CLI and the config.
Result<RunStoreSettings> parse_store_url(std::string_view url);

}  // namespace occam::workflow
