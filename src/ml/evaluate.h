// Evaluation of a Classifier on labelled examples: accuracy, macro-F1, per-class table, confused
// pairs, calibration error, out-of-scope figures and the coverage/accuracy curve.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "ml/dataset.h"
#include "ml/ml.h"

namespace occam::ml {

struct EvalOptions {
  std::string split = "test";  // "" evaluates every example
  std::string oos_label;       // examples with this label are out of scope (default: the model's OOS class)
  size_t confused_pairs = 10;
  int threads = 1;
};

struct ClassStats {
  std::string label;
  size_t support = 0;
  size_t predicted = 0;
  double precision = 0, recall = 0, f1 = 0;
};

struct ConfusedPair {
  std::string truth, predicted;
  size_t count = 0;
};

struct CoveragePoint {
  double threshold = 0;  // answers with confidence ≥ threshold are kept
  double coverage = 0;   // share of examples kept
  double accuracy = 0;   // accuracy among the kept ones
};

struct EvalReport {
  size_t examples = 0;
  double accuracy = 0;  // final decision (OOS examples count as right when rejected)
  double macro_f1 = 0;
  double micro_f1 = 0;  // multi-label only
  double ece = 0;       // calibrated top-label confidence
  double ece_uncalibrated = 0;
  std::vector<ClassStats> per_class;
  std::vector<ConfusedPair> confused;
  std::vector<CoveragePoint> coverage;
  bool has_oos = false;
  double threshold = 0;
  double in_scope_accuracy = 0;  // in-scope examples answered with the right label (not rejected)
  double oos_recall = 0, oos_precision = 0;
  size_t in_scope_examples = 0, oos_examples = 0;
  double seconds = 0;
};

Result<EvalReport> evaluate(const Classifier& model, const Dataset& data, const EvalOptions& options);

}  // namespace occam::ml
