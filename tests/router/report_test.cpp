// Acceptance: 10,000 mixed requests (escalations, faults, refusals, PII pins and redactions) through two
// routes with the request log on; every answer carries a trace, and every total of `occam report` (each
// field of each route x tier row, each route, the grand total, as built, as printed and as JSON) equals
// the sums over the request log: computed here row by row, by SQLite's SUM(), from the stored traces, and
// from what the callers received.
#include "router/report.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "fake_backend.h"
#include "router/router.h"
#include "store/request_log.h"
#include "test_support.h"

namespace occam::router {
namespace {

// Plain sums over request-log rows, computed here and not by the report.
struct Sums {
  int64_t requests = 0, prompt_tokens = 0, completion_tokens = 0, attempts = 0, escalated = 0,
          verify_failures = 0;
  double cost = 0, baseline_cost = 0, energy_j = 0, latency_ms = 0;
  std::vector<double> latencies;

  void add(const store::RequestRecord& r) {
    ++requests;
    prompt_tokens += r.prompt_tokens;
    completion_tokens += r.completion_tokens;
    attempts += r.attempts;
    escalated += r.escalations > 0 ? 1 : 0;
    verify_failures += r.verify_failures;
    cost += r.cost;
    baseline_cost += r.baseline_cost;
    energy_j += r.energy_j;
    latency_ms += r.latency_ms;
    latencies.push_back(r.latency_ms);
  }
  // Nearest rank: the smallest value with at least p of the values at or below it.
  double percentile(double p) const {
    std::vector<double> v = latencies;
    std::sort(v.begin(), v.end());
    for (size_t i = 0; i < v.size(); ++i)
      if (static_cast<double>(i + 1) >= p * static_cast<double>(v.size())) return v[i];
    return 0;
  }
};

void expect_row_equals(const ReportRow& row, const Sums& s, int64_t route_requests, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(row.requests, s.requests);
  EXPECT_EQ(row.prompt_tokens, s.prompt_tokens);
  EXPECT_EQ(row.completion_tokens, s.completion_tokens);
  EXPECT_EQ(row.attempts, s.attempts);
  EXPECT_NEAR(row.cost, s.cost, 1e-12 * std::max(1.0, s.cost));
  EXPECT_NEAR(row.baseline_cost, s.baseline_cost, 1e-12 * std::max(1.0, s.baseline_cost));
  EXPECT_NEAR(row.energy_j, s.energy_j, 1e-9 * std::max(1.0, s.energy_j));
  EXPECT_NEAR(row.latency_ms, s.latency_ms, 1e-9 * std::max(1.0, s.latency_ms));
  EXPECT_DOUBLE_EQ(row.share, static_cast<double>(s.requests) / static_cast<double>(route_requests));
  EXPECT_DOUBLE_EQ(row.escalation_rate, static_cast<double>(s.escalated) / static_cast<double>(s.requests));
  EXPECT_DOUBLE_EQ(
      row.verify_failure_rate,
      s.attempts ? static_cast<double>(s.verify_failures) / static_cast<double>(s.attempts) : 0.0);
  EXPECT_DOUBLE_EQ(row.p50_ms, s.percentile(0.50));
  EXPECT_DOUBLE_EQ(row.p95_ms, s.percentile(0.95));
}

// The printed total line ("*  *  requests share p50 p95 cost baseline saved energy ...") and the token
// line of `occam report`'s table.
void expect_printed_total(const std::string& table, const Sums& s) {
  std::istringstream lines(table);
  std::string line, total_line, tokens_line;
  while (std::getline(lines, line)) {
    if (line.rfind("* ", 0) == 0) total_line = line;
    if (line.rfind("total tokens:", 0) == 0) tokens_line = line;
  }
  ASSERT_FALSE(total_line.empty()) << table;
  std::istringstream cells(total_line);
  std::string route, tier, share, saved;
  int64_t requests = 0;
  double p50 = 0, p95 = 0, cost = 0, baseline = 0, energy = 0;
  cells >> route >> tier >> requests >> share >> p50 >> p95 >> cost >> baseline >> saved >> energy;
  ASSERT_FALSE(cells.fail()) << total_line;
  EXPECT_EQ(requests, s.requests);
  EXPECT_NEAR(cost, s.cost, 0.5e-6 + 1e-12);
  EXPECT_NEAR(baseline, s.baseline_cost, 0.5e-6 + 1e-12);
  EXPECT_NEAR(energy, s.energy_j, 0.5e-3 + 1e-9);
  EXPECT_EQ(tokens_line,
            fmt::format("total tokens: {} prompt + {} completion", s.prompt_tokens, s.completion_tokens));
}

TEST(Report, TotalsEqualTheRequestLogSums) {
  auto root = ConfigNode::parse(R"(
models:
  small: {backend: fake, price: {input_per_mtok: 0.1, output_per_mtok: 0.2}}
  big: {backend: fake, price: {input_per_mtok: 2.0, output_per_mtok: 6.0}}
routes:
  auto:
    baseline: big
    tiers: {small: {watts: 30}, big: {local: false, joules_per_token: 0.4}}
    policies:
      - rules:
          - {name: pii, when: {pii: [EMAIL]}, then: redact}
          - {name: secret, when: {pattern: secret}, then: pin_local}
          - {name: abuse, when: {pattern: abuse}, then: refuse}
      - cascade: [small, big]
    verify: [{mean_logprob: {min: -1.0}}]
  direct:
    baseline: big
    policies: [{cascade: [big]}]
)",
                                "report.yaml");
  ASSERT_TRUE(root.ok()) << root.error().message();
  // Deterministic mix by prompt number: confident, unsure (escalates), small fault, both down.
  auto number = [](const backends::GenerateRequest& r) {
    return std::stoi(r.messages[0].content.substr(1, 5));
  };
  testing::FakeBackend small([&](const backends::GenerateRequest& r) {
    int n = number(r);
    return testing::FakeAnswer{"s", {n % 3 == 0 ? -2.0 : -0.2}, 10 + n % 7, 3 + n % 5, n % 11 == 0};
  });
  testing::FakeBackend big([&](const backends::GenerateRequest& r) {
    int n = number(r);
    return testing::FakeAnswer{"b", {-0.1}, 12 + n % 7, 8 + n % 9, n % 97 == 0};
  });
  auto router = Router::create(*root, {{"small", &small}, {"big", &big}});
  ASSERT_TRUE(router.ok()) << router.error().message();
  occam::testing::TempDir dir;
  // OCCAM_ROUTER_REPORT_DB=path keeps the log for `occam report` / `occam explain` (docs/benchmarks.md).
  const char* keep = std::getenv("OCCAM_ROUTER_REPORT_DB");
  const std::filesystem::path db = keep ? std::filesystem::path(keep) : dir.path() / "requests.db";
  if (keep) std::filesystem::remove(db);
  auto log = store::RequestLog::open(db);
  ASSERT_TRUE(log.ok()) << log.error().message();
  (*router)->set_request_log(log->get());

  constexpr int kRequests = 10000;
  // What the callers saw: the trace of every answer (answered or refused), summed per route on the client
  // side, independently of the log.
  std::map<std::string, Sums> seen;
  auto run_all = [&]() -> backends::Task<int> {
    int with_trace = 0;
    for (int i = 0; i < kRequests; ++i) {
      std::string text = fmt::format("#{:05d} ", i);
      if (i % 13 == 0) text += "write to a.b@example.com ";
      if (i % 17 == 0) text += "secret ";
      if (i % 101 == 0) text += "abuse ";
      Trace trace;
      auto answer =
          co_await (*router)->generate(i % 10 == 0 ? "direct" : "auto", testing::chat(text), nullptr, &trace);
      if (!trace.request_id.empty() && (trace.refused || !trace.attempts.empty()) &&
          (!answer.ok() || answer->trace.request_id == trace.request_id)) {
        ++with_trace;
      }
      seen[trace.route].add(trace_to_record(trace));
      seen["*"].add(trace_to_record(trace));
    }
    co_return with_trace;
  };
  EXPECT_EQ(testing::run(run_all()), kRequests);
  ASSERT_TRUE((*log)->flush().ok());

  auto records = (*log)->all();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), static_cast<size_t>(kRequests));
  Report report = build_report(*records);

  // 1. Every row of the report (each route x answering tier, each route, the total) against the plain sums
  //    of the log rows it covers: every field.
  std::map<std::pair<std::string, std::string>, Sums> logged;
  for (const store::RequestRecord& r : *records) {
    const std::string tier = r.refused ? "(refused)" : r.answered_by.empty() ? "(failed)" : r.answered_by;
    logged[{r.route, tier}].add(r);
    logged[{r.route, "*"}].add(r);
    logged[{"*", "*"}].add(r);
  }
  ASSERT_EQ(report.rows.size() + 1, logged.size());
  for (const ReportRow& row : report.rows) {
    auto it = logged.find({row.route, row.tier});
    ASSERT_NE(it, logged.end()) << row.route << " " << row.tier;
    const int64_t route_requests = logged[{row.route, "*"}].requests;
    expect_row_equals(row, it->second, route_requests, row.route + "/" + row.tier);
  }
  expect_row_equals(report.total, logged[{"*", "*"}], kRequests, "total");

  // 2. The totals against SQLite's own SUM()s over the table.
  auto sums = (*log)->totals();
  ASSERT_TRUE(sums.ok());
  EXPECT_EQ(report.total.requests, sums->requests);
  EXPECT_EQ(report.total.prompt_tokens, sums->prompt_tokens);
  EXPECT_EQ(report.total.completion_tokens, sums->completion_tokens);
  EXPECT_NEAR(report.total.cost, sums->cost, 1e-9 * std::max(1.0, sums->cost));
  EXPECT_NEAR(report.total.baseline_cost, sums->baseline_cost, 1e-9 * std::max(1.0, sums->baseline_cost));
  EXPECT_NEAR(report.total.energy_j, sums->energy_j, 1e-9 * std::max(1.0, sums->energy_j));
  EXPECT_NEAR(report.total.latency_ms, sums->latency_ms, 1e-6 * std::max(1.0, sums->latency_ms));

  // 3. The log against what the callers saw (nothing lost or altered on the way to SQLite), per route.
  for (const auto& [route, s] : seen) {
    const Sums& l = logged[{route, "*"}];
    EXPECT_EQ(l.requests, s.requests) << route;
    EXPECT_EQ(l.prompt_tokens, s.prompt_tokens) << route;
    EXPECT_EQ(l.completion_tokens, s.completion_tokens) << route;
    EXPECT_EQ(l.attempts, s.attempts) << route;
    EXPECT_EQ(l.escalated, s.escalated) << route;
    EXPECT_EQ(l.verify_failures, s.verify_failures) << route;
    EXPECT_NEAR(l.cost, s.cost, 1e-9) << route;
    EXPECT_NEAR(l.baseline_cost, s.baseline_cost, 1e-9) << route;
    EXPECT_NEAR(l.energy_j, s.energy_j, 1e-6) << route;
    EXPECT_NEAR(l.latency_ms, s.latency_ms, 1e-6 * std::max(1.0, s.latency_ms)) << route;
  }

  // 4. The stored traces (what `occam explain` shows) add up to the same totals as the columns.
  Sums from_traces;
  for (const store::RequestRecord& r : *records) {
    auto t = trace_from_json(r.trace_json);
    ASSERT_TRUE(t.ok()) << r.request_id;
    from_traces.add(trace_to_record(*t));
  }
  EXPECT_EQ(from_traces.requests, kRequests);
  EXPECT_EQ(from_traces.prompt_tokens, report.total.prompt_tokens);
  EXPECT_EQ(from_traces.completion_tokens, report.total.completion_tokens);
  EXPECT_EQ(from_traces.attempts, report.total.attempts);
  EXPECT_NEAR(from_traces.cost, report.total.cost, 1e-9);
  EXPECT_NEAR(from_traces.baseline_cost, report.total.baseline_cost, 1e-9);
  EXPECT_NEAR(from_traces.energy_j, report.total.energy_j, 1e-6);

  // 5. What `occam report` prints: the total line and the token line carry the same sums (to the printed
  //    precision), and so does its --json form.
  std::string table = report_table(report);
  std::printf("%s", table.c_str());
  expect_printed_total(table, logged[{"*", "*"}]);
  boost::json::object as_json = report_json(report);
  const boost::json::object& jt = as_json.at("total").as_object();
  EXPECT_EQ(jt.at("requests").to_number<int64_t>(), kRequests);
  EXPECT_EQ(jt.at("prompt_tokens").to_number<int64_t>(), report.total.prompt_tokens);
  EXPECT_EQ(jt.at("completion_tokens").to_number<int64_t>(), report.total.completion_tokens);
  EXPECT_EQ(jt.at("attempts").to_number<int64_t>(), report.total.attempts);
  EXPECT_DOUBLE_EQ(jt.at("cost").to_number<double>(), report.total.cost);
  EXPECT_DOUBLE_EQ(jt.at("baseline_cost").to_number<double>(), report.total.baseline_cost);
  EXPECT_DOUBLE_EQ(jt.at("energy_j").to_number<double>(), report.total.energy_j);

  // The mix really is mixed.
  const ReportRow* auto_all = nullptr;
  bool refused_row = false, failed_row = false;
  for (const ReportRow& r : report.rows) {
    if (r.route == "auto" && r.tier == "*") auto_all = &r;
    refused_row = refused_row || r.tier == "(refused)";
    failed_row = failed_row || r.tier == "(failed)";
  }
  ASSERT_NE(auto_all, nullptr);
  EXPECT_GT(auto_all->escalation_rate, 0.1);
  EXPECT_GT(auto_all->verify_failure_rate, 0.1);
  EXPECT_TRUE(refused_row);
  EXPECT_TRUE(failed_row);
  EXPECT_LT(report.total.cost, report.total.baseline_cost);
  EXPECT_GT(report.total.energy_j, 0);
  EXPECT_NE(table.find("(refused)"), std::string::npos);
  // explain's source: one stored trace parses back.
  auto one = (*log)->find((*records)[5].request_id);
  ASSERT_TRUE(one.ok() && one->has_value());
  auto trace = trace_from_json((*one)->trace_json);
  ASSERT_TRUE(trace.ok());
  EXPECT_EQ(trace->request_id, (*records)[5].request_id);
}

}  // namespace
}  // namespace occam::router
