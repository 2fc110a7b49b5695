// Acceptance: 10,000 mixed requests (escalations, faults, refusals, PII pins and redactions) through a
// route with the request log on; every answer carries a trace, and the report's totals equal the sums
// SQLite computes over the log.
#include "router/report.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "fake_backend.h"
#include "router/router.h"
#include "store/request_log.h"
#include "test_support.h"

namespace occam::router {
namespace {

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
    }
    co_return with_trace;
  };
  EXPECT_EQ(testing::run(run_all()), kRequests);
  ASSERT_TRUE((*log)->flush().ok());

  auto records = (*log)->all();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), static_cast<size_t>(kRequests));
  Report report = build_report(*records);
  auto sums = (*log)->totals();
  ASSERT_TRUE(sums.ok());
  EXPECT_EQ(report.total.requests, sums->requests);
  EXPECT_EQ(report.total.prompt_tokens, sums->prompt_tokens);
  EXPECT_EQ(report.total.completion_tokens, sums->completion_tokens);
  EXPECT_NEAR(report.total.cost, sums->cost, 1e-9 * std::max(1.0, sums->cost));
  EXPECT_NEAR(report.total.baseline_cost, sums->baseline_cost, 1e-9 * std::max(1.0, sums->baseline_cost));
  EXPECT_NEAR(report.total.energy_j, sums->energy_j, 1e-9 * std::max(1.0, sums->energy_j));
  EXPECT_NEAR(report.total.latency_ms, sums->latency_ms, 1e-6 * std::max(1.0, sums->latency_ms));
  // Per-route "*" rows add up to the total; tier rows add up to their route.
  int64_t route_requests = 0;
  double route_cost = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> tiers_vs_route;
  for (const ReportRow& r : report.rows) {
    if (r.tier == "*") {
      route_requests += r.requests;
      route_cost += r.cost;
      tiers_vs_route[r.route].second = r.requests;
    } else {
      tiers_vs_route[r.route].first += r.requests;
    }
  }
  EXPECT_EQ(route_requests, report.total.requests);
  EXPECT_NEAR(route_cost, report.total.cost, 1e-9);
  for (const auto& [route, counts] : tiers_vs_route) EXPECT_EQ(counts.first, counts.second) << route;
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
  std::string table = report_table(report);
  std::printf("%s", table.c_str());
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
