// `occam report`: the request log aggregated per route and per answering tier: requests, share, p50/p95
// latency, cost against the all-LLM baseline, energy, escalation and verification-failure rates. Totals
// are plain sums over the log's rows (tests check them against SQLite's own SUM).
#pragma once

#include <cstdint>
#include <map>
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

// What the request log cannot know, supplied by the caller of report_html (e.g. `occam report --html`).
struct HtmlAccuracy {
  std::string name;  // what was compared, e.g. "category vs banking77 label"
  int64_t correct = 0;
  int64_t total = 0;
};
struct HtmlExtras {
  std::string title = "occam report";
  std::string source;                         // where the records came from (the request log's path)
  std::vector<HtmlAccuracy> accuracy;         // quality where labels exist
  std::map<std::string, int64_t> step_tiers;  // what answered workflow steps (rules, classic, models)
  std::vector<std::string> notes;             // shown as given (escaped), e.g. which model is a stand-in
};
// A self-contained HTML page (inline CSS and SVG plots, no script, no external asset): totals against the
// all-LLM baseline, the per-route/tier table, requests / cost / energy per tier, the latency distribution
// of `records`, workflow step tiers and accuracy when given. Every text from the log is HTML-escaped.
// The totals table (id='totals') carries each sum at full precision in data-value, for checks.
std::string report_html(const Report& report, std::span<const store::RequestRecord> records,
                        const HtmlExtras& extras = {});

}  // namespace occam::router
