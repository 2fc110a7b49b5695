// The classic-ML tier: hashed n-gram TF-IDF + liblinear (logistic regression, linear SVM) or
// xgboost, calibrated probabilities, out-of-scope detection, one checksummed model file.
//
//   auto data = ml::load_jsonl("banking77.jsonl", {});
//   auto model = ml::Classifier::train(*data, {});          // split=train; validation split or carved
//   OCCAM_TRY(model->save("banking.occam-linear"));
//   auto loaded = ml::Classifier::load("banking.occam-linear");
//   ml::Prediction p = loaded->predict("my card has not arrived");   // thread-safe, const
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "ml/dataset.h"
#include "ml/featurizer.h"

namespace occam::ml {

// nb: complement naive Bayes on the same features (a linear model in closed form).
// ensemble: the temperature-scaled logit sum of two linear families (one linear model).
// automatic (training only): the best on validation of nb, svm, logreg and their pairwise ensembles.
enum class ModelKind : uint8_t { logreg = 0, svm = 1, xgboost = 2, nb = 3, ensemble = 4, automatic = 255 };
std::string_view to_string(ModelKind kind);
Result<ModelKind> parse_model_kind(std::string_view name);

struct TrainOptions {
  ModelKind kind = ModelKind::automatic;
  FeaturizerConfig features;
  // Features (hashed n-grams) found in fewer training texts than this are dropped. 1 keeps them
  // all: 2 made training ~25 % cheaper but cost banking77 0.3 points (docs/benchmarks.md).
  uint32_t min_df = 1;
  // Regularisation candidates; the one with the best validation score wins. Empty: a default grid.
  std::vector<double> c_grid;
  // A label that means "none of the intents" (e.g. "oos"). It is trained as a class, and a
  // confidence threshold is chosen on validation on top of it.
  std::string oos_label;
  // The threshold may cost at most this much in-scope accuracy on validation (absolute; see
  // internal/calibration.h for the rule).
  double max_in_scope_loss = 0.02;
  // Carved from train (stratified, fixed seed) when the data has no validation split.
  double validation_fraction = 0.1;
  uint64_t seed = 42;
  // After choosing C / calibration / threshold on a carved validation split, train the final
  // weights on all training examples (the carved ones included).
  bool refit_on_carved = true;
  // Same after choosing them on an official validation split: the final weights see train +
  // validation (calibration and threshold stay those measured on validation).
  bool refit_with_validation = true;
  int threads = 2;
  // liblinear stopping tolerance (its dual solvers' eps).
  double tolerance = 0.1;
  // xgboost only.
  int xgb_rounds = 200;
  int xgb_max_depth = 6;
  double xgb_eta = 0.3;
  // Called with progress in [0, 1] and the current stage.
  std::function<void(double, std::string_view)> progress;
};

struct ScoredLabel {
  std::string_view label;  // points into the Classifier's label table
  int index = -1;
  float probability = 0.0f;
};

struct Prediction {
  std::string_view label;          // most probable label (for multi-label: the top one)
  int index = -1;
  float probability = 0.0f;        // calibrated
  std::vector<ScoredLabel> top_k;  // best first
  bool out_of_scope = false;       // the OOS class won, or the confidence is under the threshold
  std::vector<ScoredLabel> labels; // multi-label: every label with probability ≥ 0.5
};

// What training chose, for reports.
struct TrainReport {
  ModelKind kind = ModelKind::logreg;  // the family that won on validation
  std::string description;             // e.g. "logreg(C=16) + svm(C=0.3)"
  bool refit = false;
  size_t train_examples = 0;
  size_t validation_examples = 0;
  bool validation_carved = false;
  size_t features = 0;
  double chosen_c = 0.0;
  double validation_accuracy = 0.0;  // of the chosen model, before the threshold
  double temperature = 1.0;
  double threshold = 0.0;
  double ece_before = 0.0;  // on validation
  double ece_after = 0.0;
  double seconds = 0.0;
};

namespace internal {
struct Model;  // private: featurizer, labels, weights, calibration
}  // namespace internal

class Classifier {
 public:
  static Result<Classifier> train(const Dataset& data, const TrainOptions& options, TrainReport* report = nullptr);
  static Result<Classifier> load(const std::filesystem::path& path);
  static Result<Classifier> from_bytes(std::string_view bytes);

  Status save(const std::filesystem::path& path) const;
  std::string to_bytes() const;

  // Thread-safe: concurrent calls share nothing mutable (each thread has its own buffers).
  Prediction predict(std::string_view text, int top_k = 3) const;
  Prediction predict(std::string_view text, std::span<const float> numeric, int top_k = 3) const;

  // Per-label probabilities (calibrated or raw: temperature 1 / identity Platt) into `out`
  // (size = labels().size()).
  void probabilities(std::string_view text, std::span<const float> numeric, std::span<float> out,
                     bool calibrated = true) const;

  const std::vector<std::string>& labels() const;
  const std::vector<std::string>& numeric_fields() const;
  ModelKind kind() const;
  bool multi_label() const;
  int oos_index() const;  // -1 when the model has no OOS class
  float threshold() const;
  float temperature() const;
  const FeaturizerConfig& features() const;

  // Decision rule shared by predict() and evaluate(): out of scope when the OOS class is the most
  // probable, or when the best in-scope probability is under the threshold.
  bool is_out_of_scope(std::span<const float> probabilities) const;

  ~Classifier();
  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;
  Classifier(const Classifier&);
  Classifier& operator=(const Classifier&);

 private:
  explicit Classifier(std::shared_ptr<const internal::Model> model);
  std::shared_ptr<const internal::Model> model_;
};

}  // namespace occam::ml
