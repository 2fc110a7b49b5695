// `occam report --db occam-requests.db [--json] [--route NAME]`: the request log per route and answering
// tier: requests, share, p50/p95 latency, cost against the all-LLM baseline, energy, escalation and
// verification-failure rates. Totals are sums over the log's rows.
#include "router/report.h"

#include <cstdio>
#include <iostream>

#include <boost/json.hpp>

#include "cli/command.h"
#include "store/request_log.h"

namespace occam::cli {
namespace {

struct ReportArgs {
  std::string db = "occam-requests.db", route;
  bool json = false;
};

int run_report(const ReportArgs& a) {
  if (!std::filesystem::exists(a.db)) {
    std::fprintf(stderr, "occam report: no request log at '%s'\n", a.db.c_str());
    return kExitFailure;
  }
  auto log = store::RequestLog::open(a.db);
  if (!log.ok()) {
    std::fprintf(stderr, "occam report: %s\n", log.error().message().c_str());
    return kExitFailure;
  }
  auto records = (*log)->all(a.route);
  if (!records.ok()) {
    std::fprintf(stderr, "occam report: %s\n", records.error().message().c_str());
    return kExitFailure;
  }
  router::Report report = router::build_report(*records);
  if (a.json) {
    std::cout << boost::json::serialize(router::report_json(report)) << "\n";
  } else {
    std::cout << router::report_table(report);
  }
  return kExitOk;
}

CommandRun setup_report(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  app.add_option("--db", a->db, "request log (SQLite)");
  app.add_option("--route", a->route, "one route only");
  app.add_flag("--json", a->json, "figures as JSON");
  return [a] { return run_report(*a); };
}

}  // namespace

OCCAM_REGISTER_COMMAND(report, "Per-route and per-tier figures from the request log", setup_report);

}  // namespace occam::cli
