// Classifier: loading, saving and (thread-safe) prediction.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include "ml/internal/calibration.h"
#include "ml/internal/model.h"
#include "ml/ml.h"

namespace occam::ml {

using internal::Model;

std::string_view to_string(ModelKind kind) {
  switch (kind) {
    case ModelKind::logreg: return "logreg";
    case ModelKind::svm: return "svm";
    case ModelKind::xgboost: return "xgboost";
    case ModelKind::nb: return "nb";
    case ModelKind::ensemble: return "ensemble";
    case ModelKind::automatic: return "auto";
  }
  return "unknown";
}

Result<ModelKind> parse_model_kind(std::string_view name) {
  if (name == "logreg") return ModelKind::logreg;
  if (name == "svm") return ModelKind::svm;
  if (name == "xgboost") return ModelKind::xgboost;
  if (name == "nb") return ModelKind::nb;
  if (name == "auto") return ModelKind::automatic;
  return make_error(ErrorCode::invalid_argument, "unknown model '{}' (expected auto, logreg, svm, nb or xgboost)", name);
}

namespace internal {

namespace {

struct XgbScratch {
  std::vector<uint32_t> indices;
  std::vector<float> values;
};

}  // namespace

void Model::scores(std::span<const SparseEntry> entries, std::span<const float> numeric, std::span<float> out) const {
  if (kind != ModelKind::xgboost) {
    linear_scores(linear, entries, out);
    return;
  }
  thread_local XgbScratch scratch;
  scratch.indices.clear();
  scratch.values.clear();
  for (const SparseEntry& e : entries) {
    scratch.indices.push_back(e.index);
    scratch.values.push_back(e.value);
  }
  const size_t text_columns = featurizer.dimension();
  for (size_t j = 0; j < numeric_fields.size(); ++j) {
    float v = j < numeric.size() ? numeric[j] : std::nanf("");
    if (std::isnan(v)) continue;
    scratch.indices.push_back(static_cast<uint32_t>(text_columns + j));
    scratch.values.push_back(v);
  }
  if (!booster || !booster->margins(scratch.indices, scratch.values, text_columns + numeric_fields.size(), out).ok()) {
    std::fill(out.begin(), out.end(), 0.0f);  // uniform probabilities; cannot happen with a validated booster
  }
}

void Model::to_probabilities(std::span<float> values, bool calibrated) const {
  if (multi_label) {
    const float a = calibrated ? platt_a : 1.0f;
    const float b = calibrated ? platt_b : 0.0f;
    for (float& v : values) v = 1.0f / (1.0f + std::exp(-(a * v + b)));
    return;
  }
  softmax(values, calibrated ? temperature : 1.0f);
}

}  // namespace internal

Classifier::Classifier(std::shared_ptr<const Model> model) : model_(std::move(model)) {}
Classifier::~Classifier() = default;
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;
Classifier::Classifier(const Classifier&) = default;
Classifier& Classifier::operator=(const Classifier&) = default;

Result<Classifier> Classifier::from_bytes(std::string_view bytes) {
  auto model = internal::deserialize(bytes);
  if (!model.ok()) return std::move(model).error();
  return Classifier(std::shared_ptr<const Model>(std::move(*model)));
}

Result<Classifier> Classifier::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::not_found, "model '{}': cannot open", path.string());
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(ErrorCode::io, "model '{}': read failed", path.string());
  auto result = from_bytes(bytes);
  if (!result.ok()) return std::move(result).error().with_context(fmt::format("model '{}'", path.string()));
  return result;
}

std::string Classifier::to_bytes() const { return internal::serialize(*model_); }

Status Classifier::save(const std::filesystem::path& path) const {
  const std::string bytes = to_bytes();
  // Write beside the target and rename, so a crash never leaves half a model under its name.
  std::filesystem::path temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return make_error(ErrorCode::io, "model '{}': cannot create", temp.string());
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) return make_error(ErrorCode::io, "model '{}': write failed", temp.string());
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) return make_error(ErrorCode::io, "model '{}': rename failed: {}", path.string(), ec.message());
  return ok_status();
}

void Classifier::probabilities(std::string_view text, std::span<const float> numeric, std::span<float> out,
                               bool calibrated) const {
  thread_local FeatureScratch scratch;
  model_->featurizer.transform(text, scratch);
  model_->scores(scratch.entries, numeric, out);
  model_->to_probabilities(out, calibrated);
}

bool Classifier::is_out_of_scope(std::span<const float> p) const {
  if (p.empty()) return true;
  if (model_->multi_label) {
    return std::none_of(p.begin(), p.end(), [](float v) { return v >= 0.5f; });
  }
  size_t best = static_cast<size_t>(std::max_element(p.begin(), p.end()) - p.begin());
  if (static_cast<int>(best) == model_->oos_index) return true;
  return p[best] < model_->threshold;
}

Prediction Classifier::predict(std::string_view text, int top_k) const { return predict(text, {}, top_k); }

Prediction Classifier::predict(std::string_view text, std::span<const float> numeric, int top_k) const {
  thread_local std::vector<float> probs;
  thread_local std::vector<int> order;
  const auto& labels = model_->labels;
  const size_t k = labels.size();
  probs.resize(k);
  probabilities(text, numeric, probs, true);
  Prediction out;
  const size_t shown = std::min<size_t>(k, static_cast<size_t>(std::max(top_k, 1)));
  order.resize(k);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + static_cast<ptrdiff_t>(shown), order.end(),
                    [&](int a, int b) { return probs[a] > probs[b] || (probs[a] == probs[b] && a < b); });
  out.index = order[0];
  out.label = labels[order[0]];
  out.probability = probs[order[0]];
  out.top_k.reserve(shown);
  for (size_t i = 0; i < shown; ++i) out.top_k.push_back({labels[order[i]], order[i], probs[order[i]]});
  out.out_of_scope = is_out_of_scope(probs);
  if (model_->multi_label) {
    for (size_t i = 0; i < k; ++i) {
      if (probs[i] >= 0.5f) out.labels.push_back({labels[i], static_cast<int>(i), probs[i]});
    }
    std::sort(out.labels.begin(), out.labels.end(),
              [](const ScoredLabel& a, const ScoredLabel& b) { return a.probability > b.probability; });
  }
  return out;
}

const std::vector<std::string>& Classifier::labels() const { return model_->labels; }
const std::vector<std::string>& Classifier::numeric_fields() const { return model_->numeric_fields; }
ModelKind Classifier::kind() const { return model_->kind; }
bool Classifier::multi_label() const { return model_->multi_label; }
int Classifier::oos_index() const { return model_->oos_index; }
float Classifier::threshold() const { return model_->threshold; }
float Classifier::temperature() const { return model_->temperature; }
const FeaturizerConfig& Classifier::features() const { return model_->featurizer.config(); }

}  // namespace occam::ml
