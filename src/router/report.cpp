#include "router/report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace occam::router {
namespace {

// Nearest-rank percentile of sorted values.
double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size(), std::max<size_t>(rank, 1)) - 1];
}

struct Acc {
  ReportRow row;
  std::vector<double> latencies;
  int64_t escalated = 0;
  int64_t failures = 0;

  void add(const store::RequestRecord& r) {
    row.requests += 1;
    row.prompt_tokens += r.prompt_tokens;
    row.completion_tokens += r.completion_tokens;
    row.cost += r.cost;
    row.baseline_cost += r.baseline_cost;
    row.energy_j += r.energy_j;
    row.latency_ms += r.latency_ms;
    row.attempts += r.attempts;
    escalated += r.escalations > 0 ? 1 : 0;
    failures += r.verify_failures;
    latencies.push_back(r.latency_ms);
  }
  ReportRow finish(int64_t route_requests) {
    row.share = route_requests ? static_cast<double>(row.requests) / static_cast<double>(route_requests) : 0;
    row.p50_ms = percentile(latencies, 0.50);
    row.p95_ms = percentile(latencies, 0.95);
    row.escalation_rate =
        row.requests ? static_cast<double>(escalated) / static_cast<double>(row.requests) : 0;
    row.verify_failure_rate =
        row.attempts ? static_cast<double>(failures) / static_cast<double>(row.attempts) : 0;
    return row;
  }
};

}  // namespace

Report build_report(std::span<const store::RequestRecord> records) {
  std::map<std::string, std::map<std::string, Acc>> by_route;
  std::map<std::string, Acc> route_totals;
  Acc total;
  for (const store::RequestRecord& r : records) {
    std::string tier = r.refused ? "(refused)" : r.answered_by.empty() ? "(failed)" : r.answered_by;
    by_route[r.route][tier].add(r);
    route_totals[r.route].add(r);
    total.add(r);
  }
  Report report;
  for (auto& [route, tiers] : by_route) {
    int64_t n = route_totals[route].row.requests;
    for (auto& [tier, acc] : tiers) {
      acc.row.route = route;
      acc.row.tier = tier;
      report.rows.push_back(acc.finish(n));
    }
    Acc& all = route_totals[route];
    all.row.route = route;
    all.row.tier = "*";
    report.rows.push_back(all.finish(n));
  }
  total.row.route = "*";
  total.row.tier = "*";
  report.total = total.finish(total.row.requests);
  return report;
}

std::string report_table(const Report& report) {
  std::string out = fmt::format(
      "{:<14} {:<18} {:>8} {:>7} {:>9} {:>9} {:>12} {:>12} {:>7} {:>10} {:>7} {:>7}\n", "route", "tier",
      "requests", "share", "p50 ms", "p95 ms", "cost", "baseline", "saved", "energy J", "escal.", "v.fail");
  auto line = [&](const ReportRow& r) {
    double saved = r.baseline_cost > 0 ? 1.0 - r.cost / r.baseline_cost : 0.0;
    out += fmt::format(
        "{:<14} {:<18} {:>8} {:>6.1f}% {:>9.2f} {:>9.2f} {:>12.6f} {:>12.6f} {:>6.1f}% {:>10.3f} {:>6.1f}% "
        "{:>6.1f}%\n",
        r.route, r.tier, r.requests, 100 * r.share, r.p50_ms, r.p95_ms, r.cost, r.baseline_cost, 100 * saved,
        r.energy_j, 100 * r.escalation_rate, 100 * r.verify_failure_rate);
  };
  for (const ReportRow& r : report.rows) line(r);
  line(report.total);
  out += fmt::format("total tokens: {} prompt + {} completion\n", report.total.prompt_tokens,
                     report.total.completion_tokens);
  return out;
}

boost::json::object report_json(const Report& report) {
  auto row_json = [](const ReportRow& r) {
    boost::json::object o;
    o["route"] = r.route;
    o["tier"] = r.tier;
    o["requests"] = r.requests;
    o["share"] = r.share;
    o["p50_ms"] = r.p50_ms;
    o["p95_ms"] = r.p95_ms;
    o["prompt_tokens"] = r.prompt_tokens;
    o["completion_tokens"] = r.completion_tokens;
    o["cost"] = r.cost;
    o["baseline_cost"] = r.baseline_cost;
    o["energy_j"] = r.energy_j;
    o["latency_ms"] = r.latency_ms;
    o["attempts"] = r.attempts;
    o["escalation_rate"] = r.escalation_rate;
    o["verify_failure_rate"] = r.verify_failure_rate;
    return o;
  };
  boost::json::array rows;
  for (const ReportRow& r : report.rows) rows.push_back(row_json(r));
  boost::json::object o;
  o["rows"] = std::move(rows);
  o["total"] = row_json(report.total);
  return o;
}

}  // namespace occam::router
