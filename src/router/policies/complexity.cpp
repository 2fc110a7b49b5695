// Policy `complexity`: the learned score that the small tier suffices (router/complexity.h, trained by
// `occam router train`, threshold set by `occam router calibrate`). At or above the threshold the `small`
// tiers answer (a cascade: the route's verifiers can still escalate), below it the `large` tiers.
//
//   - complexity: {model: models/gsm8k.occam-complexity, small: [local-small, big], large: [big]}
//                                                         # threshold: 0.6 overrides the calibrated one
#include "router/complexity.h"

#include "router/router.h"

namespace occam::router {
namespace {

class ComplexityPolicy final : public Policy {
 public:
  static Result<std::unique_ptr<Policy>> from_config(const ConfigNode& node, const PolicyContext& context) {
    OCCAM_TRY(node.check_keys({"model", "threshold", "small", "large"}));
    auto policy = std::make_unique<ComplexityPolicy>();
    OCCAM_ASSIGN_OR_RETURN(ConfigNode model, node.require("model"));
    OCCAM_ASSIGN_OR_RETURN(std::string file, model.as_string());
    std::filesystem::path path = file;
    if (path.is_relative() && !context.base_dir.empty()) path = context.base_dir / path;
    auto loaded = ComplexityModel::load(path);
    if (!loaded.ok()) return model.error("{}", loaded.error().message());
    policy->model_ = std::move(loaded).value();
    OCCAM_ASSIGN_OR_RETURN(policy->threshold_, node.get_double("threshold", policy->model_.threshold()));
    for (auto [key, list] : {std::pair{"small", &policy->small_}, std::pair{"large", &policy->large_}}) {
      OCCAM_ASSIGN_OR_RETURN(ConfigNode tiers, node.require(key));
      OCCAM_ASSIGN_OR_RETURN(*list, tiers.as_string_list());
      if (list->empty()) return tiers.error("expected at least one model");
      for (const std::string& t : *list)
        if (!context.tiers->count(t)) return tiers.error("unknown model '{}'", t);
    }
    return std::unique_ptr<Policy>(std::move(policy));
  }

  Status decide(const RequestView& view, Plan& plan, PolicyStep& step) const override {
    // The features are computed once per request and shared with other complexity policies.
    double score = model_.score(view.complexity_features(model_.hash_bits()));
    step.score = score;
    step.threshold = threshold_;
    if (plan.decided) {
      step.outcome = "skipped";
      return ok_status();
    }
    bool small = score >= threshold_;
    plan.tiers = small ? small_ : large_;
    plan.decided = true;
    step.outcome = small ? "small" : "large";
    return ok_status();
  }

 private:
  ComplexityModel model_;
  double threshold_ = 0.5;
  std::vector<std::string> small_, large_;
};

OCCAM_REGISTER_POLICY("complexity", ComplexityPolicy::from_config);

}  // namespace
}  // namespace occam::router
