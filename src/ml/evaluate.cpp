#include "ml/evaluate.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>
#include <unordered_map>

#include "ml/internal/calibration.h"

namespace occam::ml {

namespace {

struct Row {
  int truth = -1;       // label index (-1: unknown to the model)
  int predicted = -1;   // final decision, -2 = rejected as out of scope without an OOS class
  int top = -1;         // most probable label
  float confidence = 0, confidence_raw = 0;
  std::vector<uint8_t> truth_set, predicted_set;  // multi-label
};

}  // namespace

Result<EvalReport> evaluate(const Classifier& model, const Dataset& data, const EvalOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<const Example*> rows;
  for (const Example& e : data.examples) {
    if (options.split.empty() || e.split == options.split) rows.push_back(&e);
  }
  if (rows.empty()) {
    return make_error(ErrorCode::invalid_argument, "no example in split '{}'", options.split);
  }
  const auto& labels = model.labels();
  const size_t k = labels.size();
  std::unordered_map<std::string, int> index;
  for (size_t i = 0; i < k; ++i) index[labels[i]] = static_cast<int>(i);
  std::string oos_label = options.oos_label;
  if (oos_label.empty() && model.oos_index() >= 0) oos_label = labels[model.oos_index()];
  const int oos = oos_label.empty() ? -1 : (index.count(oos_label) ? index[oos_label] : -3);

  std::vector<Row> out(rows.size());
  auto work = [&](size_t begin, size_t step) {
    std::vector<float> p(k), raw(k);
    for (size_t i = begin; i < rows.size(); i += step) {
      const Example& e = *rows[i];
      Row& r = out[i];
      model.probabilities(e.text, e.numeric, p, true);
      model.probabilities(e.text, e.numeric, raw, false);
      r.top = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
      r.confidence = p[r.top];
      r.confidence_raw = raw[r.top];
      if (model.multi_label()) {
        r.truth_set.assign(k, 0);
        r.predicted_set.assign(k, 0);
        for (const auto& l : e.labels) {
          auto it = index.find(l);
          if (it != index.end()) r.truth_set[it->second] = 1;
        }
        for (size_t j = 0; j < k; ++j) r.predicted_set[j] = p[j] >= 0.5f;
        continue;
      }
      if (!e.labels.empty()) {
        auto it = index.find(e.labels[0]);
        r.truth = it != index.end() ? it->second : (e.labels[0] == oos_label ? -2 : -1);
      }
      r.predicted = model.is_out_of_scope(p) ? (oos >= 0 ? oos : -2) : r.top;
    }
  };
  const size_t threads = static_cast<size_t>(std::max(1, options.threads));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work, t, threads);
  work(0, threads);
  for (auto& t : pool) t.join();

  EvalReport report;
  report.examples = rows.size();
  report.threshold = model.threshold();
  std::vector<float> conf, conf_raw;
  std::vector<uint8_t> top_correct;
  for (const Row& r : out) {
    conf.push_back(r.confidence);
    conf_raw.push_back(r.confidence_raw);
    top_correct.push_back(model.multi_label() ? r.truth_set == r.predicted_set : r.top == r.truth);
  }
  report.ece = internal::expected_calibration_error(conf, top_correct);
  report.ece_uncalibrated = internal::expected_calibration_error(conf_raw, top_correct);

  // Per-class table.
  std::vector<size_t> tp(k, 0), support(k, 0), predicted(k, 0);
  if (model.multi_label()) {
    double mtp = 0, mfp = 0, mfn = 0, exact = 0;
    for (const Row& r : out) {
      exact += r.truth_set == r.predicted_set;
      for (size_t j = 0; j < k; ++j) {
        support[j] += r.truth_set[j];
        predicted[j] += r.predicted_set[j];
        tp[j] += r.truth_set[j] && r.predicted_set[j];
        mtp += r.truth_set[j] && r.predicted_set[j];
        mfp += !r.truth_set[j] && r.predicted_set[j];
        mfn += r.truth_set[j] && !r.predicted_set[j];
      }
    }
    report.accuracy = exact / static_cast<double>(out.size());  // exact-match ratio
    report.micro_f1 = mtp > 0 ? 2 * mtp / (2 * mtp + mfp + mfn) : 0.0;
  } else {
    size_t correct = 0;
    std::map<std::pair<int, int>, size_t> confusion;
    for (const Row& r : out) {
      bool right = r.predicted == r.truth || (r.truth == -2 && r.predicted == -2) ||
                   (r.truth >= 0 && r.truth == oos && r.predicted == -2);
      correct += right;
      if (r.truth >= 0) ++support[r.truth];
      if (r.predicted >= 0) ++predicted[r.predicted];
      if (r.truth >= 0 && r.predicted == r.truth) ++tp[r.truth];
      if (!right) ++confusion[{r.truth, r.predicted}];
    }
    report.accuracy = static_cast<double>(correct) / static_cast<double>(out.size());
    auto name = [&](int i) -> std::string {
      if (i >= 0) return labels[i];
      if (i == -2) return oos_label.empty() ? "(out of scope)" : oos_label;
      return "(unknown label)";
    };
    std::vector<std::pair<size_t, std::pair<int, int>>> pairs;
    for (const auto& [key, count] : confusion) pairs.push_back({count, key});
    std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t i = 0; i < pairs.size() && i < options.confused_pairs; ++i) {
      report.confused.push_back({name(pairs[i].second.first), name(pairs[i].second.second), pairs[i].first});
    }
    // Out-of-scope figures.
    if (oos != -1) {
      report.has_oos = true;
      size_t in_correct = 0, oos_rejected = 0, rejected = 0;
      for (const Row& r : out) {
        const bool is_oos = r.truth == -2 || (oos >= 0 && r.truth == oos);
        const bool rejected_here = r.predicted == -2 || (oos >= 0 && r.predicted == oos);
        rejected += rejected_here;
        if (is_oos) {
          ++report.oos_examples;
          oos_rejected += rejected_here;
        } else {
          ++report.in_scope_examples;
          in_correct += r.predicted == r.truth;
        }
      }
      report.in_scope_accuracy =
          report.in_scope_examples ? static_cast<double>(in_correct) / static_cast<double>(report.in_scope_examples) : 0;
      report.oos_recall =
          report.oos_examples ? static_cast<double>(oos_rejected) / static_cast<double>(report.oos_examples) : 0;
      report.oos_precision = rejected ? static_cast<double>(oos_rejected) / static_cast<double>(rejected) : 0;
    }
  }
  double f1_sum = 0;
  size_t f1_count = 0;
  for (size_t j = 0; j < k; ++j) {
    ClassStats s;
    s.label = labels[j];
    s.support = support[j];
    s.predicted = predicted[j];
    s.precision = predicted[j] ? static_cast<double>(tp[j]) / static_cast<double>(predicted[j]) : 0.0;
    s.recall = support[j] ? static_cast<double>(tp[j]) / static_cast<double>(support[j]) : 0.0;
    s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
    if (support[j] > 0 || predicted[j] > 0) {
      f1_sum += s.f1;
      ++f1_count;
    }
    report.per_class.push_back(std::move(s));
  }
  report.macro_f1 = f1_count ? f1_sum / static_cast<double>(f1_count) : 0.0;

  // Coverage/accuracy: keep answers whose calibrated top confidence is ≥ t.
  for (int step = 0; step <= 19; ++step) {
    const double t = step * 0.05;
    size_t kept = 0, right = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      if (conf[i] >= t) {
        ++kept;
        right += top_correct[i];
      }
    }
    report.coverage.push_back({t, static_cast<double>(kept) / static_cast<double>(out.size()),
                               kept ? static_cast<double>(right) / static_cast<double>(kept) : 0.0});
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace occam::ml
