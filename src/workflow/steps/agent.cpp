// kind: agent — thought → action → observation: the model (through the step's route, with the declared
// tools) either calls tools, whose answers go back as observations, or answers. Stops at the answer, at
// `max_steps` model turns, or when `max_cost` (euros, as the router or the model's price counts them) or
// `max_tokens` is spent. Every turn and every tool call is durable (`<agent>.turn<i>`,
// `<agent>.turn<i>.tool<j>`), and tool calls carry their idempotency key.
//   - {name: helper, kind: agent, route: big, tools: [ticket_status], prompt: "{{ input.question }}",
//      max_steps: 5, max_cost: 0.01}
//   output: {answer, stopped: answer | step_budget | cost_budget, turns, tokens, cost,
//            trace: [{turn, thought, action: {tool, arguments}, observation}]}
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "workflow/steps/model_step.h"
#include "workflow/tools.h"

namespace occam::workflow {
namespace {

namespace json = boost::json;

struct AgentSettings {
  RouteSpec route;
  std::optional<Template> system;
  Template prompt;
  std::vector<std::shared_ptr<const ToolDef>> tools;
  int64_t max_steps = 6;
  double max_cost = 0;       // 0: no cost budget
  int64_t max_tokens = 0;    // 0: no token budget
  backends::GenerateRequest base;
};

json::value turn_to_json(const ModelAnswer& answer) {
  const backends::Choice& c = answer.result.choices.front();
  json::array calls;
  for (const backends::ToolCall& t : c.tool_calls) calls.push_back({{"id", t.id}, {"name", t.name}, {"arguments", t.arguments}});
  return json::object{{"text", c.text}, {"tool_calls", std::move(calls)}, {"model", answer.tier},
                      {"tokens", answer.tokens}, {"cost", answer.cost}};
}

class AgentStep final : public Step {
 public:
  explicit AgentStep(AgentSettings s) : s_(std::move(s)) {}

  Result<json::value> run(StepContext& context) const override {
    backends::GenerateRequest request = s_.base;
    for (const auto& tool : s_.tools) request.tools.push_back({tool->name, tool->description, tool->parameters});
    if (s_.system) {
      OCCAM_ASSIGN_OR_RETURN(std::string text, s_.system->render(context.vars()));
      request.messages.push_back(make_message("system", text));
    }
    OCCAM_ASSIGN_OR_RETURN(std::string prompt, s_.prompt.render(context.vars()));
    request.messages.push_back(make_message("user", prompt));
    OCCAM_ASSIGN_OR_RETURN(std::string route, s_.route.resolve(context.vars()));

    json::array trace;
    std::string answer, stopped = "step_budget", model;
    double cost = 0;
    int64_t tokens = 0, turns = 0;
    for (int64_t turn = 1; turn <= s_.max_steps; ++turn) {
      OCCAM_ASSIGN_OR_RETURN(json::value t, context.durable(fmt::format("turn{}", turn), [&]() -> Result<json::value> {
        OCCAM_ASSIGN_OR_RETURN(ModelAnswer a, context.call_model(route, request));
        if (a.result.choices.empty()) return make_error(ErrorCode::unavailable, "route '{}' gave no choice", route);
        return turn_to_json(a);
      }));
      ++turns;
      const json::object& o = t.as_object();
      cost += o.at("cost").to_number<double>();
      tokens += o.at("tokens").to_number<int64_t>();
      model = std::string(o.at("model").as_string());
      std::string thought(o.at("text").as_string());
      const json::array& calls = o.at("tool_calls").as_array();
      if (calls.empty()) {
        answer = thought;
        stopped = "answer";
        trace.push_back({{"turn", turn}, {"thought", thought}, {"action", nullptr}, {"observation", nullptr}});
        break;
      }
      backends::Message assistant = make_message("assistant", thought);
      assistant.content_null = thought.empty();
      std::vector<backends::Message> observations;
      for (size_t j = 0; j < calls.size(); ++j) {
        const json::object& call = calls[j].as_object();
        backends::ToolCall tc{std::string(call.at("id").as_string()), std::string(call.at("name").as_string()),
                              std::string(call.at("arguments").as_string())};
        assistant.tool_calls.push_back(tc);
        OCCAM_ASSIGN_OR_RETURN(json::value observation, observe(context, tc, fmt::format("turn{}.tool{}", turn, j)));
        boost::system::error_code ec;
        json::value args = json::parse(tc.arguments, ec);
        trace.push_back({{"turn", turn},
                         {"thought", j == 0 ? thought : std::string()},
                         {"action", {{"tool", tc.name}, {"arguments", ec ? json::value(tc.arguments) : args}}},
                         {"observation", observation}});
        backends::Message tool_message = make_message(
            "tool", observation.is_string() ? std::string(observation.as_string()) : json::serialize(observation));
        tool_message.tool_call_id = tc.id;
        observations.push_back(std::move(tool_message));
      }
      request.messages.push_back(std::move(assistant));
      for (auto& m : observations) request.messages.push_back(std::move(m));
      if ((s_.max_cost > 0 && cost >= s_.max_cost) || (s_.max_tokens > 0 && tokens >= s_.max_tokens)) {
        stopped = "cost_budget";
        break;
      }
    }
    if (!model.empty()) context.set_tier(model);
    return json::value(json::object{{"answer", answer}, {"stopped", stopped}, {"turns", turns},
                                    {"tokens", tokens}, {"cost", cost}, {"trace", std::move(trace)}});
  }

 private:
  // A tool's answer, or what went wrong when the model asked for something the tool refuses (the model
  // sees the refusal and may correct itself); a tool that is down fails the step (the run can resume).
  Result<json::value> observe(StepContext& context, const backends::ToolCall& call, const std::string& sub) const {
    const ToolDef* tool = nullptr;
    for (const auto& t : s_.tools) {
      if (t->name == call.name) tool = t.get();
    }
    if (tool == nullptr) return json::value(json::object{{"error", fmt::format("no tool named '{}'", call.name)}});
    boost::system::error_code ec;
    json::value args = json::parse(call.arguments.empty() ? "{}" : call.arguments, ec);
    if (ec || !args.is_object()) {
      return json::value(json::object{{"error", "arguments are not a JSON object"}});
    }
    auto out = context.call_tool(*tool, args, sub);
    if (!out.ok() && out.error().code() == ErrorCode::invalid_argument) {
      return json::value(json::object{{"error", out.error().message()}});
    }
    return out;
  }

  AgentSettings s_;
};

Result<std::unique_ptr<Step>> make_agent(const ConfigNode& node, const ParseContext& context) {
  OCCAM_TRY(check_step_keys(node, {"route", "system", "prompt", "tools", "max_steps", "max_cost", "max_tokens",
                                   "temperature"}));
  AgentSettings s;
  OCCAM_ASSIGN_OR_RETURN(s.route, parse_route(node, context));
  OCCAM_ASSIGN_OR_RETURN(s.system, parse_optional_text(node, "system"));
  OCCAM_ASSIGN_OR_RETURN(s.prompt, parse_text(node, "prompt"));
  OCCAM_ASSIGN_OR_RETURN(ConfigNode tools_node, node.require("tools"));
  OCCAM_ASSIGN_OR_RETURN(auto names, tools_node.as_string_list());
  for (const std::string& name : names) {
    auto it = context.tools->find(name);
    if (it == context.tools->end()) return tools_node.error("no tool '{}' under the workflow's `tools:`", name);
    s.tools.push_back(it->second);
  }
  if (s.tools.empty()) return tools_node.error("an agent needs at least one tool");
  OCCAM_ASSIGN_OR_RETURN(s.max_steps, node.get_int("max_steps", 6, 1, 100));
  OCCAM_ASSIGN_OR_RETURN(s.max_cost, node.get_double("max_cost", 0));
  if (s.max_cost < 0) return node.child("max_cost").error("max_cost cannot be negative");
  OCCAM_ASSIGN_OR_RETURN(s.max_tokens, node.get_int("max_tokens", 0, 0, INT64_MAX));
  OCCAM_TRY(parse_sampling(node, s.base));
  return std::unique_ptr<Step>(std::make_unique<AgentStep>(std::move(s)));
}

}  // namespace

OCCAM_REGISTER_STEP("agent", make_agent);

}  // namespace occam::workflow
