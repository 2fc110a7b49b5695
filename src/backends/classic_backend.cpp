// backend: classic — a classic-ML text classifier (src/ml, written by `occam train classify`) that serves
// POST /v1/classify. It has no generation: chat, completion and embedding requests are refused with a 400.
//   tickets: {backend: classic, path: models/tickets.occam-linear}
//
// A prediction takes microseconds and shares nothing mutable (ml::Classifier::predict is const and
// thread-safe), so it runs inline on the calling coroutine's thread instead of on a scheduler.
#include <algorithm>

#include "backends/backend.h"
#include "ml/ml.h"

namespace occam::backends {
namespace {

Error not_generative(std::string_view model) {
  return make_error(ErrorCode::invalid_argument,
                    "model: '{}' is a classifier (backend classic): it only answers POST /v1/classify",
                    model);
}

Capabilities classic_capabilities() {
  Capabilities caps;
  caps.chat = false;
  caps.completion = false;
  caps.streaming = false;
  caps.classify = true;
  return caps;
}

class ClassicBackend final : public Backend {
 public:
  ClassicBackend(std::string name, ml::Classifier model) : name_(std::move(name)), model_(std::move(model)) {}

  const Capabilities& capabilities() const override { return caps_; }

  Task<Result<GenerateResult>> generate(const GenerateRequest&, const DeltaSink*) override {
    co_return not_generative(name_);
  }

  Task<Result<EmbeddingResult>> embed(const EmbeddingRequest&) override { co_return not_generative(name_); }

  Task<Result<ClassifyResult>> classify(const ClassifyRequest& request) override {
    int top_k = std::clamp(request.top_k, 1, static_cast<int>(model_.labels().size()));
    ClassifyResult result;
    result.data.reserve(request.input.size());
    for (const std::string& text : request.input) {
      ml::Prediction p = model_.predict(text, top_k);
      Classification c;
      c.label = std::string(p.label);
      c.confidence = p.probability;
      c.out_of_scope = p.out_of_scope;
      for (const ml::ScoredLabel& s : p.top_k) c.labels.push_back({std::string(s.label), s.probability});
      result.data.push_back(std::move(c));
      result.characters += static_cast<int64_t>(text.size());
    }
    co_return result;
  }

 private:
  std::string name_;
  ml::Classifier model_;
  Capabilities caps_ = classic_capabilities();
};

Result<std::unique_ptr<Backend>> make_classic(const BackendContext& context) {
  OCCAM_ASSIGN_OR_RETURN(ConfigNode path_node, context.settings.require("path"));
  OCCAM_ASSIGN_OR_RETURN(std::string path, path_node.as_string());
  auto model = ml::Classifier::load(path);
  if (!model) return path_node.error("{}", model.error().message());
  return std::unique_ptr<Backend>(std::make_unique<ClassicBackend>(context.model_name, std::move(*model)));
}

}  // namespace

OCCAM_REGISTER_BACKEND(classic, make_classic, "path");

}  // namespace occam::backends
