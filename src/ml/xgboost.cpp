// xgboost through its C API: multi:softprob on the sparse TF-IDF features (+ numeric fields),
// early stopping on the validation split, in-place CSR prediction of margins.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <boost/json.hpp>
#include <xgboost/c_api.h>

#include "ml/internal/model.h"

namespace occam::ml::internal {

namespace {

Error xgb_error(std::string_view what) {
  return make_error(ErrorCode::internal, "xgboost: {}: {}", what, XGBGetLastError());
}

struct DMatrix {
  DMatrixHandle handle = nullptr;
  ~DMatrix() {
    if (handle) XGDMatrixFree(handle);
  }
};

Status make_dmatrix(const Csr& x, std::span<const float> labels, DMatrix& out) {
  if (XGDMatrixCreateFromCSREx(x.indptr.data(), x.indices.data(), x.values.data(), x.indptr.size(),
                               x.values.size(), x.n_cols, &out.handle) != 0) {
    return xgb_error("creating a DMatrix");
  }
  if (XGDMatrixSetFloatInfo(out.handle, "label", labels.data(), labels.size()) != 0) {
    return xgb_error("setting labels");
  }
  return ok_status();
}

std::string array_interface(const void* data, size_t n, std::string_view typestr) {
  return fmt::format(R"({{"data": [{}, true], "shape": [{}], "typestr": "{}", "version": 3}})",
                     reinterpret_cast<uintptr_t>(data), n, typestr);
}

// "[12]\tvalid-mlogloss:0.51234" → 0.51234
double parse_metric(const char* text) {
  const char* colon = std::strrchr(text, ':');
  return colon ? std::strtod(colon + 1, nullptr) : std::numeric_limits<double>::infinity();
}

}  // namespace

XgbBooster::~XgbBooster() {
  if (handle_) XGBoosterFree(handle_);
}

Result<std::shared_ptr<XgbBooster>> XgbBooster::train(const Csr& train, std::span<const float> train_labels,
                                                      const Csr& valid, std::span<const float> valid_labels,
                                                      uint32_t n_classes, const XgbParams& params) {
  DMatrix dtrain, dvalid;
  OCCAM_TRY(make_dmatrix(train, train_labels, dtrain));
  OCCAM_TRY(make_dmatrix(valid, valid_labels, dvalid));
  BoosterHandle handle = nullptr;
  DMatrixHandle both[2] = {dtrain.handle, dvalid.handle};
  if (XGBoosterCreate(both, 2, &handle) != 0) return xgb_error("creating the booster");
  std::shared_ptr<XgbBooster> booster(new XgbBooster(handle, n_classes));
  const std::string settings[][2] = {
      {"objective", "multi:softprob"},
      {"num_class", std::to_string(n_classes)},
      {"max_depth", std::to_string(params.max_depth)},
      {"eta", fmt::format("{}", params.eta)},
      {"tree_method", "hist"},
      {"nthread", std::to_string(params.threads)},
      {"seed", std::to_string(params.seed % 2147483647)},
      {"eval_metric", "mlogloss"},
      {"verbosity", "0"},
  };
  for (const auto& kv : settings) {
    if (XGBoosterSetParam(handle, kv[0].c_str(), kv[1].c_str()) != 0) return xgb_error("setting " + kv[0]);
  }
  const char* names[1] = {"valid"};
  DMatrixHandle evals[1] = {dvalid.handle};
  double best = std::numeric_limits<double>::infinity();
  int best_round = 0;
  for (int round = 0; round < params.rounds; ++round) {
    if (XGBoosterUpdateOneIter(handle, round, dtrain.handle) != 0) return xgb_error("boosting");
    const char* result = nullptr;
    if (XGBoosterEvalOneIter(handle, round, evals, names, 1, &result) != 0) return xgb_error("evaluating");
    double loss = parse_metric(result);
    if (loss < best - 1e-6) {
      best = loss;
      best_round = round;
    } else if (round - best_round >= params.early_stopping) {
      break;
    }
  }
  BoosterHandle sliced = nullptr;
  if (XGBoosterSlice(handle, 0, best_round + 1, 1, &sliced) != 0) return xgb_error("keeping the best rounds");
  return std::shared_ptr<XgbBooster>(new XgbBooster(sliced, n_classes));
}

Result<std::shared_ptr<XgbBooster>> XgbBooster::from_blob(std::string_view blob, uint32_t n_classes,
                                                          size_t n_features) {
  BoosterHandle handle = nullptr;
  if (XGBoosterCreate(nullptr, 0, &handle) != 0) return xgb_error("creating the booster");
  std::shared_ptr<XgbBooster> booster(new XgbBooster(handle, n_classes));
  if (XGBoosterLoadModelFromBuffer(handle, blob.data(), blob.size()) != 0) return xgb_error("loading the booster");
  bst_ulong declared = 0;
  if (XGBoosterGetNumFeature(handle, &declared) != 0) return xgb_error("reading the feature count");
  if (declared != n_features) {
    return make_error(ErrorCode::invalid_argument, "booster has {} features, the featurizer {}", declared, n_features);
  }
  // xgboost trusts the trees it loads: a split on a feature past the row, or a child index past
  // the tree, reads out of bounds at prediction. Check both on the JSON form of the model.
  bst_ulong length = 0;
  const char* json = nullptr;
  if (XGBoosterSaveModelToBuffer(handle, R"({"format": "json"})", &length, &json) != 0) {
    return xgb_error("reading the trees");
  }
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(std::string_view(json, length), ec);
  const boost::json::value* trees = ec ? nullptr : root.find_pointer("/learner/gradient_booster/model/trees", ec);
  if (!trees || !trees->is_array()) return make_error(ErrorCode::invalid_argument, "booster: no tree list");
  size_t t = 0;
  for (const auto& tree : trees->as_array()) {
    const auto* object = tree.if_object();
    const auto* left = object ? object->if_contains("left_children") : nullptr;
    const auto* right = object ? object->if_contains("right_children") : nullptr;
    const auto* split = object ? object->if_contains("split_indices") : nullptr;
    if (!left || !right || !split || !left->is_array() || !right->is_array() || !split->is_array() ||
        left->as_array().size() != right->as_array().size() || split->as_array().size() != left->as_array().size()) {
      return make_error(ErrorCode::invalid_argument, "booster: tree {} is malformed", t);
    }
    const auto nodes = static_cast<int64_t>(left->as_array().size());
    for (size_t i = 0; i < left->as_array().size(); ++i) {
      const auto& l = left->as_array()[i];
      const auto& r = right->as_array()[i];
      const auto& f = split->as_array()[i];
      if (!l.is_int64() || !r.is_int64() || !f.is_int64() || l.as_int64() < -1 || l.as_int64() >= nodes ||
          r.as_int64() < -1 || r.as_int64() >= nodes || f.as_int64() < 0 ||
          static_cast<uint64_t>(f.as_int64()) >= n_features) {
        return make_error(ErrorCode::invalid_argument, "booster: tree {} node {} has an invalid child or feature", t, i);
      }
    }
    ++t;
  }
  return booster;
}

Result<std::string> XgbBooster::to_blob() const {
  bst_ulong length = 0;
  const char* data = nullptr;
  if (XGBoosterSaveModelToBuffer(handle_, R"({"format": "ubj"})", &length, &data) != 0) {
    return xgb_error("saving the booster");
  }
  return std::string(data, length);
}

Status XgbBooster::margins(std::span<const uint32_t> indices, std::span<const float> values, size_t n_cols,
                           std::span<float> out) const {
  const size_t indptr[2] = {0, indices.size()};
  static const uint32_t kNoIndex = 0;
  static const float kNoValue = 0.0f;
  std::string a = array_interface(indptr, 2, "<u8");
  std::string b = array_interface(indices.empty() ? &kNoIndex : indices.data(), indices.size(), "<u4");
  std::string c = array_interface(values.empty() ? &kNoValue : values.data(), values.size(), "<f4");
  const char* config =
      R"({"type": 1, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false, "cache_id": 0, "missing": NaN})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  if (XGBoosterPredictFromCSR(handle_, a.c_str(), b.c_str(), c.c_str(), n_cols, config, nullptr, &shape, &dim,
                              &result) != 0) {
    return xgb_error("predicting");
  }
  bst_ulong total = 1;
  for (bst_ulong i = 0; i < dim; ++i) total *= shape[i];
  if (total != n_classes_ || out.size() != n_classes_) {
    return make_error(ErrorCode::invalid_argument, "xgboost: booster returned {} values for {} classes", total,
                      n_classes_);
  }
  std::copy(result, result + n_classes_, out.begin());
  return ok_status();
}

}  // namespace occam::ml::internal
