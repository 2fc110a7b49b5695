// kind: generate — a Jinja prompt (and optional system prompt) sent through a route; the answer's text.
//   - {name: reply, kind: generate, route: auto, system: "...", prompt: "Reply to: {{ input.body }}"}
//   output: {text, model, finish_reason, tokens}
#include "workflow/steps/model_step.h"

namespace occam::workflow {
namespace {

namespace json = boost::json;

class GenerateStep final : public Step {
 public:
  GenerateStep(RouteSpec route, std::optional<Template> system, Template prompt, backends::GenerateRequest base)
      : route_(std::move(route)), system_(std::move(system)), prompt_(std::move(prompt)), base_(std::move(base)) {}

  Result<json::value> run(StepContext& context) const override {
    backends::GenerateRequest request = base_;
    if (system_) {
      OCCAM_ASSIGN_OR_RETURN(std::string s, system_->render(context.vars()));
      request.messages.push_back(make_message("system", s));
    }
    OCCAM_ASSIGN_OR_RETURN(std::string prompt, prompt_.render(context.vars()));
    request.messages.push_back(make_message("user", prompt));
    OCCAM_ASSIGN_OR_RETURN(std::string route, route_.resolve(context.vars()));
    OCCAM_ASSIGN_OR_RETURN(ModelAnswer answer, context.call_model(route, request));
    if (answer.result.choices.empty()) return make_error(ErrorCode::unavailable, "route '{}' gave no choice", route);
    const backends::Choice& c = answer.result.choices.front();
    return json::value(json::object{{"text", c.text},
                                    {"model", answer.tier},
                                    {"finish_reason", c.finish_reason},
                                    {"tokens", answer.tokens}});
  }

 private:
  RouteSpec route_;
  std::optional<Template> system_;
  Template prompt_;
  backends::GenerateRequest base_;
};

Result<std::unique_ptr<Step>> make_generate(const ConfigNode& node, const ParseContext& context) {
  OCCAM_TRY(check_step_keys(node, {"route", "system", "prompt", "max_tokens", "temperature"}));
  OCCAM_ASSIGN_OR_RETURN(RouteSpec route, parse_route(node, context));
  OCCAM_ASSIGN_OR_RETURN(auto system, parse_optional_text(node, "system"));
  OCCAM_ASSIGN_OR_RETURN(Template prompt, parse_text(node, "prompt"));
  backends::GenerateRequest base;
  OCCAM_TRY(parse_sampling(node, base));
  return std::unique_ptr<Step>(
      std::make_unique<GenerateStep>(std::move(route), std::move(system), std::move(prompt), std::move(base)));
}

}  // namespace

OCCAM_REGISTER_STEP("generate", make_generate);

}  // namespace occam::workflow
