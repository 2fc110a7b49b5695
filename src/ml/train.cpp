// Classifier::train: split → featurize → choose C on validation → calibrate → OOS threshold →
// (refit on train + carved validation).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <unordered_map>

#include <linear.h>

#include "ml/internal/calibration.h"
#include "ml/internal/model.h"
#include "ml/ml.h"

namespace occam::ml {

using internal::Csr;
using internal::Model;

namespace {

struct Split {
  std::vector<const Example*> train;
  std::vector<const Example*> valid;
  bool carved = false;
};

// Stratified by first label, Fisher–Yates with mt19937_64 (portable: no std::shuffle).
void carve_validation(const std::vector<const Example*>& pool, double fraction, uint64_t seed, Split& out) {
  std::map<std::string, std::vector<const Example*>> by_label;
  for (const Example* e : pool) by_label[e->labels.empty() ? std::string() : e->labels[0]].push_back(e);
  std::mt19937_64 rng(seed);
  std::unordered_map<const Example*, bool> to_valid;
  for (auto& [label, group] : by_label) {
    for (size_t i = group.size(); i > 1; --i) std::swap(group[i - 1], group[rng() % i]);
    size_t take = static_cast<size_t>(std::lround(fraction * static_cast<double>(group.size())));
    if (group.size() >= 2)
      take = std::clamp<size_t>(take, 1, group.size() - 1);
    else
      take = 0;
    for (size_t i = 0; i < take; ++i) to_valid[group[i]] = true;
  }
  for (const Example* e : pool) (to_valid.count(e) ? out.valid : out.train).push_back(e);  // keep file order
  out.carved = true;
}

struct Featurized {
  Csr x;
  std::vector<uint8_t> targets;  // n × k membership
  std::vector<int> first_label;  // -1 for none (multi-label with no label)
};

Featurized featurize(const Featurizer& featurizer, const std::vector<const Example*>& rows,
                     const std::unordered_map<std::string, int>& label_index, uint32_t k,
                     const std::vector<std::string>& numeric_fields, bool with_numeric) {
  Featurized out;
  out.x.n_cols = featurizer.dimension() + (with_numeric ? numeric_fields.size() : 0);
  FeatureScratch scratch;
  for (const Example* e : rows) {
    featurizer.transform(e->text, scratch);
    if (with_numeric) {
      for (size_t j = 0; j < numeric_fields.size(); ++j) {
        float v = j < e->numeric.size() ? e->numeric[j] : std::nanf("");
        if (!std::isnan(v)) scratch.entries.push_back({static_cast<uint32_t>(featurizer.dimension() + j), v});
      }
    }
    out.x.add_row(scratch.entries);
    size_t base = out.targets.size();
    out.targets.resize(base + k, 0);
    int first = -1;
    for (const std::string& label : e->labels) {
      auto it = label_index.find(label);
      if (it == label_index.end()) continue;
      out.targets[base + static_cast<size_t>(it->second)] = 1;
      if (first < 0) first = it->second;
    }
    out.first_label.push_back(first);
  }
  return out;
}

struct Member {
  ModelKind kind;
  double c;
  float scale;  // logits are multiplied by it before the members are summed (1 / temperature)
};

struct Candidate {
  ModelKind kind = ModelKind::logreg;
  std::vector<Member> members;
  std::vector<float> logits;  // on the validation rows
  float temperature = 1.0f;
  internal::LinearWeights weights;
  std::shared_ptr<internal::XgbBooster> booster;
  double c = 0.0;
  double score = -1.0;
  double accuracy = 0.0;
};

std::vector<float> score_rows(const Model& model, const Csr& x, uint32_t k) {
  std::vector<float> logits(x.rows() * k);
  std::vector<SparseEntry> entries;
  for (size_t i = 0; i < x.rows(); ++i) {
    entries.clear();
    for (size_t p = x.indptr[i]; p < x.indptr[i + 1]; ++p) entries.push_back({x.indices[p], x.values[p]});
    if (model.kind == ModelKind::xgboost) {
      // Numeric columns are already in the row; split them back out for Model::scores.
      std::vector<float> numeric(model.numeric_fields.size(), std::nanf(""));
      const size_t text_cols = model.featurizer.dimension();
      std::vector<SparseEntry> text;
      for (const SparseEntry& e : entries) {
        if (e.index >= text_cols)
          numeric[e.index - text_cols] = e.value;
        else
          text.push_back(e);
      }
      model.scores(text, numeric, std::span<float>(logits.data() + i * k, k));
    } else {
      internal::linear_scores(model.linear, entries, std::span<float>(logits.data() + i * k, k));
    }
  }
  return logits;
}

// Decisions of the calibrated model on validation rows, for the threshold and the selection score.
struct OosInputs {
  std::vector<float> confidence;
  std::vector<uint8_t> is_oos, predicted_oos, in_scope_correct;
};

OosInputs oos_inputs(std::span<const float> probs, std::span<const int> truth, uint32_t k, int oos) {
  OosInputs in;
  for (size_t i = 0; i < truth.size(); ++i) {
    const float* p = probs.data() + i * k;
    int best = static_cast<int>(std::max_element(p, p + k) - p);
    int best_in = -1;
    for (uint32_t j = 0; j < k; ++j) {
      if (static_cast<int>(j) != oos && (best_in < 0 || p[j] > p[best_in])) best_in = static_cast<int>(j);
    }
    in.confidence.push_back(best_in >= 0 ? p[best_in] : 0.0f);
    in.is_oos.push_back(truth[i] == oos);
    in.predicted_oos.push_back(best == oos);
    in.in_scope_correct.push_back(best_in == truth[i]);
  }
  return in;
}

// With `automatic` the grids are shorter: training time stays within budget on 15k examples.
// The SVM's C = 0.3 never won on validation (banking77 0.9005 vs 0.9015 at C = 1, clinc150 0.8935
// vs 0.9094; measured with a since-removed own dual solver, same loss and tolerance as liblinear's)
// and cost a fifth of clinc150's training, so automatic tries C = 1 only.
std::vector<double> default_grid(ModelKind kind, bool automatic) {
  switch (kind) {
    case ModelKind::svm:
      return automatic ? std::vector{1.0} : std::vector{0.1, 0.3, 1.0};
    case ModelKind::logreg:
      return automatic ? std::vector{16.0} : std::vector{4.0, 16.0, 64.0};
    case ModelKind::xgboost:
      return {0.0};
    case ModelKind::nb:
      return {0.03, 0.1, 0.3};  // smoothing alpha
    case ModelKind::ensemble:
    case ModelKind::automatic:
      break;
  }
  return {1.0};
}

}  // namespace

Result<Classifier> Classifier::train(const Dataset& data, const TrainOptions& options, TrainReport* report) {
  const auto started = std::chrono::steady_clock::now();
  auto progress = [&](double fraction, std::string_view stage) {
    if (options.progress) options.progress(fraction, stage);
  };
  OCCAM_TRY(options.features.validate());
  const bool automatic = options.kind == ModelKind::automatic;
  if (options.kind == ModelKind::ensemble) {
    return make_error(ErrorCode::invalid_argument, "ensembles are chosen by the automatic model selection");
  }
  if ((options.kind == ModelKind::xgboost || options.kind == ModelKind::nb) && data.multi_label) {
    return make_error(ErrorCode::unsupported, "{} models are multi-class only; use logreg or svm",
                      to_string(options.kind));
  }
  if (!(options.validation_fraction > 0.0 && options.validation_fraction < 0.9)) {
    return make_error(ErrorCode::invalid_argument, "validation_fraction {} outside (0, 0.9)",
                      options.validation_fraction);
  }

  // 1. Splits.
  Split split;
  std::vector<const Example*> pool = data.split("train");
  if (pool.empty() && !data.has_split("test") && !data.has_split("validation")) {
    for (const Example& e : data.examples) pool.push_back(&e);  // no split field: everything trains
  }
  if (pool.empty()) return make_error(ErrorCode::invalid_argument, "no training examples (split 'train')");
  std::vector<const Example*> valid = data.split("validation");
  if (valid.empty()) {
    carve_validation(pool, options.validation_fraction, options.seed, split);
  } else {
    split.train = pool;
    split.valid = std::move(valid);
  }

  // 2. Labels (sorted, from the training split).
  std::vector<std::string> labels;
  for (const Example* e : pool) labels.insert(labels.end(), e->labels.begin(), e->labels.end());
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  if (labels.size() < 2) {
    return make_error(ErrorCode::invalid_argument, "need at least 2 labels in the training split, found {}",
                      labels.size());
  }
  std::unordered_map<std::string, int> label_index;
  for (size_t i = 0; i < labels.size(); ++i) label_index[labels[i]] = static_cast<int>(i);
  const uint32_t k = static_cast<uint32_t>(labels.size());
  int oos_index = -1;
  if (!options.oos_label.empty()) {
    auto it = label_index.find(options.oos_label);
    if (it == label_index.end()) {
      return make_error(ErrorCode::invalid_argument, "out-of-scope label '{}' has no training example",
                        options.oos_label);
    }
    oos_index = it->second;
  }
  for (const Example* e : split.train) {
    if (!data.multi_label && e->labels.size() != 1) {
      return make_error(ErrorCode::invalid_argument, "example '{}' has {} labels in a multi-class dataset",
                        e->text.substr(0, 60), e->labels.size());
    }
  }
  const bool with_numeric = options.kind == ModelKind::xgboost;
  if (!with_numeric && !data.numeric_fields.empty()) {
    return make_error(ErrorCode::invalid_argument, "numeric fields need the xgboost model");
  }

  // 3. Features.
  progress(0.02, "features");
  auto build_featurizer = [&](const std::vector<const Example*>& rows) {
    Featurizer f(options.features);
    std::vector<std::string_view> texts;
    texts.reserve(rows.size());
    for (const Example* e : rows) texts.push_back(e->text);
    f.fit(texts, options.min_df);
    return f;
  };
  Model model;
  model.kind = automatic ? ModelKind::logreg : options.kind;
  model.multi_label = data.multi_label;
  model.labels = labels;
  model.numeric_fields = with_numeric ? data.numeric_fields : std::vector<std::string>{};
  model.oos_index = oos_index;
  model.featurizer = build_featurizer(split.train);
  Featurized train =
      featurize(model.featurizer, split.train, label_index, k, model.numeric_fields, with_numeric);
  Featurized val =
      featurize(model.featurizer, split.valid, label_index, k, model.numeric_fields, with_numeric);
  // Validation rows whose label is unknown to training cannot be scored; leave them out.
  std::vector<size_t> val_rows;
  for (size_t i = 0; i < split.valid.size(); ++i) {
    if (data.multi_label || val.first_label[i] >= 0) val_rows.push_back(i);
  }
  std::vector<int> val_truth;
  for (size_t i : val_rows) val_truth.push_back(val.first_label[i]);
  progress(0.1, "training");

  // 4. Candidates, scored on validation. A candidate is one family at one C (alpha for nb), or
  // (automatic) the logit sum of the best two of different families, each divided by its own
  // fitted temperature — still one linear model, so prediction costs the same.
  std::vector<std::pair<ModelKind, double>> grid;
  std::vector<ModelKind> families = {options.kind};
  if (automatic) {
    families = data.multi_label ? std::vector{ModelKind::logreg}
                                : std::vector{ModelKind::nb, ModelKind::svm, ModelKind::logreg};
  }
  for (ModelKind family : families) {
    const bool custom = !options.c_grid.empty() && (!automatic || family == ModelKind::logreg);
    for (double c : custom ? options.c_grid : default_grid(family, automatic)) grid.push_back({family, c});
  }
  // Dual coordinate descent: much faster than the primal Newton solver on sparse text at these C.
  auto solver_of = [](ModelKind kind) -> int {
    return kind == ModelKind::svm ? L2R_L2LOSS_SVC_DUAL : L2R_LR_DUAL;
  };
  auto train_linear = [&](ModelKind kind, double c, const Featurized& f) -> Result<internal::LinearWeights> {
    if (kind == ModelKind::nb) return internal::train_complement_nb(f.x, f.targets, k, c);
    internal::LinearTrainParams params;
    params.solver = solver_of(kind);
    params.c = c;
    params.eps = options.tolerance;
    params.threads = options.threads;
    params.seed = options.seed;
    return internal::train_one_vs_rest(f.x, f.targets, k, params);
  };
  // Selection score: accuracy (argmax, no threshold); micro-F1 for multi-label.
  auto score = [&](Candidate& cand) {
    const auto& logits = cand.logits;
    if (data.multi_label) {
      double tp = 0, fp = 0, fn = 0;
      for (size_t r = 0; r < val_rows.size(); ++r) {
        for (uint32_t j = 0; j < k; ++j) {
          bool predicted = logits[r * k + j] > 0.0f;
          bool truth = val.targets[val_rows[r] * k + j] != 0;
          tp += predicted && truth;
          fp += predicted && !truth;
          fn += !predicted && truth;
        }
      }
      cand.score = cand.accuracy = tp > 0 ? 2 * tp / (2 * tp + fp + fn) : 0.0;
      return;
    }
    size_t correct = 0;
    for (size_t r = 0; r < val_truth.size(); ++r) {
      const float* z = logits.data() + r * k;
      correct += (std::max_element(z, z + k) - z) == val_truth[r];
    }
    cand.accuracy =
        val_truth.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(val_truth.size());
    cand.score = cand.accuracy;
    // With an OOS class this is still plain accuracy (the OOS class counts as one more label):
    // choosing models by in-scope accuracy + recall at their own threshold favoured weak models
    // whose confidences happened to separate the 100 validation OOS queries.
    cand.temperature = internal::fit_temperature(logits, val_truth, k);
  };
  std::vector<Candidate> candidates;
  for (size_t g = 0; g < grid.size(); ++g) {
    Candidate cand;
    cand.kind = grid[g].first;
    cand.c = grid[g].second;
    cand.members = {{cand.kind, cand.c, 1.0f}};
    model.kind = cand.kind;
    if (cand.kind == ModelKind::xgboost) {
      std::vector<float> ytrain(train.first_label.begin(), train.first_label.end());
      std::vector<float> yvalid(val.first_label.begin(), val.first_label.end());
      for (float& y : yvalid) y = std::max(y, 0.0f);
      internal::XgbParams params;
      params.rounds = options.xgb_rounds;
      params.max_depth = options.xgb_max_depth;
      params.eta = options.xgb_eta;
      params.threads = options.threads;
      params.seed = options.seed;
      OCCAM_ASSIGN_OR_RETURN(cand.booster,
                             internal::XgbBooster::train(train.x, ytrain, val.x, yvalid, k, params));
      model.booster = cand.booster;
    } else {
      OCCAM_ASSIGN_OR_RETURN(cand.weights, train_linear(cand.kind, cand.c, train));
      model.linear = cand.weights;
    }
    std::vector<float> all_logits = score_rows(model, val.x, k);
    for (size_t i : val_rows) {
      cand.logits.insert(cand.logits.end(), all_logits.begin() + i * k, all_logits.begin() + (i + 1) * k);
    }
    score(cand);
    candidates.push_back(std::move(cand));
    progress(0.1 + 0.7 * static_cast<double>(g + 1) / static_cast<double>(grid.size()), "training");
  }
  if (automatic && !data.multi_label) {
    std::vector<const Candidate*> best_of;  // best candidate per family
    for (ModelKind family : families) {
      const Candidate* top = nullptr;
      for (const Candidate& c : candidates) {
        if (c.kind == family && (!top || c.score > top->score)) top = &c;
      }
      if (top) best_of.push_back(top);
    }
    std::vector<Candidate> pairs;
    for (size_t a = 0; a < best_of.size(); ++a) {
      for (size_t b = a + 1; b < best_of.size(); ++b) {
        const Candidate& x = *best_of[a];
        const Candidate& y = *best_of[b];
        Candidate e;
        e.kind = ModelKind::ensemble;
        const float sx = 1.0f / x.temperature, sy = 1.0f / y.temperature;
        e.members = {{x.kind, x.c, sx}, {y.kind, y.c, sy}};
        e.weights = x.weights;
        for (size_t i = 0; i < e.weights.weights.size(); ++i) {
          e.weights.weights[i] = sx * x.weights.weights[i] + sy * y.weights.weights[i];
        }
        for (size_t i = 0; i < e.weights.bias.size(); ++i)
          e.weights.bias[i] = sx * x.weights.bias[i] + sy * y.weights.bias[i];
        e.logits.resize(x.logits.size());
        for (size_t i = 0; i < e.logits.size(); ++i) e.logits[i] = sx * x.logits[i] + sy * y.logits[i];
        score(e);
        pairs.push_back(std::move(e));
      }
    }
    for (auto& e : pairs) candidates.push_back(std::move(e));
  }
  if (candidates.empty()) return make_error(ErrorCode::invalid_argument, "no candidate model to train");
  size_t best_index = 0;
  for (size_t i = 1; i < candidates.size(); ++i) {
    if (candidates[i].score > candidates[best_index].score) best_index = i;
  }
  Candidate best = std::move(candidates[best_index]);
  std::vector<float> best_logits = std::move(best.logits);
  candidates.clear();
  model.kind = best.kind;
  model.linear = best.weights;
  model.booster = best.booster;

  // 5. Calibration and threshold on validation.
  progress(0.82, "calibration");
  double ece_before = 0, ece_after = 0;
  if (data.multi_label) {
    std::vector<float> scores;
    std::vector<uint8_t> targets;
    for (size_t r = 0; r < val_rows.size(); ++r) {
      for (uint32_t j = 0; j < k; ++j) {
        scores.push_back(best_logits[r * k + j]);
        targets.push_back(val.targets[val_rows[r] * k + j]);
      }
    }
    internal::fit_platt(scores, targets, model.platt_a, model.platt_b);
    std::vector<float> before(scores.size()), after(scores.size());
    std::vector<uint8_t> hit(scores.size());
    for (size_t i = 0; i < scores.size(); ++i) {
      float p0 = 1.0f / (1.0f + std::exp(-scores[i]));
      float p1 = 1.0f / (1.0f + std::exp(-(model.platt_a * scores[i] + model.platt_b)));
      // Per-label binary calibration: confidence of the predicted side.
      before[i] = std::max(p0, 1.0f - p0);
      after[i] = std::max(p1, 1.0f - p1);
      hit[i] = (p1 >= 0.5f) == (targets[i] != 0);
    }
    std::vector<uint8_t> hit0(scores.size());
    for (size_t i = 0; i < scores.size(); ++i) hit0[i] = (scores[i] > 0.0f) == (targets[i] != 0);
    ece_before = internal::expected_calibration_error(before, hit0);
    ece_after = internal::expected_calibration_error(after, hit);
  } else {
    model.temperature = internal::fit_temperature(best_logits, val_truth, k);
    std::vector<float> raw = best_logits, cal = best_logits;
    std::vector<float> conf_raw, conf_cal;
    std::vector<uint8_t> correct;
    for (size_t r = 0; r < val_truth.size(); ++r) {
      std::span<float> a(raw.data() + r * k, k), b(cal.data() + r * k, k);
      internal::softmax(a, 1.0f);
      internal::softmax(b, model.temperature);
      size_t top = static_cast<size_t>(std::max_element(b.begin(), b.end()) - b.begin());
      conf_raw.push_back(a[top]);
      conf_cal.push_back(b[top]);
      correct.push_back(static_cast<int>(top) == val_truth[r]);
    }
    ece_before = internal::expected_calibration_error(conf_raw, correct);
    ece_after = internal::expected_calibration_error(conf_cal, correct);
    if (oos_index >= 0) {
      OosInputs in = oos_inputs(cal, val_truth, k, oos_index);
      model.threshold = internal::choose_oos_threshold(in.confidence, in.is_oos, in.predicted_oos,
                                                       in.in_scope_correct, options.max_in_scope_loss);
    }
  }

  // 6. Refit on everything that was training data when validation was carved out of it.
  const bool refit = model.kind != ModelKind::xgboost &&
                     (split.carved ? options.refit_on_carved : options.refit_with_validation);
  if (refit) {
    progress(0.9, "refit");
    std::vector<const Example*> everything = pool;
    if (!split.carved) everything.insert(everything.end(), split.valid.begin(), split.valid.end());
    model.featurizer = build_featurizer(everything);
    Featurized all = featurize(model.featurizer, everything, label_index, k, model.numeric_fields, false);
    for (size_t m = 0; m < best.members.size(); ++m) {
      const Member& member = best.members[m];
      OCCAM_ASSIGN_OR_RETURN(internal::LinearWeights w, train_linear(member.kind, member.c, all));
      if (m == 0) {
        model.linear = w;
        for (float& v : model.linear.weights) v *= member.scale;
        for (float& v : model.linear.bias) v *= member.scale;
      } else {
        for (size_t i = 0; i < w.weights.size(); ++i) model.linear.weights[i] += member.scale * w.weights[i];
        for (size_t i = 0; i < w.bias.size(); ++i) model.linear.bias[i] += member.scale * w.bias[i];
      }
    }
  }
  if (model.kind == ModelKind::xgboost) {
    OCCAM_ASSIGN_OR_RETURN(model.xgb_blob, model.booster->to_blob());
  }
  progress(1.0, "done");

  if (report) {
    report->kind = model.kind;
    for (const Member& m : best.members) {
      if (!report->description.empty()) report->description += " + ";
      report->description += fmt::format("{}(C={})", to_string(m.kind), m.c);
    }
    report->refit = refit;
    report->train_examples =
        refit ? pool.size() + (split.carved ? 0 : split.valid.size()) : split.train.size();
    report->validation_examples = split.valid.size();
    report->validation_carved = split.carved;
    report->features = model.featurizer.dimension();
    report->chosen_c = best.c;
    report->validation_accuracy = best.accuracy;
    report->temperature = model.temperature;
    report->threshold = model.threshold;
    report->ece_before = ece_before;
    report->ece_after = ece_after;
    report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  return Classifier(std::make_shared<const Model>(std::move(model)));
}

}  // namespace occam::ml
