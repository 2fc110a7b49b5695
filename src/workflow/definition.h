// A parsed workflow: typed inputs, steps, typed outputs, tools.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/config.h"
#include "workflow/step.h"
#include "workflow/template.h"
#include "workflow/tools.h"

namespace occam::workflow {

// string, number, integer, boolean, object, array, any.
struct TypedField {
  std::string name;
  std::string type = "any";
  bool required = true;
  Template from;  // outputs: the expression giving the value
  std::string where;
};

struct Workflow {
  std::string name;
  std::string file;  // where it was read (for messages)
  std::vector<TypedField> inputs;
  std::vector<TypedField> outputs;
  std::map<std::string, std::shared_ptr<const ToolDef>, std::less<>> tools;
  StepList steps;
};

// Reads one workflow's map (from occam.yaml or its own file).
Result<Workflow> parse_workflow(const std::string& name, const ConfigNode& node, const std::filesystem::path& base_dir,
                                const std::function<bool(std::string_view)>& route_known);

// Checks `value` against a declared type; the message names the field.
Status check_type(const TypedField& field, const boost::json::value* value, std::string_view what);

}  // namespace occam::workflow
