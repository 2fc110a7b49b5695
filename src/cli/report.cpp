// `occam report --db occam-requests.db [--json] [--route NAME]`: the request log per route and answering
// tier: requests, share, p50/p95 latency, cost against the all-LLM baseline, energy, escalation and
// verification-failure rates. Totals are sums over the log's rows.
//
// `--html FILE` also writes a self-contained page with plots; `--flow-results RESULTS.jsonl` (from
// `occam flow batch`) adds the tiers that answered workflow steps, `--accuracy FILE.json`
// ([{"name", "correct", "total"}], computed by whoever holds the labels) adds accuracy, `--note` a line.
#include "router/report.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>

#include "cli/command.h"
#include "core/file.h"
#include "store/request_log.h"

namespace occam::cli {
namespace {

struct ReportArgs {
  std::string db = "occam-requests.db", route;
  bool json = false;
  std::string html, title = "occam report", flow_results, accuracy;
  std::vector<std::string> notes;
};

namespace json = boost::json;

// Sums the `tiers` object of every line of `occam flow batch` results.
Status add_step_tiers(const std::string& path, std::map<std::string, int64_t>& tiers) {
  OCCAM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  std::istringstream in(text);
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object())
      return make_error(ErrorCode::invalid_argument, "{}:{}: not a JSON object", path, number);
    const json::value* t = v.as_object().if_contains("tiers");
    if (t == nullptr || !t->is_object()) continue;  // a run that failed before any step
    for (const auto& [tier, n] : t->as_object()) {
      if (!n.is_int64())
        return make_error(ErrorCode::invalid_argument, "{}:{}: tiers.{} is not an integer", path, number,
                          std::string(tier));
      tiers[std::string(tier)] += n.as_int64();
    }
  }
  return ok_status();
}

Status add_accuracy(const std::string& path, std::vector<router::HtmlAccuracy>& out) {
  OCCAM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return make_error(ErrorCode::invalid_argument, "{}: expected a JSON array", path);
  for (size_t i = 0; i < v.as_array().size(); ++i) {
    const json::value& item = v.as_array()[i];
    const json::object* o = item.if_object();
    const json::value* name = o ? o->if_contains("name") : nullptr;
    const json::value* correct = o ? o->if_contains("correct") : nullptr;
    const json::value* total = o ? o->if_contains("total") : nullptr;
    if (!name || !name->is_string() || !correct || !correct->is_int64() || !total || !total->is_int64()) {
      return make_error(ErrorCode::invalid_argument,
                        "{}: [{}]: expected {{name: string, correct: int, total: int}}", path, i);
    }
    out.push_back({std::string(name->as_string()), correct->as_int64(), total->as_int64()});
  }
  return ok_status();
}

Status write_html(const ReportArgs& a, const router::Report& report,
                  std::span<const store::RequestRecord> records) {
  router::HtmlExtras extras;
  extras.title = a.title;
  extras.source = a.db;
  extras.notes = a.notes;
  if (!a.flow_results.empty()) OCCAM_TRY(add_step_tiers(a.flow_results, extras.step_tiers));
  if (!a.accuracy.empty()) OCCAM_TRY(add_accuracy(a.accuracy, extras.accuracy));
  std::ofstream out(a.html, std::ios::binary | std::ios::trunc);
  out << router::report_html(report, records, extras);
  if (!out.flush()) return make_error(ErrorCode::io, "cannot write '{}'", a.html);
  return ok_status();
}

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
  if (!a.html.empty()) {
    if (Status st = write_html(a, report, *records); !st.ok()) {
      std::fprintf(stderr, "occam report: %s\n", st.error().message().c_str());
      return kExitFailure;
    }
    std::fprintf(stderr, "occam report: wrote %s\n", a.html.c_str());
  }
  return kExitOk;
}

CommandRun setup_report(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  app.add_option("--db", a->db, "request log (SQLite)");
  app.add_option("--route", a->route, "one route only");
  app.add_flag("--json", a->json, "figures as JSON");
  app.add_option("--html", a->html, "also write a self-contained HTML report with plots to FILE");
  app.add_option("--title", a->title, "title of the HTML report");
  app.add_option("--note", a->notes, "a line shown on the HTML report (repeatable)");
  app.add_option("--flow-results", a->flow_results,
                 "`occam flow batch` results: tiers of workflow steps (HTML)");
  app.add_option("--accuracy", a->accuracy, "JSON [{name, correct, total}] shown on the HTML report");
  return [a] { return run_report(*a); };
}

}  // namespace

OCCAM_REGISTER_COMMAND(report, "Per-route and per-tier figures from the request log", setup_report);

}  // namespace occam::cli
