// kind: map — runs its steps once per item of a list (an expression), with `item` and `index` set;
// each item's steps are durable on their own (`<map>[i].<step>`), so a resumed run continues mid-list.
//   - {name: lines, kind: map, over: input.items, steps: [...]}
//   output: the last step's output for each item, in order
#include "workflow/step.h"

namespace occam::workflow {
namespace {

namespace json = boost::json;

class MapStep final : public Step {
 public:
  MapStep(Template over, StepList steps, int64_t max_items)
      : over_(std::move(over)), steps_(std::move(steps)), max_items_(max_items) {}

  Result<json::value> run(StepContext& context) const override {
    OCCAM_ASSIGN_OR_RETURN(json::value list, context.durable("over", [&]() { return over_.evaluate(context.vars()); }));
    if (!list.is_array()) return make_error(ErrorCode::invalid_argument, "map over '{}': not a list", over_.source());
    if (static_cast<int64_t>(list.get_array().size()) > max_items_) {
      return make_error(ErrorCode::invalid_argument, "map over '{}': {} items, more than max_items {}", over_.source(),
                        list.get_array().size(), max_items_);
    }
    json::array out;
    size_t index = 0;
    for (const json::value& item : list.get_array()) {
      json::object vars = context.vars();  // each item sees the run so far, plus its own steps
      vars["item"] = item;
      vars["index"] = index;
      vars["steps"] = vars["steps"].is_object() ? vars["steps"] : json::object();
      OCCAM_ASSIGN_OR_RETURN(json::value last, context.run_steps(steps_, vars, fmt::format("[{}]", index)));
      out.push_back(std::move(last));
      ++index;
    }
    return json::value(std::move(out));
  }

 private:
  Template over_;
  StepList steps_;
  int64_t max_items_;
};

Result<std::unique_ptr<Step>> make_map(const ConfigNode& node, const ParseContext& context) {
  OCCAM_TRY(check_step_keys(node, {"over", "steps", "max_items"}));
  OCCAM_ASSIGN_OR_RETURN(ConfigNode over_node, node.require("over"));
  OCCAM_ASSIGN_OR_RETURN(std::string source, over_node.as_string());
  auto over = Template::expression(source);
  if (!over.ok()) return over_node.error("{}", over.error().message());
  OCCAM_ASSIGN_OR_RETURN(ConfigNode steps_node, node.require("steps"));
  OCCAM_ASSIGN_OR_RETURN(StepList steps, context.parse_steps(steps_node));
  OCCAM_ASSIGN_OR_RETURN(int64_t max_items, node.get_int("max_items", 10000, 1, 1000000));
  return std::unique_ptr<Step>(std::make_unique<MapStep>(std::move(*over), std::move(steps), max_items));
}

}  // namespace

OCCAM_REGISTER_STEP("map", make_map);

}  // namespace occam::workflow
