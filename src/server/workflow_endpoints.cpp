#include "server/workflow_endpoints.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "server/request.h"
#include "workflow/definition.h"
#include "workflow/store/run_store.h"
#include "workflow/workflow.h"

namespace occam::server {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kPrefix = "/v1/workflows/";
// Finished runs whose figures (cost, tiers, latency: the store keeps none of them) are remembered.
constexpr std::size_t kMaxRememberedRuns = 4096;

// What this process knows of a run beyond the store: whether it is still waiting for a thread, and the
// figures Engine::run returned.
struct RunNote {
  std::string state = "queued";  // queued, running, finished
  double latency_ms = 0;
  double cost = 0;
  std::map<std::string, int64_t> tiers;
  std::string error;  // an error Engine::run returned (a dependency down: the run is left resumable)
};

std::string new_run_id() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("run_{:016x}", rng());
}

json::value parse_stored(const std::string& text) {
  if (text.empty()) return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(text) : v;
}

using Definitions = std::map<std::string, workflow::Workflow, std::less<>>;

// The workflows' definitions (typed inputs, step kinds), read with the workflow parser from the same
// `workflows:` section, as workflow::Engine keeps its own private. Routes were checked by the engine.
Result<Definitions> read_definitions(const ConfigNode& section, const std::filesystem::path& base_dir) {
  auto any_route = [](std::string_view) { return true; };
  Definitions out;
  OCCAM_ASSIGN_OR_RETURN(auto entries, section.entries());
  for (const auto& [name, node] : entries) {
    if (name == "store") continue;  // reserved: the run store
    if (node.is_map() && node.child("file").present()) {
      OCCAM_ASSIGN_OR_RETURN(std::string file, node.child("file").as_string());
      std::filesystem::path path = base_dir / file;
      OCCAM_ASSIGN_OR_RETURN(ConfigNode doc, ConfigNode::load_file(path));
      OCCAM_ASSIGN_OR_RETURN(workflow::Workflow wf,
                             workflow::parse_workflow(name, doc, path.parent_path(), any_route));
      out.emplace(name, std::move(wf));
    } else {
      OCCAM_ASSIGN_OR_RETURN(workflow::Workflow wf,
                             workflow::parse_workflow(name, node, base_dir, any_route));
      out.emplace(name, std::move(wf));
    }
  }
  return out;
}

// Position of a step path in the run: its top-level step's index, so the trace reads in execution order.
std::size_t step_order(const workflow::Workflow* wf, const std::string& path) {
  if (wf == nullptr) return 0;
  std::string top = path.substr(0, path.find_first_of(".["));
  for (std::size_t i = 0; i < wf->steps.size(); ++i) {
    if (wf->steps[i]->name == top) return i;
  }
  return wf->steps.size();
}

json::object step_trace(const workflow::Workflow* wf, const workflow::StepRecord& s) {
  json::object o{{"path", s.path}, {"status", s.status}, {"tier", s.tier}};
  if (wf != nullptr) {
    for (const auto& def : wf->steps) {
      if (def->name == s.path) o["kind"] = def->kind;  // nested steps' kinds are inside their parent step
    }
  }
  json::value result = parse_stored(s.output_json);
  // Model steps record their own figures in their result (generate/extract: tokens; agent: cost too).
  if (const json::object* r = result.if_object()) {
    for (std::string_view key : {"cost", "tokens"}) {
      if (const json::value* v = r->if_contains(key); v != nullptr && v->is_number()) o[key] = *v;
    }
  }
  if (!s.idempotency_key.empty()) {
    o["idempotency_key"] = s.idempotency_key;
    o["attempts"] = s.attempts;
  }
  o["result"] = std::move(result);
  return o;
}

}  // namespace

struct WorkflowEndpoints::Impl {
  explicit Impl(int threads) : pool(static_cast<std::size_t>(threads)) {}

  std::unique_ptr<workflow::Engine> engine;
  Definitions definitions;
  asio::thread_pool pool;
  int threads = 1;
  int max_pending = 0;
  std::atomic<int> pending{0};  // runs given to the pool and not finished
  std::mutex mutex;
  std::map<std::string, RunNote> notes;
  std::deque<std::string> finished;  // ids of finished notes, oldest first

  const workflow::Workflow* definition(std::string_view name) const {
    auto it = definitions.find(name);
    return it == definitions.end() ? nullptr : &it->second;
  }

  // Runs on a pool thread.
  Result<workflow::RunOutcome> execute(const std::string& name, const std::string& id,
                                       const json::value& input) {
    {
      std::lock_guard lock(mutex);
      notes[id].state = "running";
    }
    auto started = Clock::now();
    Result<workflow::RunOutcome> outcome = engine->run(name, id, input);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    std::lock_guard lock(mutex);
    RunNote& note = notes[id];
    note.state = "finished";
    note.latency_ms = ms;
    if (outcome.ok()) {
      note.cost = outcome->cost;
      note.tiers = outcome->tiers;
    } else {
      note.error = outcome.error().message();
    }
    finished.push_back(id);
    if (finished.size() > kMaxRememberedRuns) {
      notes.erase(finished.front());
      finished.pop_front();
    }
    --pending;
    return outcome;
  }

  // execute() as a coroutine for co_spawn; parameters by value (they live in the frame).
  Task<std::optional<Result<workflow::RunOutcome>>> execute_task(std::string name, std::string id,
                                                                 json::value input) {
    co_return execute(name, id, input);
  }

  Status admit() {
    if (pending.load() >= threads + max_pending) {
      return make_error(ErrorCode::resource_exhausted,
                        "workflow runs: {} are running or waiting; retry later", pending.load());
    }
    ++pending;
    return ok_status();
  }

  // The run as GET shows it: the store's record and steps, and what this process noted.
  Result<json::object> describe(const std::string& id) {
    OCCAM_ASSIGN_OR_RETURN(auto record, engine->store().get_run(id));
    if (!record) return make_error(ErrorCode::not_found, "no workflow run '{}'", id);
    std::optional<RunNote> note;
    {
      std::lock_guard lock(mutex);
      if (auto it = notes.find(id); it != notes.end()) note = it->second;
    }
    std::string status = record->status;
    if (note && status == "running" && note->state == "queued") status = "queued";
    // Engine::run gave up on a dependency that was down: the run is not running, it waits for a resume.
    if (note && status == "running" && note->state == "finished") status = "interrupted";
    json::object o{{"id", id},
                   {"object", "workflow.run"},
                   {"workflow", record->workflow},
                   {"status", status},
                   {"input", parse_stored(record->input_json)}};
    if (record->status == "done") o["output"] = parse_stored(record->output_json);
    if (!record->error.empty())
      o["error"] = record->error;
    else if (note && !note->error.empty())
      o["error"] = note->error;
    if (note && note->state == "finished") {
      json::object tiers;
      for (const auto& [tier, n] : note->tiers) tiers[tier] = n;
      o["latency_ms"] = note->latency_ms;
      o["cost"] = note->cost;
      o["tiers"] = std::move(tiers);
    }
    OCCAM_ASSIGN_OR_RETURN(auto steps, engine->store().steps(id));
    const workflow::Workflow* wf = definition(record->workflow);
    std::vector<const workflow::StepRecord*> ordered;
    for (const auto& [path, step] : steps) ordered.push_back(&step);
    std::stable_sort(ordered.begin(), ordered.end(), [wf](const auto* a, const auto* b) {
      return step_order(wf, a->path) < step_order(wf, b->path);
    });
    json::array trace;
    for (const workflow::StepRecord* s : ordered) trace.push_back(step_trace(wf, *s));
    o["steps"] = std::move(trace);
    return o;
  }

  // A sync run ready for a pool thread (an async one was queued and has its reply).
  struct Accepted {
    std::string id;
    json::value input;
    std::optional<HttpReply> reply;
  };

  Result<Accepted> accept(const std::string& name, std::string_view body) {
    OCCAM_ASSIGN_OR_RETURN(WorkflowRunRequest request, parse_workflow_run_request(body));
    for (const workflow::TypedField& f : definition(name)->inputs) {
      OCCAM_TRY(workflow::check_type(f, request.input.get_object().if_contains(f.name), "input"));
    }
    OCCAM_TRY(admit());
    Accepted a{new_run_id(), std::move(request.input), std::nullopt};
    {
      std::lock_guard lock(mutex);
      notes[a.id] = RunNote{};
    }
    if (!request.async) return a;
    // Durable before the 202: a run accepted survives a stop before it ran (`occam flow resume`).
    if (auto opened = engine->store().open_run(a.id, name, json::serialize(a.input)); !opened.ok()) {
      --pending;
      return std::move(opened).error();
    }
    asio::post(pool, [this, name, id = a.id, input = a.input] { (void)execute(name, id, input); });
    a.reply.emplace();
    a.reply->status = 202;
    a.reply->body = json::serialize(
        json::object{{"id", a.id}, {"object", "workflow.run"}, {"workflow", name}, {"status", "queued"}});
    return a;
  }

  Result<HttpReply> reply_for(const std::string& id, std::string* label) {
    OCCAM_ASSIGN_OR_RETURN(json::object run, describe(id));
    std::string workflow(run["workflow"].as_string());
    if (definition(workflow) != nullptr) *label = workflow;
    HttpReply reply;
    reply.body = json::serialize(run);
    return reply;
  }

  Task<Result<HttpReply>> start_run(const std::string& name, std::string_view body, std::string* label) {
    Result<Accepted> accepted = accept(name, body);
    if (!accepted.ok()) co_return std::move(accepted).error();
    if (accepted->reply) co_return std::move(*accepted->reply);
    // Named steps, no temporaries around co_await: GCC 12 mishandles those in coroutines.
    auto on_pool = asio::co_spawn(pool, execute_task(name, accepted->id, std::move(accepted->input)),
                                  asio::use_awaitable);
    std::optional<Result<workflow::RunOutcome>> outcome = co_await std::move(on_pool);
    if (!outcome->ok()) {
      co_return Error(outcome->error()).with_context(fmt::format("workflow run '{}'", accepted->id));
    }
    co_return reply_for(accepted->id, label);
  }
};

WorkflowEndpoints::WorkflowEndpoints(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WorkflowEndpoints::~WorkflowEndpoints() {
  stop();
}

void WorkflowEndpoints::stop() {
  impl_->pool.stop();
  impl_->pool.join();
}

Result<std::shared_ptr<WorkflowEndpoints>> WorkflowEndpoints::load(const std::filesystem::path& config_path,
                                                                   int threads, int max_pending) {
  OCCAM_ASSIGN_OR_RETURN(ConfigNode root, ConfigNode::load_file(config_path));
  ConfigNode section = root.child("workflows");
  if (!section.present()) return std::shared_ptr<WorkflowEndpoints>();
  auto impl = std::make_unique<Impl>(std::max(1, threads));
  impl->threads = std::max(1, threads);
  impl->max_pending = std::max(0, max_pending);
  OCCAM_ASSIGN_OR_RETURN(impl->engine, workflow::Engine::load(config_path));
  OCCAM_ASSIGN_OR_RETURN(impl->definitions, read_definitions(section, config_path.parent_path()));
  return std::shared_ptr<WorkflowEndpoints>(new WorkflowEndpoints(std::move(impl)));
}

Task<Result<HttpReply>> WorkflowEndpoints::handle(std::string_view method, std::string_view path,
                                                  std::string_view body, std::string* label) {
  std::string_view rest = path.substr(std::min(path.size(), kPrefix.size()));
  if (method == "GET" && rest.starts_with("runs/"))
    co_return impl_->reply_for(std::string(rest.substr(5)), label);
  constexpr std::string_view kRuns = "/runs";
  if (method == "POST" && rest.ends_with(kRuns) && rest.size() > kRuns.size()) {
    std::string name(rest.substr(0, rest.size() - kRuns.size()));
    if (impl_->definition(name) == nullptr)
      co_return make_error(ErrorCode::not_found, "no workflow named '{}'", name);
    *label = name;
    co_return co_await impl_->start_run(name, body, label);
  }
  co_return make_error(
      ErrorCode::not_found,
      "unknown endpoint {} {} (POST /v1/workflows/{{name}}/runs, GET /v1/workflows/runs/{{id}})", method,
      path);
}

}  // namespace occam::server
