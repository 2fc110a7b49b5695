// kind: classify — a classic model (hashed n-gram TF-IDF + linear/xgboost, `occam train`) labels a text.
//   - {name: category, kind: classify, model: models/tickets.occam-linear, text: "{{ input.body }}"}
//   output: {label, confidence, out_of_scope, top: [{label, probability}]}
#include "ml/ml.h"
#include "workflow/step.h"

namespace occam::workflow {
namespace {

namespace json = boost::json;

class ClassifyStep final : public Step {
 public:
  ClassifyStep(Template text, ml::Classifier model, int top_k)
      : text_(std::move(text)), model_(std::move(model)), top_k_(top_k) {}

  Result<json::value> run(StepContext& context) const override {
    OCCAM_ASSIGN_OR_RETURN(std::string text, text_.render(context.vars()));
    ml::Prediction p = model_.predict(text, top_k_);
    json::array top;
    for (const ml::ScoredLabel& s : p.top_k) top.push_back({{"label", s.label}, {"probability", s.probability}});
    context.set_tier("classic");
    return json::value(json::object{{"label", p.label},
                                    {"confidence", p.probability},
                                    {"out_of_scope", p.out_of_scope},
                                    {"top", std::move(top)}});
  }

 private:
  Template text_;
  ml::Classifier model_;
  int top_k_;
};

Result<std::unique_ptr<Step>> make_classify(const ConfigNode& node, const ParseContext& context) {
  OCCAM_TRY(check_step_keys(node, {"model", "text", "top_k"}));
  OCCAM_ASSIGN_OR_RETURN(ConfigNode model_node, node.require("model"));
  OCCAM_ASSIGN_OR_RETURN(std::string file, model_node.as_string());
  auto model = ml::Classifier::load(context.base_dir / file);
  if (!model.ok()) return model_node.error("{}", model.error().message());
  OCCAM_ASSIGN_OR_RETURN(ConfigNode text_node, node.require("text"));
  OCCAM_ASSIGN_OR_RETURN(std::string source, text_node.as_string());
  auto text = Template::text(source);
  if (!text.ok()) return text_node.error("{}", text.error().message());
  OCCAM_ASSIGN_OR_RETURN(int64_t top_k, node.get_int("top_k", 3, 1, 100));
  return std::unique_ptr<Step>(std::make_unique<ClassifyStep>(std::move(*text), std::move(*model), static_cast<int>(top_k)));
}

}  // namespace

OCCAM_REGISTER_STEP("classify", make_classify);

}  // namespace occam::workflow
