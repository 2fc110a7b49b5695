// Policy `classifier`: a classic-ML model (src/ml) scores the last user message; when its calibrated
// confidence reaches the threshold and the label is mapped, the mapped tiers answer. Otherwise the chain
// goes on (later policies decide).
//
//   - classifier: {model: models/intent.occam-linear, threshold: 0.8,
//                  labels: {billing: [local-small], legal: [big]}, refuse_labels: [abuse]}
#include <algorithm>

#include "ml/ml.h"
#include "router/router.h"

namespace occam::router {
namespace {

class ClassifierPolicy final : public Policy {
 public:
  static Result<std::unique_ptr<Policy>> from_config(const ConfigNode& node, const PolicyContext& context) {
    OCCAM_TRY(node.check_keys({"model", "threshold", "labels", "refuse_labels"}));
    auto policy = std::make_unique<ClassifierPolicy>();
    OCCAM_ASSIGN_OR_RETURN(ConfigNode model, node.require("model"));
    OCCAM_ASSIGN_OR_RETURN(std::string file, model.as_string());
    std::filesystem::path path = file;
    if (path.is_relative() && !context.base_dir.empty()) path = context.base_dir / path;
    auto classifier = ml::Classifier::load(path);
    if (!classifier.ok()) return model.error("{}", classifier.error().message());
    policy->classifier_ = std::make_unique<ml::Classifier>(std::move(classifier).value());
    OCCAM_ASSIGN_OR_RETURN(policy->threshold_, node.get_double("threshold", 0.5));
    if (!(policy->threshold_ >= 0 && policy->threshold_ <= 1)) {
      return node.child("threshold").error("expected a number in [0, 1]");
    }
    ConfigNode labels = node.child("labels");
    if (labels.present()) {
      OCCAM_ASSIGN_OR_RETURN(auto entries, labels.entries());
      for (auto& [label, tiers] : entries) {
        const auto& known = policy->classifier_->labels();
        if (std::find(known.begin(), known.end(), label) == known.end()) {
          return tiers.error("the model has no label '{}'", label);
        }
        OCCAM_ASSIGN_OR_RETURN(auto list, tiers.as_string_list());
        for (const std::string& t : list)
          if (!context.tiers->count(t)) return tiers.error("unknown model '{}'", t);
        policy->labels_[label] = std::move(list);
      }
    }
    if (node.child("refuse_labels").present()) {
      OCCAM_ASSIGN_OR_RETURN(policy->refuse_labels_, node.child("refuse_labels").as_string_list());
    }
    return std::unique_ptr<Policy>(std::move(policy));
  }

  Status decide(const RequestView& view, Plan& plan, PolicyStep& step) const override {
    // The per-request probabilities (shared with any other policy naming the same model), then the
    // argmax: no Prediction to build, nothing allocated here.
    std::span<const float> p = view.class_probabilities(*classifier_);
    if (p.empty()) return make_error(ErrorCode::internal, "classifier has no labels");
    const size_t best = static_cast<size_t>(std::max_element(p.begin(), p.end()) - p.begin());
    const std::string& label = classifier_->labels()[best];
    step.score = p[best];
    step.threshold = threshold_;
    step.detail = label;
    if (p[best] < threshold_ || classifier_->is_out_of_scope(p)) {
      step.outcome = "below_threshold";
      return ok_status();
    }
    if (std::find(refuse_labels_.begin(), refuse_labels_.end(), label) != refuse_labels_.end()) {
      plan.refused = true;
      plan.refusal = fmt::format("classifier label '{}'", label);
      step.outcome = "refuse";
      return ok_status();
    }
    auto it = labels_.find(label);
    if (it == labels_.end() || plan.decided) {
      step.outcome = plan.decided ? "skipped" : "unmapped";
      return ok_status();
    }
    plan.tiers = it->second;
    plan.decided = true;
    step.outcome = "tiers";
    return ok_status();
  }

 private:
  std::unique_ptr<ml::Classifier> classifier_;
  double threshold_ = 0.5;
  std::map<std::string, std::vector<std::string>, std::less<>> labels_;
  std::vector<std::string> refuse_labels_;
};

OCCAM_REGISTER_POLICY("classifier", ClassifierPolicy::from_config);

}  // namespace
}  // namespace occam::router
