// Verifier `classifier_confidence`: a classic-ML model (src/ml) reads the answer; its calibrated
// confidence must reach `min`, and when `labels` is given the predicted label must be one of them
// (e.g. an answer-quality or topic model).
//
//   verify: [{classifier_confidence: {model: models/answer_ok.occam-linear, min: 0.7, labels: [ok]}}]
#include "ml/ml.h"
#include "router/router.h"

namespace occam::router {
namespace {

class ClassifierConfidenceVerifier final : public Verifier {
 public:
  static Result<std::unique_ptr<Verifier>> from_config(const ConfigNode& node, const PolicyContext& context) {
    OCCAM_TRY(node.check_keys({"model", "min", "labels"}));
    auto v = std::make_unique<ClassifierConfidenceVerifier>();
    OCCAM_ASSIGN_OR_RETURN(ConfigNode model, node.require("model"));
    OCCAM_ASSIGN_OR_RETURN(std::string file, model.as_string());
    std::filesystem::path path = file;
    if (path.is_relative() && !context.base_dir.empty()) path = context.base_dir / path;
    auto classifier = ml::Classifier::load(path);
    if (!classifier.ok()) return model.error("{}", classifier.error().message());
    v->classifier_ = std::make_unique<ml::Classifier>(std::move(classifier).value());
    OCCAM_ASSIGN_OR_RETURN(v->min_, node.get_double("min", 0.5));
    if (node.child("labels").present()) {
      OCCAM_ASSIGN_OR_RETURN(v->labels_, node.child("labels").as_string_list());
    }
    return std::unique_ptr<Verifier>(std::move(v));
  }

  std::string_view kind() const override { return "classifier_confidence"; }

  Task<Result<Verdict>> verify(const VerifyInput& input) const override {
    double lowest = 1.0;
    std::string label;
    for (const backends::Choice& c : input.result->choices) {
      ml::Prediction p = classifier_->predict(c.text, 1);
      if (!labels_.empty() && std::find(labels_.begin(), labels_.end(), p.label) == labels_.end()) {
        co_return Verdict{"classifier_confidence", false, p.probability,
                          fmt::format("choice {}: label '{}' not accepted", c.index, p.label)};
      }
      if (p.probability < lowest) {
        lowest = p.probability;
        label = std::string(p.label);
      }
    }
    bool ok = lowest >= min_;
    co_return Verdict{"classifier_confidence", ok, lowest,
                      fmt::format("'{}' at {:.3f} {} {:.3f}", label, lowest, ok ? ">=" : "<", min_)};
  }

 private:
  std::unique_ptr<ml::Classifier> classifier_;
  double min_ = 0.5;
  std::vector<std::string> labels_;
};

OCCAM_REGISTER_VERIFIER("classifier_confidence", ClassifierConfidenceVerifier::from_config);

}  // namespace
}  // namespace occam::router
