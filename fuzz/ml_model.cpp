// fuzz-deps: core ml
// libFuzzer target for the classifier model-file reader (ml::Classifier::from_bytes). In fuzz
// builds the payload checksum is not enforced (OCCAM_FUZZING), so mutations reach every field.
// A loaded model must also predict without crashing.
//
// Seeds: OCCAM_ML_FUZZ_WRITE_SEEDS=DIR fuzz_ml_model -runs=0 trains small models (every model
// family, multi-class, multi-label, with an OOS class) and writes them to DIR.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "ml/ml.h"

namespace {

void write_seeds(const std::string& dir) {
  using namespace occam::ml;
  std::string jsonl;
  const char* words[] = {"card", "lost", "refund", "late", "pin", "blocked", "transfer", "fee", "été", "à"};
  for (int i = 0; i < 90; ++i) {
    const char* label = i % 3 == 0 ? "card" : (i % 3 == 1 ? "refund" : "oos");
    jsonl += std::string(R"({"text": ")") + words[i % 10] + " " + words[(i * 7) % 10] + " " + label +
             R"(", "label": ")" + label + R"(", "amount": )" + std::to_string(i) + R"(, "split": ")" +
             (i % 5 == 0 ? "validation" : "train") + "\"}\n";
  }
  DatasetOptions dopts;
  dopts.numeric_fields = {"amount"};
  auto numeric = parse_jsonl(jsonl, dopts);
  auto plain = parse_jsonl(jsonl, {});
  if (!numeric.ok() || !plain.ok()) std::abort();
  int n = 0;
  auto emit = [&](const Dataset& data, TrainOptions options) {
    options.features.hash_bits = 10;
    options.threads = 1;
    auto model = Classifier::train(data, options);
    if (!model.ok()) std::abort();
    std::ofstream(dir + "/model_" + std::to_string(n++) + ".bin", std::ios::binary) << model->to_bytes();
  };
  TrainOptions options;
  for (ModelKind kind : {ModelKind::logreg, ModelKind::svm, ModelKind::nb}) {
    options.kind = kind;
    emit(*plain, options);
  }
  options.kind = ModelKind::logreg;
  options.oos_label = "oos";
  options.features.fold_accents = true;
  options.features.signed_hash = true;
  emit(*plain, options);
  TrainOptions xgb;
  xgb.kind = ModelKind::xgboost;
  xgb.xgb_rounds = 3;
  xgb.xgb_max_depth = 2;
  emit(*numeric, xgb);
  std::string multi;
  for (int i = 0; i < 40; ++i) {
    multi += std::string(R"({"text": "room )") + words[i % 10] + R"(", "labels": [)" +
             (i % 2 ? R"("a", "b")" : R"("b")") + "]}\n";
  }
  auto multi_data = parse_jsonl(multi, {});
  if (!multi_data.ok()) std::abort();
  TrainOptions ml;
  ml.kind = ModelKind::logreg;
  emit(*multi_data, ml);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("OCCAM_ML_FUZZ_WRITE_SEEDS")) {
    write_seeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // xgboost payloads (kind byte 2) are skipped: libxgboost's own UBJSON reader trusts lengths in
  // the booster blob (a mutated blob asked for a 258 GB string). Our reader only bounds the blob;
  // xgboost model files must come from a trusted source (the CRC refuses accidental damage).
  if (size > 24 && data[24] == 2) return 0;
  auto model = occam::ml::Classifier::from_bytes(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!model.ok()) return 0;
  const float numeric[] = {3.0f};
  auto p = model->predict("carte bloquée, refund late", numeric, 3);
  if (p.index < 0 || p.index >= static_cast<int>(model->labels().size())) std::abort();
  (void)model->to_bytes();
  return 0;
}
