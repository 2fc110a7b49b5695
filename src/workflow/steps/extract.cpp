// kind: extract — fields to a JSON schema: the route is asked for response_format json_schema, and the
// answer is parsed and validated against the schema (an invalid answer fails the step with its JSON path).
//   - {name: fields, kind: extract, route: auto, schema: schemas/receipt.json, prompt: "Receipt: {{
//   input.text }}"} output: the extracted object
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>

#include "backends/json_schema.h"
#include "core/file.h"
#include "workflow/steps/model_step.h"

namespace occam::workflow {
namespace {

namespace json = boost::json;

class ExtractStep final : public Step {
 public:
  ExtractStep(RouteSpec route, std::optional<Template> system, Template prompt,
              backends::GenerateRequest base)
      : route_(std::move(route)),
        system_(std::move(system)),
        prompt_(std::move(prompt)),
        base_(std::move(base)) {}

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
    if (answer.result.choices.empty())
      return make_error(ErrorCode::unavailable, "route '{}' gave no choice", route);
    const std::string& text = answer.result.choices.front().text;
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) {
      return make_error(ErrorCode::invalid_argument, "{} answered text that is not JSON ({}): {}",
                        answer.tier, ec.message(), text.substr(0, 200));
    }
    if (Status st = backends::validate_json(v, request.response_format.schema); !st.ok()) {
      return Error(st.error()).with_context(fmt::format("{} answered JSON outside the schema", answer.tier));
    }
    return v;
  }

 private:
  RouteSpec route_;
  std::optional<Template> system_;
  Template prompt_;
  backends::GenerateRequest base_;
};

Result<std::unique_ptr<Step>> make_extract(const ConfigNode& node, const ParseContext& context) {
  OCCAM_TRY(check_step_keys(node, {"route", "system", "prompt", "schema", "max_tokens", "temperature"}));
  OCCAM_ASSIGN_OR_RETURN(RouteSpec route, parse_route(node, context));
  OCCAM_ASSIGN_OR_RETURN(auto system, parse_optional_text(node, "system"));
  OCCAM_ASSIGN_OR_RETURN(Template prompt, parse_text(node, "prompt"));
  backends::GenerateRequest base;
  OCCAM_TRY(parse_sampling(node, base));
  OCCAM_ASSIGN_OR_RETURN(ConfigNode schema_node, node.require("schema"));
  json::value schema;
  if (schema_node.is_map()) {  // inline, as YAML
    OCCAM_ASSIGN_OR_RETURN(schema, config_to_json(schema_node));
  } else {  // a JSON file
    OCCAM_ASSIGN_OR_RETURN(std::string file, schema_node.as_string());
    auto text = read_file(context.base_dir / file);
    if (!text.ok()) return schema_node.error("schema: {}", text.error().message());
    boost::system::error_code ec;
    schema = json::parse(*text, ec);
    if (ec) return schema_node.error("schema '{}' is not JSON: {}", file, ec.message());
  }
  if (Status st = backends::check_schema(schema, "schema"); !st.ok())
    return schema_node.error("{}", st.error().message());
  base.response_format.kind = backends::ResponseFormatKind::json_schema;
  base.response_format.name = "extract";
  base.response_format.schema = std::move(schema);
  base.response_format.strict = true;
  return std::unique_ptr<Step>(
      std::make_unique<ExtractStep>(std::move(route), std::move(system), std::move(prompt), std::move(base)));
}

}  // namespace

OCCAM_REGISTER_STEP("extract", make_extract);

}  // namespace occam::workflow
