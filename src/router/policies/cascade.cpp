// Policy `cascade`: the ordered tiers to try, cheapest first, with the route's verifiers between them.
// A failed verification or a backend fault escalates to the next tier. Skipped when an earlier policy
// already fixed the tiers.
//
//   - cascade: [local-small, big]          # or {tiers: [local-small, big]}
#include "router/router.h"

namespace occam::router {
namespace {

class CascadePolicy final : public Policy {
 public:
  static Result<std::unique_ptr<Policy>> from_config(const ConfigNode& node, const PolicyContext& context) {
    auto policy = std::make_unique<CascadePolicy>();
    ConfigNode tiers = node;
    if (node.is_map()) {
      OCCAM_TRY(node.check_keys({"tiers"}));
      OCCAM_ASSIGN_OR_RETURN(tiers, node.require("tiers"));
    }
    OCCAM_ASSIGN_OR_RETURN(policy->tiers_, tiers.as_string_list());
    if (policy->tiers_.empty()) return tiers.error("a cascade needs at least one tier");
    for (const std::string& t : policy->tiers_)
      if (!context.tiers->count(t)) return tiers.error("unknown model '{}' (not under models:)", t);
    return std::unique_ptr<Policy>(std::move(policy));
  }

  Status decide(const RequestView&, Plan& plan, PolicyStep& step) const override {
    if (plan.decided) {
      step.outcome = "skipped";
      return ok_status();
    }
    plan.tiers = tiers_;
    plan.decided = true;
    step.outcome = "tiers";
    for (const std::string& t : tiers_) step.detail += (step.detail.empty() ? "" : ">") + t;
    return ok_status();
  }

 private:
  std::vector<std::string> tiers_;
};

OCCAM_REGISTER_POLICY("cascade", CascadePolicy::from_config);

}  // namespace
}  // namespace occam::router
