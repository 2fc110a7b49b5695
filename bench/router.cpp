// bench_router: the routing decision (rules + classifier + complexity policies, PII scan included) per
// request, p50/p99 over real prompts (sib200_fr sentences and GSM8K questions), against the reference of
// the same run: the PII scan alone, which any routing that honours PII must pay.
//
//   build/release/bench/bench_router [--requests 20000]          (OCCAM_SHARED or ../shared for data)
#include "router/router.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <time.h>

#include "ml/ml.h"
#include "router/complexity.h"
#include "rules/pii.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace occam;

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int fail(const Error& e) {
  std::fprintf(stderr, "bench_router: %s\n", e.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 20000;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--requests") == 0) requests = std::atoi(argv[++i]);
  const char* env = std::getenv("OCCAM_SHARED");
  std::filesystem::path shared = env ? env : std::filesystem::path(OCCAM_SOURCE_DIR) / ".." / "shared";
  std::filesystem::path tmp = std::filesystem::temp_directory_path() / "occam_bench_router";
  std::filesystem::create_directories(tmp);

  // Models: the sib200_fr topic classifier and the gsm8k complexity router, trained here.
  auto sib = ml::load_jsonl(shared / "datasets/sib200_fr/sib200_fr.jsonl", {});
  if (!sib.ok()) return fail(sib.error());
  auto classifier = ml::Classifier::train(*sib, {});
  if (!classifier.ok()) return fail(classifier.error());
  if (auto s = classifier->save(tmp / "topics.occam-linear"); !s.ok()) return fail(s.error());
  auto rows = router::load_outcome_rows(shared / "datasets/routellm_gsm8k/gsm8k_outcomes.jsonl");
  if (!rows.ok()) return fail(rows.error());
  auto pair = router::pick_model_pair(*rows);
  if (!pair.ok()) return fail(pair.error());
  auto complexity = router::ComplexityModel::train(*rows, *pair);
  if (!complexity.ok()) return fail(complexity.error());
  if (auto s = complexity->save(tmp / "gsm8k.occam-complexity"); !s.ok()) return fail(s.error());

  auto root = ConfigNode::parse(R"(
models:
  small: {backend: fake}
  big: {backend: remote, base_url: http://127.0.0.1:9/v1}
routes:
  auto:
    baseline: big
    policies:
      - rules:
          - {name: pii, when: {pii: [EMAIL, IBAN, PHONE, NIR]}, then: redact}
          - {name: secret, when: {pattern: '(?i)confidentiel|secret'}, then: pin_local}
          - {name: long, when: {min_tokens: 4000}, then: {tiers: [big]}}
          - {name: json, when: {json_schema: true}, then: {tiers: [small, big]}}
      - classifier: {model: topics.occam-linear, threshold: 0.9, labels: {sports: [small]}}
      - complexity: {model: gsm8k.occam-complexity, small: [small, big], large: [big]}
)",
                                "bench.yaml");
  if (!root.ok()) return fail(root.error());
  auto r = router::Router::create(*root, {}, tmp);
  if (!r.ok()) return fail(r.error());
  auto scanner = rules::PiiScanner::create();
  if (!scanner.ok()) return fail(scanner.error());

  std::vector<std::string> prompts;
  for (const auto& e : sib->examples) prompts.push_back(e.text);
  for (const auto& row : *rows) prompts.push_back(row.prompt);
  prompts[3] += " écrivez à jean.dupont@example.fr";
  std::vector<backends::GenerateRequest> reqs;
  for (const std::string& p : prompts) {
    backends::GenerateRequest q;
    q.messages.push_back({"user", p, false, "", "", {}});
    reqs.push_back(std::move(q));
  }
  // Warm-up (thread-local buffers, caches).
  for (size_t i = 0; i < reqs.size(); ++i) {
    router::Trace t;
    (void)r->get()->decide("auto", reqs[i], t);
  }
  std::vector<double> decide_us, decide_cpu_us, scan_us, classify_us, complexity_us;
  decide_us.reserve(static_cast<size_t>(requests));
  scan_us.reserve(static_cast<size_t>(requests));
  size_t small = 0;
  for (int i = 0; i < requests; ++i) {
    const auto& q = reqs[static_cast<size_t>(i) % reqs.size()];
    auto t0 = Clock::now();
    auto found = scanner->scan(q.messages[0].content);
    auto t1 = Clock::now();
    router::Trace t;
    double c0 = thread_cpu_us();
    auto plan = r->get()->decide("auto", q, t);
    double c1 = thread_cpu_us();
    auto t2 = Clock::now();
    decide_cpu_us.push_back(c1 - c0);
    (void)classifier->predict(q.messages[0].content, 1);
    auto t3 = Clock::now();
    (void)complexity->score(q.messages[0].content);
    auto t4 = Clock::now();
    classify_us.push_back(std::chrono::duration<double, std::micro>(t3 - t2).count());
    complexity_us.push_back(std::chrono::duration<double, std::micro>(t4 - t3).count());
    if (!found.ok() || !plan.ok()) return 1;
    small += !plan->tiers.empty() && plan->tiers.front() == "small" ? 1 : 0;
    scan_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    decide_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  if (std::getenv("BENCH_ROUTER_SLOW")) {
    for (size_t i = 0; i < decide_us.size(); ++i)
      if (decide_us[i] > 1000)
        std::printf("slow %zu (prompt %zu, %zu bytes): %.0f us\n", i, i % reqs.size(),
                    reqs[i % reqs.size()].messages[0].content.size(), decide_us[i]);
  }
  double d50 = percentile(decide_us, 0.50), d99 = percentile(decide_us, 0.99);
  double s50 = percentile(scan_us, 0.50), s99 = percentile(scan_us, 0.99);
  std::printf(
      "routing decision (rules + classifier + complexity, PII scan included), %d requests over %zu prompts\n",
      requests, prompts.size());
  std::printf("  decide:        p50 %7.1f us   p99 %7.1f us   (%.1f%% start on the small tier)\n", d50, d99,
              100.0 * static_cast<double>(small) / requests);
  double c99 = percentile(decide_cpu_us, 0.99);
  std::printf(
      "  decide, thread CPU time (excludes preemption on a loaded machine): p50 %7.1f us   p99 %7.1f us\n",
      percentile(decide_cpu_us, 0.5), c99);
  std::printf(
      "  of which classifier: p50 %7.1f us   p99 %7.1f us;  complexity: p50 %7.1f us   p99 %7.1f us\n",
      percentile(classify_us, 0.5), percentile(classify_us, 0.99), percentile(complexity_us, 0.5),
      percentile(complexity_us, 0.99));
  std::printf("  PII scan only: p50 %7.1f us   p99 %7.1f us   (reference)\n", s50, s99);
  std::printf("  ratio decide / scan: p50 %.2fx, p99 %.2fx; target p99 <= 100 us: wall %s, CPU time %s\n",
              d50 / s50, d99 / s99, d99 <= 100.0 ? "met" : "NOT met", c99 <= 100.0 ? "met" : "NOT met");
  return 0;
}
