// A workflow step kind is one file plus one OCCAM_REGISTER_STEP line: its factory reads the step's map
// (checking its own keys) and returns a Step that runs against a StepContext.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "backends/backend.h"
#include "core/config.h"
#include "core/error.h"
#include "workflow/template.h"

namespace occam::workflow {

class StepContext;
struct ToolDef;

class Step {
 public:
  virtual ~Step() = default;
  // The step's output (visible to later steps as `steps.<name>`), or an error that fails the run.
  virtual Result<boost::json::value> run(StepContext& context) const = 0;
};

struct StepDef {
  std::string name;
  std::string kind;
  std::string where;  // file:line:col of the step's map
  std::unique_ptr<Step> step;
};
using StepList = std::vector<std::shared_ptr<const StepDef>>;

// What a factory may use besides the step's map.
struct ParseContext {
  std::filesystem::path base_dir;  // relative files (models, schemas, tables) are resolved here
  const std::map<std::string, std::shared_ptr<const ToolDef>, std::less<>>* tools = nullptr;
  std::function<bool(std::string_view)> route_known;  // a route of the router or a model name
  std::function<Result<StepList>(const ConfigNode& sequence)> parse_steps;  // nested steps (branch, map)
};

// A model answer with who gave it and what it cost.
struct ModelAnswer {
  backends::GenerateResult result;
  std::string tier;  // the model that answered
  double cost = 0;
  int64_t tokens = 0;
};

// What a running step sees: the run's variables and the calls that go through the run's durability.
class StepContext {
 public:
  virtual ~StepContext() = default;
  // input, steps.<name>, and item/index inside a map.
  virtual boost::json::object& vars() = 0;
  // This step's path in the run ("triage", "items[2].classify", "check.then.reply").
  virtual const std::string& path() const = 0;
  // The tier that answered this step (for accounting); the last call wins.
  virtual void set_tier(std::string tier) = 0;
  // A route of the router, or a model name (pinned), or a Jinja-rendered route; `auto` is the route
  // named auto.
  virtual Result<ModelAnswer> call_model(const std::string& route, const backends::GenerateRequest& request) = 0;
  // Calls a tool once for `sub` (a path below this step's, "" for the step itself): the call is recorded
  // as started, with the idempotency key `<run id>/<path>`, before it is made; a finished call is
  // answered from the store.
  virtual Result<boost::json::value> call_tool(const ToolDef& tool, const boost::json::value& arguments,
                                               const std::string& sub) = 0;
  // Runs `fn` once per run for `sub`: a finished result comes from the store.
  virtual Result<boost::json::value> durable(const std::string& sub,
                                             const std::function<Result<boost::json::value>()>& fn) = 0;
  // Runs nested steps below `sub` against `vars`; returns the last step's output (null when empty).
  virtual Result<boost::json::value> run_steps(const StepList& steps, boost::json::object& vars,
                                               const std::string& sub) = 0;
};

using StepFactory = std::function<Result<std::unique_ptr<Step>>(const ConfigNode& node, const ParseContext&)>;

struct StepKind {
  StepFactory factory;
};
std::map<std::string, StepKind, std::less<>>& step_registry();

struct StepRegistration {
  StepRegistration(std::string kind, StepFactory factory) { step_registry()[std::move(kind)] = {std::move(factory)}; }
};

// Keys every step may have besides its kind's own.
inline constexpr std::string_view kCommonStepKeys[] = {"name", "kind", "description"};
// check_keys with the common keys added.
Status check_step_keys(const ConfigNode& node, std::initializer_list<std::string_view> own);

}  // namespace occam::workflow

#define OCCAM_REGISTER_STEP(kind, factory) \
  static ::occam::workflow::StepRegistration OCCAM_CONCAT(occam_step_registration_, __LINE__)(kind, factory)
