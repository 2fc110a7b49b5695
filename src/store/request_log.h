// The request log: one row per answered (or refused) request, with the router's decision trace. Writes
// never block the request path: append() queues the record and a writer thread inserts queued records in
// one SQLite transaction per batch (every `batch_size` records or `flush_interval`, whichever first).
//
//   auto log = store::RequestLog::open("occam.db");
//   log->append({...});            // request path: a queue push under a mutex
//   log->flush();                  // tests and shutdown: wait until everything queued is on disk
//   auto row = log->find("req-42");
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace occam::store {

struct RequestRecord {
  std::string request_id;
  std::string route;  // route name, or the model name when no route was involved
  int64_t unix_ms = 0;
  std::string answered_by;  // the model whose answer was returned ("" when refused or failed)
  bool refused = false;
  int attempts = 0;         // tiers tried
  int escalations = 0;      // attempts - 1 when answered
  int verify_failures = 0;  // failed verdicts over all attempts
  double latency_ms = 0;
  int64_t prompt_tokens = 0;  // summed over attempts
  int64_t completion_tokens = 0;
  double cost = 0;           // summed over attempts
  double baseline_cost = 0;  // what the all-LLM baseline would have cost
  double energy_j = 0;
  std::string trace_json;  // the full decision trace
};

struct RequestLogOptions {
  size_t batch_size = 256;
  std::chrono::milliseconds flush_interval{50};
};

class RequestLog {
 public:
  // Opens (creating if needed) the SQLite database at `path` (":memory:" works for one process).
  static Result<std::unique_ptr<RequestLog>> open(const std::filesystem::path& path,
                                                  RequestLogOptions options = {});
  ~RequestLog();  // writes what is queued, then stops the writer
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  // Never blocks on SQLite.
  void append(RequestRecord record);
  // Waits until every record appended before the call is committed; returns the first write error seen.
  Status flush();

  Result<std::optional<RequestRecord>> find(const std::string& request_id) const;
  // Every record, oldest first (optionally one route only).
  Result<std::vector<RequestRecord>> all(const std::string& route = {}) const;
  // SUM()s computed by SQLite, for checking reports against the log.
  struct Totals {
    int64_t requests = 0;
    int64_t prompt_tokens = 0;
    int64_t completion_tokens = 0;
    double cost = 0;
    double baseline_cost = 0;
    double energy_j = 0;
    double latency_ms = 0;
  };
  Result<Totals> totals() const;

 private:
  struct Impl;
  explicit RequestLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace occam::store
