// kind: branch — runs `then` or `else` steps on a Jinja condition. Their outputs join `steps` like any
// other step's; the branch's own output says which side ran and what its last step gave.
//   - {name: route_fr, kind: branch, if: "steps.lang.label == 'fr'", then: [...], else: [...]}
//   output: {taken: "then" | "else", output}
#include "workflow/step.h"

namespace occam::workflow {
namespace {

namespace json = boost::json;

class BranchStep final : public Step {
 public:
  BranchStep(Template condition, StepList then_steps, StepList else_steps)
      : condition_(std::move(condition)), then_(std::move(then_steps)), else_(std::move(else_steps)) {}

  Result<json::value> run(StepContext& context) const override {
    // The chosen side is recorded on its own, so a resumed run takes the same side even if the
    // condition read something that changed.
    OCCAM_ASSIGN_OR_RETURN(json::value taken, context.durable("if", [&]() -> Result<json::value> {
      OCCAM_ASSIGN_OR_RETURN(bool yes, condition_.truthy(context.vars()));
      return json::value(yes ? "then" : "else");
    }));
    bool yes = taken == json::value("then");
    OCCAM_ASSIGN_OR_RETURN(json::value out, context.run_steps(yes ? then_ : else_, context.vars(), yes ? "then" : "else"));
    return json::value(json::object{{"taken", taken}, {"output", out}});
  }

 private:
  Template condition_;
  StepList then_;
  StepList else_;
};

Result<std::unique_ptr<Step>> make_branch(const ConfigNode& node, const ParseContext& context) {
  OCCAM_TRY(check_step_keys(node, {"if", "then", "else"}));
  OCCAM_ASSIGN_OR_RETURN(ConfigNode if_node, node.require("if"));
  OCCAM_ASSIGN_OR_RETURN(std::string source, if_node.as_string());
  auto condition = Template::expression(source);
  if (!condition.ok()) return if_node.error("{}", condition.error().message());
  OCCAM_ASSIGN_OR_RETURN(ConfigNode then_node, node.require("then"));
  OCCAM_ASSIGN_OR_RETURN(StepList then_steps, context.parse_steps(then_node));
  StepList else_steps;
  if (node.child("else").present()) {
    OCCAM_ASSIGN_OR_RETURN(else_steps, context.parse_steps(node.child("else")));
  }
  return std::unique_ptr<Step>(std::make_unique<BranchStep>(std::move(*condition), std::move(then_steps), std::move(else_steps)));
}

}  // namespace

OCCAM_REGISTER_STEP("branch", make_branch);

}  // namespace occam::workflow
