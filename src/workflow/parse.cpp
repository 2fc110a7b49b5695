#include <cctype>
#include <set>

#include "workflow/definition.h"

namespace occam::workflow {

namespace json = boost::json;

std::map<std::string, StepKind, std::less<>>& step_registry() {
  static std::map<std::string, StepKind, std::less<>> registry;
  return registry;
}

Status check_step_keys(const ConfigNode& node, std::initializer_list<std::string_view> own) {
  std::vector<std::string_view> allowed(std::begin(kCommonStepKeys), std::end(kCommonStepKeys));
  allowed.insert(allowed.end(), own.begin(), own.end());
  return node.check_keys(allowed);
}

namespace {

const std::set<std::string, std::less<>> kTypes = {"string", "number", "integer", "boolean", "object", "array", "any"};

// `name: type` or `name: {type, required, from}`.
Result<TypedField> parse_field(const std::string& name, const ConfigNode& node, bool output) {
  TypedField f;
  f.name = name;
  f.where = node.where();
  if (node.is_map()) {
    OCCAM_TRY(output ? node.check_keys({"type", "from", "required", "description"})
                     : node.check_keys({"type", "required", "description"}));
    OCCAM_ASSIGN_OR_RETURN(f.type, node.get_string("type", "any"));
    OCCAM_ASSIGN_OR_RETURN(f.required, node.get_bool("required", true));
    if (output) {
      OCCAM_ASSIGN_OR_RETURN(ConfigNode from, node.require("from"));
      OCCAM_ASSIGN_OR_RETURN(std::string expr, from.as_string());
      auto t = Template::expression(expr);
      if (!t.ok()) return from.error("{}", t.error().message());
      f.from = std::move(*t);
    }
  } else {
    OCCAM_ASSIGN_OR_RETURN(std::string s, node.as_string());
    if (output) {  // shorthand: the expression, any type
      auto t = Template::expression(s);
      if (!t.ok()) return node.error("{}", t.error().message());
      f.from = std::move(*t);
    } else {
      f.type = s;
    }
  }
  if (!kTypes.contains(f.type)) {
    return node.error("unknown type '{}' (string, number, integer, boolean, object, array, any)", f.type);
  }
  return f;
}

Result<StepList> parse_steps(const ConfigNode& sequence, const ParseContext& context, const std::string& workflow) {
  if (!sequence.is_sequence()) return sequence.error("expected a list of steps");
  OCCAM_ASSIGN_OR_RETURN(auto items, sequence.items());
  StepList steps;
  std::set<std::string> names;
  for (const ConfigNode& node : items) {
    if (!node.is_map()) return node.error("workflow '{}': a step is a map with 'name' and 'kind'", workflow);
    OCCAM_ASSIGN_OR_RETURN(ConfigNode name_node, node.require("name"));
    OCCAM_ASSIGN_OR_RETURN(std::string name, name_node.as_string());
    auto fail = [&](Error e) { return e.with_context(fmt::format("workflow '{}' step '{}'", workflow, name)); };
    bool valid = !name.empty();
    for (char c : name) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
    if (!valid) return fail(name_node.error("a step name is letters, digits, '_' and '-'"));
    if (!names.insert(name).second) return fail(name_node.error("a step with this name already exists"));
    auto kind_node = node.require("kind");
    if (!kind_node.ok()) return fail(std::move(kind_node).error());
    OCCAM_ASSIGN_OR_RETURN(std::string kind, kind_node->as_string());
    auto& registry = step_registry();
    auto it = registry.find(kind);
    if (it == registry.end()) {
      std::string known;
      for (const auto& [k, v] : registry) known += fmt::format("{}{}", known.empty() ? "" : ", ", k);
      return fail(kind_node->error("unknown step kind '{}' (known: {})", kind, known));
    }
    auto step = it->second.factory(node, context);
    if (!step.ok()) return fail(std::move(step).error());
    auto def = std::make_shared<StepDef>();
    def->name = name;
    def->kind = kind;
    def->where = node.where();
    def->step = std::move(*step);
    steps.push_back(std::move(def));
  }
  return steps;
}

}  // namespace

Result<Workflow> parse_workflow(const std::string& name, const ConfigNode& node, const std::filesystem::path& base_dir,
                                const std::function<bool(std::string_view)>& route_known) {
  Workflow wf;
  wf.name = name;
  wf.file = node.where();
  if (!node.is_map()) return node.error("workflow '{}': expected a map with 'steps'", name);
  OCCAM_TRY(node.check_keys({"name", "description", "inputs", "outputs", "allow_urls", "tools", "steps"}));
  if (ConfigNode inputs = node.child("inputs"); inputs.present()) {
    OCCAM_ASSIGN_OR_RETURN(auto entries, inputs.entries());
    for (const auto& [k, v] : entries) {
      OCCAM_ASSIGN_OR_RETURN(TypedField f, parse_field(k, v, false));
      wf.inputs.push_back(std::move(f));
    }
  }
  if (ConfigNode outputs = node.child("outputs"); outputs.present()) {
    OCCAM_ASSIGN_OR_RETURN(auto entries, outputs.entries());
    for (const auto& [k, v] : entries) {
      OCCAM_ASSIGN_OR_RETURN(TypedField f, parse_field(k, v, true));
      wf.outputs.push_back(std::move(f));
    }
  }
  std::vector<std::string> allow_urls;
  if (node.child("allow_urls").present()) {
    OCCAM_ASSIGN_OR_RETURN(allow_urls, node.child("allow_urls").as_string_list());
  }
  if (ConfigNode tools = node.child("tools"); tools.present()) {
    OCCAM_ASSIGN_OR_RETURN(auto entries, tools.entries());
    for (const auto& [k, v] : entries) {
      auto tool = parse_tool(k, v, allow_urls, base_dir);
      if (!tool.ok()) return Error(tool.error()).with_context(fmt::format("workflow '{}'", name));
      wf.tools[k] = std::move(*tool);
    }
  }
  ParseContext context;
  context.base_dir = base_dir;
  context.tools = &wf.tools;
  context.route_known = route_known;
  context.parse_steps = [&context, name](const ConfigNode& sequence) { return parse_steps(sequence, context, name); };
  OCCAM_ASSIGN_OR_RETURN(ConfigNode steps, node.require("steps"));
  OCCAM_ASSIGN_OR_RETURN(wf.steps, parse_steps(steps, context, name));
  if (wf.steps.empty()) return steps.error("workflow '{}': no steps", name);
  return wf;
}

Status check_type(const TypedField& field, const json::value* value, std::string_view what) {
  if (value == nullptr || value->is_null()) {
    if (field.required) return make_error(ErrorCode::invalid_argument, "{} '{}' is missing", what, field.name);
    return ok_status();
  }
  const std::string& t = field.type;
  bool ok = t == "any" || (t == "string" && value->is_string()) || (t == "number" && value->is_number()) ||
            (t == "integer" && (value->is_int64() || value->is_uint64())) || (t == "boolean" && value->is_bool()) ||
            (t == "object" && value->is_object()) || (t == "array" && value->is_array());
  if (!ok) return make_error(ErrorCode::invalid_argument, "{} '{}': expected {}", what, field.name, t);
  return ok_status();
}

}  // namespace occam::workflow
