// The model file: one header and one checksummed payload.
//
//   offset 0   8 bytes  magic "OCCAMCLF"
//          8   u32      format version (kFormatVersion)
//         12   u32      CRC-32 of the payload
//         16   u64      payload size in bytes
//         24   payload: kind, flags, featurizer settings, labels, numeric fields, OOS index,
//                       calibration (temperature, Platt a, b), threshold, vocabulary (keys, idf),
//                       then the linear weights or the xgboost booster.
// All integers and floats are little-endian. Every count is checked against the bytes left.
#include <algorithm>
#include <cmath>
#include <set>

#include "ml/internal/binary_io.h"
#include "ml/internal/model.h"

namespace occam::ml::internal {

namespace {

constexpr char kMagic[8] = {'O', 'C', 'C', 'A', 'M', 'C', 'L', 'F'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderSize = 24;
constexpr uint32_t kMaxLabels = 1u << 20;
constexpr uint32_t kMaxNameLength = 1u << 16;

Error invalid(std::string_view what) { return Error(ErrorCode::invalid_argument, std::string(what)); }

}  // namespace

std::string serialize(const Model& model) {
  ByteWriter p;
  p.scalar<uint8_t>(static_cast<uint8_t>(model.kind));
  p.scalar<uint8_t>(model.multi_label ? 1 : 0);
  const FeaturizerConfig& f = model.featurizer.config();
  p.scalar<uint32_t>(f.hash_bits);
  p.scalar<uint32_t>(f.word_ngram_min);
  p.scalar<uint32_t>(f.word_ngram_max);
  p.scalar<uint32_t>(f.char_ngram_min);
  p.scalar<uint32_t>(f.char_ngram_max);
  p.scalar<uint8_t>(f.fold_accents);
  p.scalar<uint8_t>(f.signed_hash);
  p.scalar<uint8_t>(f.sublinear_tf);
  p.scalar<float>(f.word_weight);
  p.scalar<uint32_t>(static_cast<uint32_t>(model.labels.size()));
  for (const auto& label : model.labels) p.string(label);
  p.scalar<uint32_t>(static_cast<uint32_t>(model.numeric_fields.size()));
  for (const auto& name : model.numeric_fields) p.string(name);
  p.scalar<int32_t>(model.oos_index);
  p.scalar<float>(model.temperature);
  p.scalar<float>(model.platt_a);
  p.scalar<float>(model.platt_b);
  p.scalar<float>(model.threshold);
  const auto& keys = model.featurizer.keys();
  p.scalar<uint32_t>(static_cast<uint32_t>(keys.size()));
  p.array<FeatureKey>(keys);
  p.array<float>(model.featurizer.idf());
  if (model.kind == ModelKind::xgboost) {
    p.scalar<uint64_t>(model.xgb_blob.size());
    p.bytes(model.xgb_blob);
  } else {
    p.scalar<uint32_t>(model.linear.n_outputs);
    p.array<float>(model.linear.bias);
    p.array<float>(model.linear.weights);
  }
  const std::string& payload = p.buffer();
  ByteWriter file;
  file.bytes(std::string_view(kMagic, sizeof kMagic));
  file.scalar<uint32_t>(kFormatVersion);
  file.scalar<uint32_t>(crc32(payload));
  file.scalar<uint64_t>(payload.size());
  file.bytes(payload);
  return std::move(file.buffer());
}

Result<std::shared_ptr<Model>> deserialize(std::string_view bytes) {
  if (bytes.size() < kHeaderSize) {
    return invalid(fmt::format("file is {} bytes, shorter than the {}-byte header (truncated or not a model file)",
                               bytes.size(), kHeaderSize));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return invalid("bad magic: not an occam classifier file (expected 'OCCAMCLF' at byte 0)");
  }
  ByteReader header(bytes.substr(8, kHeaderSize - 8), 8);
  OCCAM_ASSIGN_OR_RETURN(uint32_t version, header.scalar<uint32_t>("format_version"));
  OCCAM_ASSIGN_OR_RETURN(uint32_t stored_crc, header.scalar<uint32_t>("crc32"));
  OCCAM_ASSIGN_OR_RETURN(uint64_t payload_size, header.scalar<uint64_t>("payload_size"));
  if (version != kFormatVersion) {
    return Error(ErrorCode::unsupported,
                 fmt::format("format version {} is not supported (this build reads version {})", version,
                             kFormatVersion));
  }
  const uint64_t available = bytes.size() - kHeaderSize;
  if (payload_size > available) {
    return invalid(fmt::format("truncated: the header announces a {}-byte payload but only {} bytes follow it",
                               payload_size, available));
  }
  if (payload_size < available) {
    return invalid(fmt::format("{} unexpected bytes after the {}-byte payload", available - payload_size,
                               payload_size));
  }
  std::string_view payload = bytes.substr(kHeaderSize);
  const uint32_t actual_crc = crc32(payload);
  if (actual_crc != stored_crc) {
#ifndef OCCAM_FUZZING  // let the fuzzer reach the payload parser without forging checksums
    return invalid(fmt::format("checksum mismatch: payload CRC-32 is {:08x}, header says {:08x} (file corrupted)",
                               actual_crc, stored_crc));
#endif
  }

  auto model = std::make_shared<Model>();
  ByteReader r(payload, kHeaderSize);
  OCCAM_ASSIGN_OR_RETURN(uint8_t kind, r.scalar<uint8_t>("kind"));
  if (kind > static_cast<uint8_t>(ModelKind::ensemble)) {
    return invalid(fmt::format("field 'kind' at byte {}: unknown model kind {}", kHeaderSize, kind));
  }
  model->kind = static_cast<ModelKind>(kind);
  OCCAM_ASSIGN_OR_RETURN(uint8_t multi_label, r.scalar<uint8_t>("multi_label"));
  if (multi_label > 1) return invalid(fmt::format("field 'multi_label' is {} (expected 0 or 1)", multi_label));
  model->multi_label = multi_label == 1;

  FeaturizerConfig f;
  OCCAM_ASSIGN_OR_RETURN(f.hash_bits, r.scalar<uint32_t>("hash_bits"));
  OCCAM_ASSIGN_OR_RETURN(f.word_ngram_min, r.scalar<uint32_t>("word_ngram_min"));
  OCCAM_ASSIGN_OR_RETURN(f.word_ngram_max, r.scalar<uint32_t>("word_ngram_max"));
  OCCAM_ASSIGN_OR_RETURN(f.char_ngram_min, r.scalar<uint32_t>("char_ngram_min"));
  OCCAM_ASSIGN_OR_RETURN(f.char_ngram_max, r.scalar<uint32_t>("char_ngram_max"));
  uint8_t flags[3];
  const char* flag_names[3] = {"fold_accents", "signed_hash", "sublinear_tf"};
  for (int i = 0; i < 3; ++i) {
    OCCAM_ASSIGN_OR_RETURN(flags[i], r.scalar<uint8_t>(flag_names[i]));
    if (flags[i] > 1) return invalid(fmt::format("field '{}' is {} (expected 0 or 1)", flag_names[i], flags[i]));
  }
  f.fold_accents = flags[0];
  f.signed_hash = flags[1];
  f.sublinear_tf = flags[2];
  OCCAM_ASSIGN_OR_RETURN(f.word_weight, r.scalar<float>("word_weight"));
  if (auto status = f.validate(); !status.ok()) {
    return std::move(status).error().with_context("featurizer settings");
  }

  OCCAM_ASSIGN_OR_RETURN(uint32_t n_labels, r.scalar<uint32_t>("label_count"));
  if (n_labels < 1 || n_labels > kMaxLabels || n_labels > r.remaining() / 4) {
    return invalid(fmt::format("field 'label_count' is {} (expected 1 to {} and within the file)", n_labels,
                               kMaxLabels));
  }
  std::set<std::string> seen;
  for (uint32_t i = 0; i < n_labels; ++i) {
    OCCAM_ASSIGN_OR_RETURN(std::string label, r.string(fmt::format("labels[{}]", i), kMaxNameLength));
    if (!seen.insert(label).second) return invalid(fmt::format("field 'labels[{}]': duplicate label '{}'", i, label));
    model->labels.push_back(std::move(label));
  }
  OCCAM_ASSIGN_OR_RETURN(uint32_t n_numeric, r.scalar<uint32_t>("numeric_field_count"));
  if (n_numeric > r.remaining() / 4) return invalid(fmt::format("field 'numeric_field_count' is {}", n_numeric));
  for (uint32_t i = 0; i < n_numeric; ++i) {
    OCCAM_ASSIGN_OR_RETURN(std::string name, r.string(fmt::format("numeric_fields[{}]", i), kMaxNameLength));
    model->numeric_fields.push_back(std::move(name));
  }
  if (!model->numeric_fields.empty() && model->kind != ModelKind::xgboost) {
    return invalid("numeric fields are only used by xgboost models");
  }
  OCCAM_ASSIGN_OR_RETURN(model->oos_index, r.scalar<int32_t>("oos_index"));
  if (model->oos_index < -1 || model->oos_index >= static_cast<int32_t>(n_labels)) {
    return invalid(fmt::format("field 'oos_index' is {} for {} labels", model->oos_index, n_labels));
  }
  OCCAM_ASSIGN_OR_RETURN(model->temperature, r.scalar<float>("temperature"));
  OCCAM_ASSIGN_OR_RETURN(model->platt_a, r.scalar<float>("platt_a"));
  OCCAM_ASSIGN_OR_RETURN(model->platt_b, r.scalar<float>("platt_b"));
  OCCAM_ASSIGN_OR_RETURN(model->threshold, r.scalar<float>("threshold"));
  if (!(std::isfinite(model->temperature) && model->temperature > 0.0f)) {
    return invalid(fmt::format("field 'temperature' is {} (must be finite and > 0)", model->temperature));
  }
  if (!std::isfinite(model->platt_a) || !std::isfinite(model->platt_b)) {
    return invalid("field 'platt_a'/'platt_b' is not finite");
  }
  if (!(model->threshold >= 0.0f && model->threshold <= 1.0f)) {
    return invalid(fmt::format("field 'threshold' is {} (must be in [0, 1])", model->threshold));
  }

  OCCAM_ASSIGN_OR_RETURN(uint32_t n_rows, r.scalar<uint32_t>("vocabulary_size"));
  std::vector<FeatureKey> keys;
  std::vector<float> idf;
  OCCAM_TRY(r.array("vocabulary_keys", n_rows, keys));
  OCCAM_TRY(r.array("vocabulary_idf", n_rows, idf));
  model->featurizer = Featurizer(f);
  if (auto status = model->featurizer.set_vocabulary(std::move(keys), std::move(idf)); !status.ok()) {
    return std::move(status).error();
  }

  if (model->kind == ModelKind::xgboost) {
    if (model->multi_label) return invalid("xgboost models are multi-class only");
    OCCAM_ASSIGN_OR_RETURN(uint64_t blob_size, r.scalar<uint64_t>("xgboost_size"));
    OCCAM_ASSIGN_OR_RETURN(std::string_view blob, r.bytes("xgboost_booster", blob_size));
    model->xgb_blob.assign(blob);
    auto booster = XgbBooster::from_blob(model->xgb_blob, n_labels,
                                         model->featurizer.dimension() + model->numeric_fields.size());
    if (!booster.ok()) return std::move(booster).error().with_context("field 'xgboost_booster'");
    model->booster = std::move(*booster);
  } else {
    LinearWeights& w = model->linear;
    OCCAM_ASSIGN_OR_RETURN(w.n_outputs, r.scalar<uint32_t>("output_count"));
    if (w.n_outputs != n_labels) {
      return invalid(fmt::format("field 'output_count' is {} but the model has {} labels", w.n_outputs, n_labels));
    }
    w.n_features = n_rows;
    OCCAM_TRY(r.array("bias", w.n_outputs, w.bias));
    OCCAM_TRY(r.array("weights", static_cast<uint64_t>(n_rows) * w.n_outputs, w.weights));
    auto bad = std::find_if(w.weights.begin(), w.weights.end(), [](float v) { return !std::isfinite(v); });
    if (bad != w.weights.end()) {
      return invalid(fmt::format("field 'weights': element {} is not finite", bad - w.weights.begin()));
    }
    auto bad_bias = std::find_if(w.bias.begin(), w.bias.end(), [](float v) { return !std::isfinite(v); });
    if (bad_bias != w.bias.end()) {
      return invalid(fmt::format("field 'bias': element {} is not finite", bad_bias - w.bias.begin()));
    }
  }
  if (r.remaining() != 0) {
    return invalid(fmt::format("{} unexpected bytes at the end of the payload (byte {})", r.remaining(), r.offset()));
  }
  return model;
}

}  // namespace occam::ml::internal
