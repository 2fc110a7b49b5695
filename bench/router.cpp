// bench_router: the routing decision (rules + classifier + complexity policies, PII scan included) per
// request, p50/p99 over real prompts (sib200_fr sentences and GSM8K questions), with a breakdown of its
// parts measured in the same run and the PII scan alone as the reference (any routing that honours PII
// must pay it). Thread CPU time is reported beside wall clock: on a shared machine the wall-clock tail
// measures preemption.
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

#include <stdlib.h>
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
  double load_before[3] = {0, 0, 0};
  getloadavg(load_before, 3);
  // First pass: the whole decision per request (wall clock and thread CPU time). Second pass over the same
  // requests: its parts, each timed alone in thread CPU time: the request view (text, language, PII
  // scan), the classifier's model, the complexity model. Separate passes, so that no part runs on caches
  // the decision has just warmed with the same text.
  std::vector<double> decide_us, decide_cpu_us, view_us, classify_us, complexity_us, scan_us;
  for (auto* v : {&decide_us, &decide_cpu_us, &view_us, &classify_us, &complexity_us, &scan_us})
    v->reserve(static_cast<size_t>(requests));
  size_t small = 0;
  for (int i = 0; i < requests; ++i) {
    const auto& q = reqs[static_cast<size_t>(i) % reqs.size()];
    router::Trace t;
    auto w0 = Clock::now();
    double c0 = thread_cpu_us();
    auto plan = r->get()->decide("auto", q, t);
    double c1 = thread_cpu_us();
    auto w1 = Clock::now();
    if (!plan.ok()) return fail(plan.error());
    decide_cpu_us.push_back(c1 - c0);
    decide_us.push_back(std::chrono::duration<double, std::micro>(w1 - w0).count());
    small += !plan->tiers.empty() && plan->tiers.front() == "small" ? 1 : 0;
  }
  std::vector<float> probabilities(classifier->labels().size());
  std::vector<std::pair<uint32_t, float>> features;
  for (int i = 0; i < requests; ++i) {
    const auto& q = reqs[static_cast<size_t>(i) % reqs.size()];
    const std::string& text = q.messages[0].content;
    {
      router::RequestView view;
      double v0 = thread_cpu_us();
      Status built = router::build_request_view(q, &*scanner, view);
      view_us.push_back(thread_cpu_us() - v0);
      if (!built.ok()) return fail(built.error());
    }
    double s0 = thread_cpu_us();
    auto found = scanner->scan(text);
    double s1 = thread_cpu_us();
    classifier->probabilities(text, {}, probabilities, true);
    double s2 = thread_cpu_us();
    router::complexity_features(text, complexity->hash_bits(), features);
    (void)complexity->score(features);
    double s3 = thread_cpu_us();
    if (!found.ok()) return fail(found.error());
    scan_us.push_back(s1 - s0);
    classify_us.push_back(s2 - s1);
    complexity_us.push_back(s3 - s2);
  }
  double load_after[3] = {0, 0, 0};
  getloadavg(load_after, 3);
  if (std::getenv("BENCH_ROUTER_SLOW")) {
    for (size_t i = 0; i < decide_cpu_us.size(); ++i)
      if (decide_cpu_us[i] > 100)
        std::printf("slow %zu (prompt %zu, %zu bytes): %.0f us CPU\n", i, i % reqs.size(),
                    reqs[i % reqs.size()].messages[0].content.size(), decide_cpu_us[i]);
  }
  auto line = [](const char* what, const std::vector<double>& v) {
    std::printf("  %-44s p50 %7.1f us   p99 %7.1f us\n", what, percentile(v, 0.50), percentile(v, 0.99));
  };
  std::printf(
      "routing decision (rules + classifier + complexity, PII scan included), %d requests over %zu prompts\n"
      "load average %.2f before, %.2f after (2 cores)\n",
      requests, prompts.size(), load_before[0], load_after[0]);
  line("decide, wall clock", decide_us);
  line("decide, thread CPU time", decide_cpu_us);
  std::printf("  of which, each timed alone (thread CPU time):\n");
  line("  request view (text, language, PII scan)", view_us);
  line("  classifier model (src/ml featurizer + dot)", classify_us);
  line("  complexity model (features + dot)", complexity_us);
  line("  PII scan only (reference)", scan_us);
  const double c50 = percentile(decide_cpu_us, 0.5), c99 = percentile(decide_cpu_us, 0.99);
  std::printf("  rest (rules, trace bookkeeping), p50 estimate: %.1f us\n",
              c50 - percentile(view_us, 0.5) - percentile(classify_us, 0.5) - percentile(complexity_us, 0.5));
  std::printf("  %.1f%% of requests start on the small tier\n",
              100.0 * static_cast<double>(small) / requests);
  std::printf("  target p99 <= 100 us: wall clock %s, CPU time %s\n",
              percentile(decide_us, 0.99) <= 100.0 ? "met" : "NOT met", c99 <= 100.0 ? "met" : "NOT met");
  return 0;
}
