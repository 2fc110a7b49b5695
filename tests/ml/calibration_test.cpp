#include "ml/internal/calibration.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "ml/evaluate.h"
#include "ml/ml.h"
#include "test_support.h"

namespace occam::ml {
namespace {

TEST(Calibration, TemperatureRecoversTheScaleOfOverconfidentLogits) {
  // True model: p = softmax(z); the classifier reports 3 z (overconfident). T should come back ≈ 3.
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.5f);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const uint32_t k = 4;
  std::vector<float> logits;
  std::vector<int> truth;
  for (int i = 0; i < 4000; ++i) {
    std::vector<float> z(k), p(k);
    for (auto& v : z) v = normal(rng);
    p = z;
    internal::softmax(p, 1.0f);
    double u = uniform(rng), acc = 0;
    int y = static_cast<int>(k) - 1;
    for (uint32_t j = 0; j < k; ++j) {
      acc += p[j];
      if (u < acc) {
        y = static_cast<int>(j);
        break;
      }
    }
    for (auto v : z) logits.push_back(3.0f * v);
    truth.push_back(y);
  }
  EXPECT_NEAR(internal::fit_temperature(logits, truth, k), 3.0f, 0.3f);
}

TEST(Calibration, PlattFitsShiftedScores) {
  std::mt19937_64 rng(3);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<float> scores;
  std::vector<uint8_t> targets;
  for (int i = 0; i < 5000; ++i) {
    float z = normal(rng);
    double p = 1.0 / (1.0 + std::exp(-(0.5 * z - 1.0)));
    scores.push_back(z);
    targets.push_back(uniform(rng) < p);
  }
  float a = 0, b = 0;
  internal::fit_platt(scores, targets, a, b);
  EXPECT_NEAR(a, 0.5f, 0.1f);
  EXPECT_NEAR(b, -1.0f, 0.15f);
}

TEST(Calibration, ExpectedCalibrationError) {
  std::vector<float> conf = {0.9f, 0.9f, 0.9f, 0.9f, 0.9f, 0.9f, 0.9f, 0.9f, 0.9f, 0.9f};
  std::vector<uint8_t> right = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
  EXPECT_NEAR(internal::expected_calibration_error(conf, right), 0.0, 1e-6);
  std::vector<uint8_t> half = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
  EXPECT_NEAR(internal::expected_calibration_error(conf, half), 0.4, 1e-6);
}

// A linear SVM's margins are far from probabilities; temperature scaling fitted on validation
// must lower the calibration error on held-out test data.
TEST(Calibration, ReducesEceOnHeldOutData) {
  auto data = load_jsonl(occam::testing::shared_file("datasets/sib200_fr/sib200_fr.jsonl"), {});
  ASSERT_TRUE(data.ok()) << data.error().message();
  TrainOptions options;
  options.kind = ModelKind::svm;
  options.c_grid = {1.0};
  auto model = Classifier::train(*data, options);
  ASSERT_TRUE(model.ok()) << model.error().message();
  auto report = evaluate(*model, *data, {});
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_LT(report->ece, report->ece_uncalibrated * 0.5) << "calibrated " << report->ece << " vs raw "
                                                         << report->ece_uncalibrated;
}

TEST(OosThreshold, PicksTheThresholdThatSeparatesConfidences) {
  // In-scope examples are confident (0.6–0.95) and right; OOS examples are unsure (0.1–0.5).
  std::vector<float> conf;
  std::vector<uint8_t> is_oos, predicted_oos, correct;
  for (int i = 0; i < 50; ++i) {
    conf.push_back(0.6f + 0.007f * static_cast<float>(i));
    is_oos.push_back(0);
    predicted_oos.push_back(0);
    correct.push_back(1);
    conf.push_back(0.1f + 0.008f * static_cast<float>(i));
    is_oos.push_back(1);
    predicted_oos.push_back(0);
    correct.push_back(0);
  }
  float t = internal::choose_oos_threshold(conf, is_oos, predicted_oos, correct, 0.01);
  EXPECT_GT(t, 0.492f);
  EXPECT_LE(t, 0.6f);
}

TEST(OosThreshold, NeverCostsMoreInScopeAccuracyThanAllowed) {
  // OOS examples already caught by the OOS class: the threshold may rise up to the first
  // in-scope confidence for free, and not past it.
  std::vector<float> conf = {0.9f, 0.8f, 0.3f, 0.2f};
  std::vector<uint8_t> is_oos = {0, 0, 1, 1}, predicted_oos = {0, 0, 1, 1}, correct = {1, 1, 0, 0};
  float t = internal::choose_oos_threshold(conf, is_oos, predicted_oos, correct, 0.01);
  EXPECT_GT(t, 0.3f);
  EXPECT_LE(t, 0.8f);
  // No OOS example in validation: no threshold.
  std::vector<uint8_t> none = {0, 0, 0, 0};
  EXPECT_EQ(internal::choose_oos_threshold(conf, none, none, correct, 0.01), 0.0f);
}

TEST(OosThreshold, AllowedLossBuysRecall) {
  // In-scope confidences {0.9, 0.8, 0.7, 0.45}, OOS {0.5, 0.48, 0.4, 0.3, 0.95}.
  std::vector<float> conf = {0.9f, 0.8f, 0.7f, 0.45f, 0.5f, 0.48f, 0.4f, 0.3f, 0.95f};
  std::vector<uint8_t> is_oos = {0, 0, 0, 0, 1, 1, 1, 1, 1};
  std::vector<uint8_t> predicted_oos(9, 0), correct = {1, 1, 1, 1, 0, 0, 0, 0, 0};
  // Losing one in-scope answer of 4 is allowed: t passes 0.45 and stops under 0.7 (recall 4/5).
  float loose = internal::choose_oos_threshold(conf, is_oos, predicted_oos, correct, 0.25);
  EXPECT_GT(loose, 0.5f);
  EXPECT_LE(loose, 0.7f);
  // Not allowed: t stays under 0.45 (recall 2/5).
  float strict = internal::choose_oos_threshold(conf, is_oos, predicted_oos, correct, 0.2);
  EXPECT_GT(strict, 0.4f);
  EXPECT_LE(strict, 0.45f);
}

}  // namespace
}  // namespace occam::ml
