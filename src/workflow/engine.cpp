#include <chrono>
#include <mutex>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "backends/http_client.h"
#include "workflow/definition.h"
#include "workflow/models.h"
#include "workflow/store/run_store.h"
#include "workflow/workflow.h"

namespace occam::workflow {

namespace json = boost::json;

struct Engine::Impl {
  std::unique_ptr<Models> models;
  std::map<std::string, Workflow, std::less<>> workflows;
  std::unique_ptr<RunStore> store;
};

namespace {

Result<json::value> parse_json_text(const std::string& text, std::string_view what) {
  if (text.empty()) return json::value(nullptr);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return make_error(ErrorCode::internal, "run store: {} is not JSON: {}", what, ec.message());
  return v;
}

// One run in progress: the steps already in the store, the variables, the accounting.
class RunState {
 public:
  RunState(const Models& models, RunStore& store, std::string run_id, std::map<std::string, StepRecord> recorded,
           boost::asio::io_context& io)
      : models_(models), store_(store), run_id_(std::move(run_id)), recorded_(std::move(recorded)), io_(io) {}

  Result<json::value> run_steps(const StepList& steps, json::object& vars, const std::string& prefix);

  Result<json::value> durable(const std::string& path, const std::function<Result<json::value>()>& fn,
                              std::string* tier);

  Result<json::value> call_tool(const ToolDef& tool, const json::value& arguments, const std::string& path,
                                std::string* tier) {
    auto recorded = done_output(path);
    if (!recorded.ok()) return std::move(recorded).error();
    if (recorded->has_value()) return **recorded;
    std::string key = fmt::format("{}/{}", run_id_, path);
    // Durably "started" before the call: if we die after the call, the resumed run repeats it with the
    // same key, and the tool server answers the repeat from its record instead of acting twice.
    OCCAM_TRY(store_.step_started(run_id_, path, key));
    OCCAM_ASSIGN_OR_RETURN(json::value out, invoke_tool(tool, arguments, key, io_));
    std::string t = tool.builtin.empty() ? "tool" : "builtin";
    OCCAM_TRY(store_.step_done(run_id_, path, json::serialize(out), t));
    if (tier) *tier = t;  // counted once, as the tier of the step that made the call
    return out;
  }

  Result<ModelAnswer> call_model(const std::string& route, const backends::GenerateRequest& request) {
    OCCAM_ASSIGN_OR_RETURN(ModelAnswer answer, models_.call(route, request, io_));
    outcome.cost += answer.cost;
    return answer;
  }

  void count(const std::string& tier) {
    if (!tier.empty()) ++outcome.tiers[tier];
  }

  const std::string& run_id() const { return run_id_; }
  RunOutcome outcome;

 private:
  friend class Context;
  // The stored output of a finished step, or nothing.
  Result<std::optional<json::value>> done_output(const std::string& path) {
    auto it = recorded_.find(path);
    if (it == recorded_.end() || it->second.status != "done") return std::optional<json::value>();
    OCCAM_ASSIGN_OR_RETURN(json::value v, parse_json_text(it->second.output_json, path));
    ++outcome.steps_replayed;
    count(it->second.tier);
    return std::optional<json::value>(std::move(v));
  }

  const Models& models_;
  RunStore& store_;
  std::string run_id_;
  std::map<std::string, StepRecord> recorded_;
  boost::asio::io_context& io_;
};

class Context final : public StepContext {
 public:
  Context(RunState& run, json::object& vars, std::string path) : run_(run), vars_(vars), path_(std::move(path)) {}

  json::object& vars() override { return vars_; }
  const std::string& path() const override { return path_; }
  void set_tier(std::string tier) override { tier_ = std::move(tier); }
  const std::string& tier() const { return tier_; }

  Result<ModelAnswer> call_model(const std::string& route, const backends::GenerateRequest& request) override {
    OCCAM_ASSIGN_OR_RETURN(ModelAnswer answer, run_.call_model(route, request));
    tier_ = answer.tier;
    return answer;
  }
  Result<json::value> call_tool(const ToolDef& tool, const json::value& arguments, const std::string& sub) override {
    std::string t;
    auto out = run_.call_tool(tool, arguments, join(sub), &t);
    if (!t.empty()) tier_ = t;
    return out;
  }
  Result<json::value> durable(const std::string& sub, const std::function<Result<json::value>()>& fn) override {
    return run_.durable(join(sub), fn, nullptr);
  }
  Result<json::value> run_steps(const StepList& steps, json::object& vars, const std::string& sub) override {
    return run_.run_steps(steps, vars, join(sub));
  }

 private:
  std::string join(const std::string& sub) const {
    if (sub.empty()) return path_;
    return sub.front() == '[' ? path_ + sub : path_ + "." + sub;
  }
  RunState& run_;
  json::object& vars_;
  std::string path_;
  std::string tier_;
};

Result<json::value> RunState::durable(const std::string& path, const std::function<Result<json::value>()>& fn,
                                      std::string* tier) {
  OCCAM_ASSIGN_OR_RETURN(auto recorded, done_output(path));
  if (recorded) return std::move(*recorded);
  OCCAM_ASSIGN_OR_RETURN(json::value out, fn());
  OCCAM_TRY(store_.step_done(run_id_, path, json::serialize(out), tier ? *tier : ""));
  return out;
}

Result<json::value> RunState::run_steps(const StepList& steps, json::object& vars, const std::string& prefix) {
  json::value last = nullptr;
  for (const auto& def : steps) {
    std::string path = prefix.empty() ? def->name : prefix + "." + def->name;
    OCCAM_ASSIGN_OR_RETURN(auto recorded, done_output(path));
    json::value out;
    if (recorded) {
      out = std::move(*recorded);
    } else {
      Context context(*this, vars, path);
      auto result = def->step->run(context);
      if (!result.ok()) {
        return Error(result.error()).with_context(fmt::format("step '{}' ({}, {})", path, def->kind, def->where));
      }
      out = std::move(*result);
      // Committed before the next step starts: a resumed run starts after it.
      OCCAM_TRY(store_.step_done(run_id_, path, json::serialize(out), context.tier()));
      ++outcome.steps_run;
      count(context.tier());
    }
    json::value& steps_var = vars["steps"];
    if (!steps_var.is_object()) steps_var = json::object();
    steps_var.get_object()[def->name] = out;
    last = std::move(out);
  }
  return last;
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<RunStoreSettings> parse_store_url(std::string_view url) {
  RunStoreSettings s;
  if (url.starts_with("postgresql://") || url.starts_with("postgres://") || url.find("dbname=") != std::string_view::npos) {
    s.kind = "postgres";
    s.url = std::string(url);
    return s;
  }
  if (url.starts_with("sqlite:")) url.remove_prefix(7);
  if (url.empty()) return make_error(ErrorCode::invalid_argument, "run store: empty location");
  s.kind = "sqlite";
  s.path = std::string(url);
  return s;
}

Result<std::unique_ptr<Engine>> Engine::load(const std::filesystem::path& config_path, const EngineOptions& options) {
  OCCAM_ASSIGN_OR_RETURN(ConfigNode root, ConfigNode::load_file(config_path));
  std::filesystem::path base = config_path.parent_path();
  std::filesystem::path store = config_path;
  store.replace_extension(".runs.db");
  return from_config(root, base, store, options);
}

Result<std::unique_ptr<Engine>> Engine::from_config(const ConfigNode& root, const std::filesystem::path& base_dir,
                                                    const std::filesystem::path& default_store,
                                                    const EngineOptions& options) {
  auto impl = std::make_unique<Impl>();
  OCCAM_ASSIGN_OR_RETURN(impl->models, Models::load(root, base_dir));
  const Models* models = impl->models.get();
  auto route_known = [models](std::string_view r) { return models->knows(r); };
  OCCAM_ASSIGN_OR_RETURN(ConfigNode section, root.require("workflows"));
  OCCAM_ASSIGN_OR_RETURN(auto entries, section.entries());
  std::string store_url = default_store.string();
  for (const auto& [name, node] : entries) {
    if (name == "store") {  // reserved: where runs are kept
      OCCAM_ASSIGN_OR_RETURN(std::string url, node.as_string());
      std::filesystem::path p(url);
      bool is_path = parse_store_url(url).ok() && parse_store_url(url)->kind == "sqlite";
      store_url = is_path && p.is_relative() ? (base_dir / p).string() : url;
      continue;
    }
    if (node.is_map() && node.child("file").present()) {
      OCCAM_TRY(node.check_keys({"file"}));
      OCCAM_ASSIGN_OR_RETURN(std::string file, node.child("file").as_string());
      std::filesystem::path path = base_dir / file;
      OCCAM_ASSIGN_OR_RETURN(ConfigNode doc, ConfigNode::load_file(path));
      OCCAM_ASSIGN_OR_RETURN(Workflow wf, parse_workflow(name, doc, path.parent_path(), route_known));
      impl->workflows.emplace(name, std::move(wf));
    } else {
      OCCAM_ASSIGN_OR_RETURN(Workflow wf, parse_workflow(name, node, base_dir, route_known));
      impl->workflows.emplace(name, std::move(wf));
    }
  }
  if (options.store_url) store_url = *options.store_url;
  OCCAM_ASSIGN_OR_RETURN(RunStoreSettings settings, parse_store_url(store_url));
  OCCAM_ASSIGN_OR_RETURN(impl->store, make_run_store(settings));
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

std::vector<std::string> Engine::workflow_names() const {
  std::vector<std::string> out;
  for (const auto& [name, wf] : impl_->workflows) out.push_back(name);
  return out;
}

bool Engine::has_workflow(std::string_view name) const { return impl_->workflows.contains(name); }

RunStore& Engine::store() { return *impl_->store; }

namespace {

void close_tools(const Workflow& wf, boost::asio::io_context& io) {
  for (const auto& [name, tool] : wf.tools) {
    if (tool->client) tool->client->close_idle(io);
  }
}

}  // namespace

Result<RunOutcome> Engine::run(std::string_view workflow, const std::string& run_id, const json::value& input) {
  auto it = impl_->workflows.find(workflow);
  if (it == impl_->workflows.end()) return make_error(ErrorCode::not_found, "no workflow named '{}'", workflow);
  const Workflow& wf = it->second;
  if (!input.is_object()) return make_error(ErrorCode::invalid_argument, "workflow '{}': the input must be a JSON object", wf.name);
  for (const TypedField& f : wf.inputs) {
    OCCAM_TRY(check_type(f, input.get_object().if_contains(f.name), "input"));
  }
  OCCAM_ASSIGN_OR_RETURN(RunRecord record, impl_->store->open_run(run_id, wf.name, json::serialize(input)));
  if (record.workflow != wf.name) {
    return make_error(ErrorCode::invalid_argument, "run '{}' belongs to workflow '{}', not '{}'", run_id, record.workflow, wf.name);
  }
  RunOutcome outcome;
  outcome.run_id = run_id;
  if (record.status != "running") {  // finished before: answer from the store
    outcome.status = record.status;
    outcome.error = record.error;
    OCCAM_ASSIGN_OR_RETURN(outcome.output, parse_json_text(record.output_json, "run output"));
    return outcome;
  }
  OCCAM_ASSIGN_OR_RETURN(json::value stored_input, parse_json_text(record.input_json, "run input"));
  OCCAM_ASSIGN_OR_RETURN(auto recorded, impl_->store->steps(run_id));

  boost::asio::io_context io;
  RunState state(*impl_->models, *impl_->store, run_id, std::move(recorded), io);
  json::object vars;
  vars["input"] = stored_input;
  vars["steps"] = json::object();
  vars["run_id"] = run_id;
  auto result = state.run_steps(wf.steps, vars, "");
  impl_->models->close_idle(io);
  close_tools(wf, io);

  outcome = std::move(state.outcome);
  outcome.run_id = run_id;
  Status failed = ok_status();
  json::object output;
  if (!result.ok()) {
    failed = std::move(result).error();
  } else {
    for (const TypedField& f : wf.outputs) {
      auto value = f.from.evaluate(vars);
      if (!value.ok()) {
        failed = Error(value.error()).with_context(fmt::format("output '{}' ({})", f.name, f.where));
        break;
      }
      if (Status st = check_type(f, &*value, "output"); !st.ok()) {
        failed = Error(st.error()).with_context(f.where);
        break;
      }
      output[f.name] = std::move(*value);
    }
  }
  if (!failed.ok()) {
    // Errors from a dependency that is down leave the run resumable; anything else fails it for good.
    const Error& e = failed.error();
    if (e.code() == ErrorCode::unavailable || e.code() == ErrorCode::timeout || e.code() == ErrorCode::io) return e;
    outcome.status = "failed";
    outcome.error = e.message();
    OCCAM_TRY(impl_->store->finish_run(run_id, "failed", "", outcome.error));
    return outcome;
  }
  outcome.status = "done";
  outcome.output = std::move(output);
  OCCAM_TRY(impl_->store->finish_run(run_id, "done", json::serialize(outcome.output), ""));
  return outcome;
}

Result<RunOutcome> Engine::resume(const std::string& run_id) {
  OCCAM_ASSIGN_OR_RETURN(auto record, impl_->store->get_run(run_id));
  if (!record) return make_error(ErrorCode::not_found, "no run '{}' in the run store", run_id);
  OCCAM_ASSIGN_OR_RETURN(json::value input, parse_json_text(record->input_json, "run input"));
  return run(record->workflow, run_id, input);
}

}  // namespace occam::workflow
