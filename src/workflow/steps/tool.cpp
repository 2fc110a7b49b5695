// kind: tool — one call of a declared tool (HTTP on the allow-list, or a built-in) with templated
// arguments. The call carries the idempotency key `<run id>/<step path>` and is recorded as started before
// it is made, so a resumed run repeats it only with the same key.
//   - {name: status, kind: tool, tool: ticket_status, with: {ticket_id: "{{ input.ticket_id }}"}}
//   output: the tool's answer (JSON)
#include "workflow/step.h"
#include "workflow/tools.h"

namespace occam::workflow {
namespace {

namespace json = boost::json;

class ToolStep final : public Step {
 public:
  ToolStep(std::shared_ptr<const ToolDef> tool, ValueTemplate arguments)
      : tool_(std::move(tool)), arguments_(std::move(arguments)) {}

  Result<json::value> run(StepContext& context) const override {
    OCCAM_ASSIGN_OR_RETURN(json::value arguments, arguments_.render(context.vars()));
    if (arguments.is_null()) arguments = json::object();
    return context.call_tool(*tool_, arguments, "");
  }

 private:
  std::shared_ptr<const ToolDef> tool_;
  ValueTemplate arguments_;
};

Result<std::unique_ptr<Step>> make_tool(const ConfigNode& node, const ParseContext& context) {
  OCCAM_TRY(check_step_keys(node, {"tool", "with"}));
  OCCAM_ASSIGN_OR_RETURN(ConfigNode tool_node, node.require("tool"));
  OCCAM_ASSIGN_OR_RETURN(std::string name, tool_node.as_string());
  auto it = context.tools->find(name);
  if (it == context.tools->end()) return tool_node.error("no tool '{}' under the workflow's `tools:`", name);
  ValueTemplate arguments;
  if (node.child("with").present()) {
    if (!node.child("with").is_map()) return node.child("with").error("expected a map of arguments");
    OCCAM_ASSIGN_OR_RETURN(arguments, ValueTemplate::parse(node.child("with")));
  }
  return std::unique_ptr<Step>(std::make_unique<ToolStep>(it->second, std::move(arguments)));
}

}  // namespace

OCCAM_REGISTER_STEP("tool", make_tool);

}  // namespace occam::workflow
