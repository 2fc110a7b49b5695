// `occam report`: the request log aggregated per route and per answering tier: requests, share, p50/p95
// latency, cost against the all-LLM baseline, energy, escalation and verification-failure rates. Totals
// are plain sums over the log's rows (tests check them against SQLite's own SUM).
#pragma once

#include <span>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "store/request_log.h"

namespace occam::router {

struct ReportRow {
  std::string route;
  std::string tier;  // the model that answered; "(refused)" / "(failed)" otherwise; "*" for a route's total
  int64_t requests = 0;
  double share = 0;  // of the route's requests
  double p50_ms = 0, p95_ms = 0;
  int64_t prompt_tokens = 0, completion_tokens = 0;
  double cost = 0, baseline_cost = 0, energy_j = 0, latency_ms = 0;
  double escalation_rate = 0;      // requests answered after at least one escalation
  double verify_failure_rate = 0;  // failed verdicts per attempt
  int64_t attempts = 0;
};

struct Report {
  std::vector<ReportRow> rows;  // per (route, tier), then one "*" row per route
  ReportRow total;              // over the whole log
};

Report build_report(std::span<const store::RequestRecord> records);
std::string report_table(const Report& report);
boost::json::object report_json(const Report& report);

}  // namespace occam::router
