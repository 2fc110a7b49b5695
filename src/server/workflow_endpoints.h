// The workflow endpoints of the gateway (src/workflow behind HTTP):
//   POST /v1/workflows/{name}/runs   {"input": {...}, "async": false}  -> the finished run (200)
//                                    {"input": {...}, "async": true}   -> 202 {"id", "status": "queued"}
//   GET  /v1/workflows/runs/{id}                                       -> the run: status, input, output,
//                                                                         every step's trace
// Runs go through workflow::Engine, the same engine and run store as `occam flow run`, on a small pool of
// threads of their own (a run blocks its thread; the gateway's I/O threads only wait for it). An async
// run is written to the run store before the 202, so a run accepted is never lost: if the process stops
// before it ran, `occam flow resume` continues it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "backends/backend.h"
#include "core/error.h"
#include "server/gateway.h"

namespace occam::server {

class WorkflowEndpoints {
 public:
  // Loads the workflows and the run store of occam.yaml; nullptr when it has no `workflows:` section.
  // `threads` runs execute at once; at most `max_pending` more wait (beyond that: 429).
  static Result<std::shared_ptr<WorkflowEndpoints>> load(const std::filesystem::path& config_path,
                                                         int threads, int max_pending);
  ~WorkflowEndpoints();

  // Answers a request whose path starts with /v1/workflows/. Request errors (unknown workflow or run, bad
  // body or input) are returned as errors for the gateway to shape; `*label` is set to the workflow's name
  // once it is known to exist (for metrics).
  backends::Task<Result<HttpReply>> handle(std::string_view method, std::string_view path,
                                           std::string_view body, std::string* label);

  // Stops the pool: runs in progress finish, queued async runs stay `running` in the store (resumable).
  void stop();

  struct Impl;

 private:
  explicit WorkflowEndpoints(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace occam::server
