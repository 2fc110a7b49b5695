// The acceptance figures of the classic tier, on the full datasets with default settings:
// train on split=train, choose C / calibrate / threshold on validation (carved when absent),
// measure on split=test. They train on the full datasets (minutes of CPU on a loaded 2-core
// machine), so they run only when OCCAM_ML_ACCEPTANCE=1 and never in sanitizer builds;
// bench_classify prints the same figures.
#include <cstdlib>
#include <ctime>
#include <string_view>

#include <gtest/gtest.h>

#include "ml/evaluate.h"
#include "ml/ml.h"
#include "test_support.h"

namespace occam::ml {
namespace {

#if defined(OCCAM_SANITIZE)
#define SKIP_IN_SANITIZER_BUILD() \
  GTEST_SKIP() << "full-dataset acceptance runs are release-only (too slow under ASan/UBSan)"
#else
#define SKIP_IN_SANITIZER_BUILD()                                                                \
  if (const char* on = std::getenv("OCCAM_ML_ACCEPTANCE"); !on || std::string_view(on) != "1") \
  GTEST_SKIP() << "full-dataset acceptance run: set OCCAM_ML_ACCEPTANCE=1 (or run bench_classify)"
#endif

EvalReport train_and_evaluate(std::string_view relative, std::string_view oos_label = "") {
  auto data = load_jsonl(occam::testing::shared_file(relative), {});
  EXPECT_TRUE(data.ok()) << data.error().message();
  if (!data.ok()) return {};
  TrainOptions options;
  options.oos_label = oos_label;
  TrainReport train;
  const std::clock_t cpu0 = std::clock();  // process CPU time: both training threads
  auto model = Classifier::train(*data, options, &train);
  const double cpu_seconds = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  EXPECT_TRUE(model.ok()) << model.error().message();
  if (!model.ok()) return {};
  auto report = evaluate(*model, *data, {});
  EXPECT_TRUE(report.ok()) << report.error().message();
  // Issue 6: training ≤ 20 s wall on 2 cores. Wall time on the shared machine measures its load,
  // so the check is on CPU time: ≤ 40 CPU seconds is what 2 busy cores do in 20 s.
  EXPECT_LE(cpu_seconds, 40.0) << relative << ": training CPU time";
  std::printf("[ %s ] train CPU %.1f s\n", std::string(relative).c_str(), cpu_seconds);
  std::printf("[ %s ] model %s C %g, train %.1f s, test accuracy %.4f, ECE %.4f (raw %.4f)\n",
              std::string(relative).c_str(), std::string(to_string(model->kind())).c_str(), train.chosen_c,
              train.seconds, report->accuracy, report->ece, report->ece_uncalibrated);
  return report.ok() ? std::move(report).value() : EvalReport{};
}

TEST(Acceptance, Banking77Accuracy) {
  SKIP_IN_SANITIZER_BUILD();
  EvalReport r = train_and_evaluate("datasets/banking77/banking77.jsonl");
  EXPECT_GE(r.accuracy, 0.92);
}

TEST(Acceptance, Clinc150InScopeAccuracyAndOosRecall) {
  SKIP_IN_SANITIZER_BUILD();
  EvalReport r = train_and_evaluate("datasets/clinc150/clinc150.jsonl", "oos");
  ASSERT_TRUE(r.has_oos);
  std::printf("[ clinc150 ] threshold %.4f: in-scope accuracy %.4f, OOS recall %.4f, OOS precision %.4f\n",
              r.threshold, r.in_scope_accuracy, r.oos_recall, r.oos_precision);
  EXPECT_GE(r.in_scope_accuracy, 0.92);
  EXPECT_GE(r.oos_recall, 0.70);
}

TEST(Acceptance, Sib200FrenchAccuracy) {
  SKIP_IN_SANITIZER_BUILD();
  EvalReport r = train_and_evaluate("datasets/sib200_fr/sib200_fr.jsonl");
  EXPECT_GE(r.accuracy, 0.72);
}

}  // namespace
}  // namespace occam::ml
