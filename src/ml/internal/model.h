// The fitted state behind a Classifier (private to src/ml).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ml/featurizer.h"
#include "ml/ml.h"

namespace occam::ml::internal {

// Rows of sparse feature vectors (indices sorted within a row).
struct Csr {
  std::vector<size_t> indptr{0};
  std::vector<uint32_t> indices;
  std::vector<float> values;
  size_t n_cols = 0;

  size_t rows() const { return indptr.size() - 1; }
  void add_row(std::span<const SparseEntry> entries) {
    for (const SparseEntry& e : entries) {
      indices.push_back(e.index);
      values.push_back(e.value);
    }
    indptr.push_back(indices.size());
  }
};

// Weights of a linear model: score_k(x) = bias[k] + Σ_j x_j · weights[j · n_outputs + k].
// Row-major by feature so that one feature touches one contiguous run of n_outputs floats.
struct LinearWeights {
  uint32_t n_features = 0;
  uint32_t n_outputs = 0;
  std::vector<float> weights;
  std::vector<float> bias;
};

class XgbBooster;  // xgboost.cpp

struct Model {
  ModelKind kind = ModelKind::logreg;
  bool multi_label = false;
  Featurizer featurizer;
  std::vector<std::string> labels;
  std::vector<std::string> numeric_fields;
  int oos_index = -1;
  float temperature = 1.0f;  // multi-class: p = softmax(z / T)
  float platt_a = 1.0f;      // multi-label: p_k = sigmoid(a z_k + b)
  float platt_b = 0.0f;
  float threshold = 0.0f;  // out of scope when the best in-scope probability is below it
  LinearWeights linear;    // logreg, svm
  std::string xgb_blob;    // xgboost: the booster as saved by XGBoosterSaveModelToBuffer (UBJSON)
  std::shared_ptr<XgbBooster> booster;

  // Raw scores (logits / margins) of `entries` + `numeric` into `out` (size labels.size()).
  void scores(std::span<const SparseEntry> entries, std::span<const float> numeric,
              std::span<float> out) const;
  // Scores → probabilities with (calibrated) or without the fitted calibration.
  void to_probabilities(std::span<float> values, bool calibrated) const;
};

// Linear scoring on a sparse vector.
void linear_scores(const LinearWeights& w, std::span<const SparseEntry> x, std::span<float> out);

// liblinear one-vs-rest training: output k is trained on targets[i * n_outputs + k] ∈ {0, 1}.
// solver is liblinear's solver_type; runs the outputs on `threads` threads. liblinear's shuffles
// use one generator per output, seeded from `seed` and k (linear.cpp), so the weights do not
// depend on the thread count or on scheduling.
struct LinearTrainParams {
  int solver = 0;
  double c = 1.0;
  double eps = 0.01;
  int threads = 1;
  uint64_t seed = 42;  // liblinear's shuffles: one generator per output, seeded from this and the output
};
Result<LinearWeights> train_one_vs_rest(const Csr& x, std::span<const uint8_t> targets, uint32_t n_outputs,
                                        const LinearTrainParams& params);

// Complement naive Bayes as a linear model (closed form; multi-class only).
LinearWeights train_complement_nb(const Csr& x, std::span<const uint8_t> targets, uint32_t n_outputs,
                                  double alpha);

// xgboost: multi:softprob (one label per example) on sparse features; early stopping on `valid`.
struct XgbParams {
  int rounds = 200;
  int max_depth = 6;
  double eta = 0.3;
  int threads = 1;
  uint64_t seed = 0;
  int early_stopping = 10;
};
class XgbBooster {
 public:
  static Result<std::shared_ptr<XgbBooster>> train(const Csr& train, std::span<const float> train_labels,
                                                   const Csr& valid, std::span<const float> valid_labels,
                                                   uint32_t n_classes, const XgbParams& params);
  static Result<std::shared_ptr<XgbBooster>> from_blob(std::string_view blob, uint32_t n_classes,
                                                       size_t n_features);
  ~XgbBooster();
  XgbBooster(const XgbBooster&) = delete;
  XgbBooster& operator=(const XgbBooster&) = delete;

  Result<std::string> to_blob() const;
  // Margins (pre-softmax) of one row.
  Status margins(std::span<const uint32_t> indices, std::span<const float> values, size_t n_cols,
                 std::span<float> out) const;

 private:
  XgbBooster(void* handle, uint32_t n_classes) : handle_(handle), n_classes_(n_classes) {}
  void* handle_;
  uint32_t n_classes_;
};

// Model file (format in model_file.cpp).
std::string serialize(const Model& model);
Result<std::shared_ptr<Model>> deserialize(std::string_view bytes);

}  // namespace occam::ml::internal
