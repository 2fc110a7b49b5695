// The HTML report: a self-contained page (no script, no external asset), its totals equal to the records'
// sums, and every text that came from the log escaped.
#include <cmath>

#include <gtest/gtest.h>

#include "router/report.h"

namespace occam::router {
namespace {

// Mixed records: two routes (one with a hostile name), escalations, a refusal, a failure, latencies
// spread over several decades.
std::vector<store::RequestRecord> mixed_records() {
  std::vector<store::RequestRecord> records;
  for (int i = 0; i < 500; ++i) {
    store::RequestRecord r;
    r.request_id = "rq-" + std::to_string(i);
    r.route = i % 3 == 0 ? "<script>alert(\"x\")</script>" : "reply";
    r.refused = i % 47 == 0;
    r.answered_by = r.refused || i % 53 == 0 ? "" : (i % 4 == 0 ? "big 'stand-in' & co" : "local-small");
    r.attempts = 1 + i % 2;
    r.escalations = r.attempts - 1;
    r.verify_failures = i % 5 == 0 ? 1 : 0;
    r.latency_ms = 0.05 * std::pow(1.03, i);  // 0.05 ms .. ~130 s
    r.prompt_tokens = 10 + i % 13;
    r.completion_tokens = 3 + i % 29;
    r.cost = r.answered_by.starts_with("big") ? 1e-6 * static_cast<double>(i) : 0;
    r.baseline_cost = 2e-6 * static_cast<double>(i % 17);
    r.energy_j = 0.013 * static_cast<double>(i % 31);
    records.push_back(r);
  }
  return records;
}

// data-value of the totals row with data-key `key` (plain search: std::regex trips GCC 12's
// maybe-uninitialized warning under the sanitizers).
double total_value(const std::string& html, const std::string& key) {
  const std::string prefix = "data-key='" + key + "' data-value='";
  size_t at = html.find(prefix);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no total " << key;
    return NAN;
  }
  at += prefix.size();
  return std::stod(html.substr(at, html.find('\'', at) - at));
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

TEST(ReportHtml, SelfContainedPageWithPlots) {
  auto records = mixed_records();
  Report report = build_report(records);
  HtmlExtras extras;
  extras.step_tiers = {{"rules", 300}, {"classic", 300}, {"local-small", 250}};
  extras.accuracy = {{"category vs label", 140, 150}};
  std::string html = report_html(report, records, extras);
  EXPECT_TRUE(html.starts_with("<!doctype html>"));
  EXPECT_TRUE(html.ends_with("</html>\n"));
  // Requests, cost, energy, latency, step tiers, accuracy.
  EXPECT_EQ(count(html, "<svg"), 6u);
  EXPECT_EQ(count(html, "<svg"), count(html, "</svg>"));
  EXPECT_EQ(count(html, "<table"), count(html, "</table>"));
  for (const char* external : {"<script", "src=", "href=", "http:", "https:", "url(", "@import"}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
  // One table line per report row, the total and the header.
  size_t rows_at = html.find("<table id='rows'>");
  ASSERT_NE(rows_at, std::string::npos);
  std::string rows = html.substr(rows_at, html.find("</table>", rows_at) - rows_at);
  EXPECT_EQ(count(rows, "<tr"), report.rows.size() + 2);
  EXPECT_NE(html.find("93.3 %"), std::string::npos);  // 140 / 150
  EXPECT_NE(html.find(">classic<"), std::string::npos);
}

TEST(ReportHtml, TotalsEqualTheRecordsSums) {
  auto records = mixed_records();
  double cost = 0, baseline = 0, energy = 0, latency = 0;
  int64_t prompt = 0, completion = 0;
  for (const auto& r : records) {
    cost += r.cost;
    baseline += r.baseline_cost;
    energy += r.energy_j;
    latency += r.latency_ms;
    prompt += r.prompt_tokens;
    completion += r.completion_tokens;
  }
  std::string html = report_html(build_report(records), records);
  EXPECT_EQ(total_value(html, "requests"), static_cast<double>(records.size()));
  EXPECT_EQ(total_value(html, "prompt_tokens"), static_cast<double>(prompt));
  EXPECT_EQ(total_value(html, "completion_tokens"), static_cast<double>(completion));
  // Full precision in data-value: equal up to summation order.
  EXPECT_NEAR(total_value(html, "cost"), cost, 1e-12 * std::max(1.0, cost));
  EXPECT_NEAR(total_value(html, "baseline_cost"), baseline, 1e-12 * std::max(1.0, baseline));
  EXPECT_NEAR(total_value(html, "energy_j"), energy, 1e-9 * energy);
  EXPECT_NEAR(total_value(html, "latency_ms"), latency, 1e-9 * latency);
  EXPECT_NEAR(total_value(html, "saved"), 1 - cost / baseline, 1e-12);
}

TEST(ReportHtml, EscapesEveryTextFromTheLogAndTheCaller) {
  auto records = mixed_records();
  HtmlExtras extras;
  extras.title = "Tickets <b>& co</b>";
  extras.source = "/tmp/a'b\".db";
  extras.notes = {"big is a <stand-in>"};
  extras.accuracy = {{"<i>lang</i>", 1, 2}};
  extras.step_tiers = {{"<img>", 3}};
  std::string html = report_html(build_report(records), records, extras);
  for (const char* raw : {"<script>", "alert(\"x\")", "big 'stand-in' & co", "<b>& co</b>", "a'b\"",
                          "<stand-in>", "<i>lang</i>", "<img>"}) {
    EXPECT_EQ(html.find(raw), std::string::npos) << raw;
  }
  for (const char* escaped :
       {"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;", "big &#39;stand-in&#39; &amp; co",
        "Tickets &lt;b&gt;&amp; co&lt;/b&gt;", "/tmp/a&#39;b&quot;.db", "big is a &lt;stand-in&gt;",
        "&lt;i&gt;lang&lt;/i&gt;", "&lt;img&gt;"}) {
    EXPECT_NE(html.find(escaped), std::string::npos) << escaped;
  }
}

TEST(ReportHtml, EmptyLogGivesAPageWithoutLatencyPlot) {
  std::string html = report_html(build_report({}), {});
  EXPECT_TRUE(html.ends_with("</html>\n"));
  EXPECT_EQ(total_value(html, "requests"), 0.0);
  EXPECT_EQ(html.find("Latency of requests"), std::string::npos);
}

}  // namespace
}  // namespace occam::router
