// `occam explain REQUEST_ID --db occam-requests.db [--json]`: the decision trace of one request from the
// request log: policies and their scores, tiers tried, verdicts, accounting.
#include <cmath>
#include <cstdio>
#include <iostream>

#include <boost/json.hpp>

#include "cli/command.h"
#include "router/trace.h"
#include "store/request_log.h"

namespace occam::cli {
namespace {

struct ExplainArgs {
  std::string id, db = "occam-requests.db";
  bool json = false;
};

std::string score_text(double score, double threshold) {
  if (!std::isfinite(score)) return {};
  if (!std::isfinite(threshold)) return fmt::format(" score {:.4f}", score);
  return fmt::format(" score {:.4f} vs threshold {:.4f}", score, threshold);
}

int run_explain(const ExplainArgs& a) {
  if (!std::filesystem::exists(a.db)) {
    std::fprintf(stderr, "occam explain: no request log at '%s'\n", a.db.c_str());
    return kExitFailure;
  }
  auto log = store::RequestLog::open(a.db);
  if (!log.ok()) {
    std::fprintf(stderr, "occam explain: %s\n", log.error().message().c_str());
    return kExitFailure;
  }
  auto row = (*log)->find(a.id);
  if (!row.ok()) {
    std::fprintf(stderr, "occam explain: %s\n", row.error().message().c_str());
    return kExitFailure;
  }
  if (!row->has_value()) {
    std::fprintf(stderr, "occam explain: no request '%s' in %s\n", a.id.c_str(), a.db.c_str());
    return kExitFailure;
  }
  if (a.json) {
    std::cout << (*row)->trace_json << "\n";
    return kExitOk;
  }
  auto trace = router::trace_from_json((*row)->trace_json);
  if (!trace.ok()) {
    std::fprintf(stderr, "occam explain: %s\n", trace.error().message().c_str());
    return kExitFailure;
  }
  const router::Trace& t = *trace;
  std::string out = fmt::format("request {} on route '{}'\n", t.request_id, t.route);
  if (!t.pii_kinds.empty()) {
    out += "  PII found:";
    for (const std::string& k : t.pii_kinds) out += " " + k;
    out += fmt::format(" ({} placeholders sent)\n", t.redactions);
  }
  out += fmt::format("  decision ({:.1f} us):\n", t.decision_us);
  for (const router::PolicyStep& p : t.policies) {
    out += fmt::format("    {:<11} {}{}{}\n", p.policy, p.outcome,
                       p.detail.empty() ? "" : " [" + p.detail + "]", score_text(p.score, p.threshold));
  }
  for (size_t i = 0; i < t.attempts.size(); ++i) {
    const router::Attempt& at = t.attempts[i];
    out += fmt::format("  attempt {}: {} ({}{}) {:.1f} ms, {}+{} tokens, cost {:.6f}, energy {:.3f} J{}\n",
                       i + 1, at.model, at.local ? "local" : "remote", at.redacted ? ", redacted" : "",
                       at.latency_ms, at.prompt_tokens, at.completion_tokens, at.cost, at.energy_j,
                       at.accepted ? "  <- answered" : "");
    if (!at.error.empty()) out += "    fault: " + at.error + "\n";
    for (const router::Verdict& v : at.verdicts) {
      out += fmt::format("    {} {}: {}\n", v.passed ? "pass" : "FAIL", v.verifier, v.reason);
    }
  }
  if (t.refused) out += "  refused: " + t.refusal + "\n";
  out += fmt::format("  total: {:.1f} ms, {}+{} tokens, cost {:.6f} (baseline {} {:.6f}), energy {:.3f} J\n",
                     t.latency_ms, t.prompt_tokens, t.completion_tokens, t.cost,
                     t.baseline_model.empty() ? "-" : t.baseline_model, t.baseline_cost, t.energy_j);
  std::cout << out;
  return kExitOk;
}

CommandRun setup_explain(CLI::App& app) {
  auto a = std::make_shared<ExplainArgs>();
  app.add_option("request_id", a->id, "request id (x-occam-route id=..., or the trace's request_id)")
      ->required();
  app.add_option("--db", a->db, "request log (SQLite)");
  app.add_flag("--json", a->json, "the trace as stored (JSON)");
  return [a] { return run_explain(*a); };
}

}  // namespace

OCCAM_REGISTER_COMMAND(explain, "Print the decision trace of one request", setup_explain);

}  // namespace occam::cli
