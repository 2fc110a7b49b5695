// The complexity router: a learned score that the small tier suffices for a prompt, from cheap text
// features (hashed word uni/bigrams, length, structure, numbers, question type), logistic regression
// (liblinear), a threshold calibrated to a target quality. Scoring allocates nothing after warm-up.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace occam::router {

// One row of a routing dataset (routellm_gsm8k's format): a prompt and, per model, a quality in [0, 1]
// (correct = 1, wrong = 0, or a graded score).
struct OutcomeRow {
  std::string id;
  std::string prompt;
  bool contaminated = false;
  std::map<std::string, double> quality;
};

// JSONL rows {"prompt", "outcomes": {model: {"correct": bool} | {"score": number} | number},
// "contaminated"?}. Errors name the line.
Result<std::vector<OutcomeRow>> load_outcome_rows(const std::filesystem::path& path);

// The strong model is the one with the higher mean quality, unless named.
struct ModelPair {
  std::string strong;
  std::string weak;
};
Result<ModelPair> pick_model_pair(std::span<const OutcomeRow> rows, std::string strong = {},
                                  std::string weak = {});

// Deterministic split: a row is held out when hash(seed, id) falls in the first `fraction`.
bool is_held_out(const OutcomeRow& row, double fraction, uint64_t seed);

struct ComplexityTrainOptions {
  uint32_t hash_bits = 18;
  double c = 1.0;  // liblinear's C (inverse regularisation)
  // Label: the weak model "suffices" when its quality >= strong quality - margin (ties count as suffices).
  double margin = 0.0;
};

class ComplexityModel {
 public:
  // Trains P(weak suffices | prompt) on the rows (the caller has removed held-out rows).
  static Result<ComplexityModel> train(std::span<const OutcomeRow> rows, const ModelPair& pair,
                                       const ComplexityTrainOptions& options = {});
  static Result<ComplexityModel> load(const std::filesystem::path& path);
  Status save(const std::filesystem::path& path) const;

  // P(the small tier suffices), in [0, 1]. Thread-safe.
  double score(std::string_view prompt) const;
  // The same from features already computed by complexity_features(prompt, hash_bits()).
  double score(std::span<const std::pair<uint32_t, float>> features) const;
  uint32_t hash_bits() const { return hash_bits_; }

  // Route to the small tier when score >= threshold (set by calibration; 0.5 before).
  double threshold() const { return threshold_; }
  void set_threshold(double t) { threshold_ = t; }
  const ModelPair& pair() const { return pair_; }

 private:
  uint32_t hash_bits_ = 18;
  std::vector<float> weights_;  // 2^hash_bits hashed + dense features
  float bias_ = 0;
  double threshold_ = 0.5;
  ModelPair pair_;
};

// The threshold that keeps `target` x the strong model's quality (e.g. 0.95) with the fewest strong calls,
// given scores P(weak suffices) and the recorded qualities of the same rows: prompts at or above the
// threshold go to the weak model. Returns a value > 1 (everything strong) when no threshold reaches it.
double calibrate_threshold(std::span<const double> weak_score, std::span<const double> weak_quality,
                           std::span<const double> strong_quality, double target);

// Trains on `rows` and calibrates the threshold to `target` on out-of-fold scores (k-fold cross-fitting
// over the same rows, fixed seed), so that the threshold is not chosen on scores the model was fit on.
Result<ComplexityModel> train_calibrated(std::span<const OutcomeRow> rows, const ModelPair& pair,
                                         const ComplexityTrainOptions& options, double target, int folds = 5,
                                         uint64_t seed = 42);

// Number of dense (non-hashed) features and their values for a prompt; exposed for tests.
constexpr size_t kComplexityDenseFeatures = 10;
void complexity_features(std::string_view prompt, uint32_t hash_bits,
                         std::vector<std::pair<uint32_t, float>>& out);

}  // namespace occam::router
