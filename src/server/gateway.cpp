#include "server/gateway.h"

#include <deque>
#include <mutex>
#include <random>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "backends/json_schema.h"
#include "backends/openai_json.h"
#include "backends/sse.h"
#include "server/request.h"
#include "server/workflow_endpoints.h"

namespace occam::server {

namespace asio = boost::asio;
namespace json = boost::json;
using backends::Delta;
using backends::GenerateRequest;
using backends::GenerateResult;
using backends::RequestKind;
using Clock = std::chrono::steady_clock;

// ---- admission: at most max_concurrency requests at the backends, max_queue more waiting ---------------

class AdmissionGate {
 public:
  AdmissionGate(int limit, int queue_limit, Metrics& metrics)
      : limit_(limit), queue_limit_(queue_limit), metrics_(metrics) {}

  // False when both the slots and the queue are full.
  Task<bool> acquire() {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor, asio::steady_timer::time_point::max());
    {
      std::lock_guard lock(mutex_);
      if (active_ < limit_) {
        ++active_;
        co_return true;
      }
      if (static_cast<int>(waiters_.size()) >= queue_limit_) co_return false;
      waiters_.push_back(Waiter{executor, &timer});
    }
    ++metrics_.requests_queued;
    // The releaser hands its slot over and cancels the timer on this coroutine's executor.
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    --metrics_.requests_queued;
    co_return true;
  }

  void release() {
    std::lock_guard lock(mutex_);
    if (waiters_.empty()) {
      --active_;
      return;
    }
    Waiter next = waiters_.front();
    waiters_.pop_front();
    asio::post(next.executor, [timer = next.timer] { timer->cancel(); });
  }

 private:
  struct Waiter {
    asio::any_io_executor executor;
    asio::steady_timer* timer;
  };
  std::mutex mutex_;
  int limit_;
  int queue_limit_;
  int active_ = 0;
  std::deque<Waiter> waiters_;
  Metrics& metrics_;
};

namespace {

// Holds an admission slot for one request; counted in flight while held.
struct SlotRelease {
  SlotRelease(AdmissionGate& g, Metrics& m) : gate(g), metrics(m) { ++metrics.requests_in_flight; }
  ~SlotRelease() {
    --metrics.requests_in_flight;
    gate.release();
  }
  SlotRelease(const SlotRelease&) = delete;
  SlotRelease& operator=(const SlotRelease&) = delete;
  AdmissionGate& gate;
  Metrics& metrics;
};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string random_id(std::string_view prefix) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{}{:016x}{:08x}", prefix, rng(), static_cast<uint32_t>(rng()));
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Can this backend answer this request as asked? (Never answer a constrained request unconstrained.)
Status can_honour(const backends::Capabilities& caps, const GenerateRequest& r, std::string_view model) {
  if (caps.classify && !caps.chat && !caps.completion) {
    return make_error(ErrorCode::invalid_argument, "model: '{}' is a classifier: use POST /v1/classify",
                      model);
  }
  if (r.kind == RequestKind::chat && !caps.chat) {
    return make_error(ErrorCode::invalid_argument, "model: '{}' does not serve chat completions", model);
  }
  if (r.kind == RequestKind::completion && !caps.completion) {
    return make_error(ErrorCode::invalid_argument, "model: '{}' does not serve completions", model);
  }
  if (r.stream && !caps.streaming)
    return make_error(ErrorCode::invalid_argument, "stream: '{}' cannot stream", model);
  if (r.n > caps.max_n)
    return make_error(ErrorCode::invalid_argument, "n: '{}' allows at most {}", model, caps.max_n);
  if (r.response_format.kind == backends::ResponseFormatKind::json_schema && !caps.json_schema) {
    return make_error(ErrorCode::invalid_argument,
                      "response_format: model '{}' cannot honour a json_schema response format", model);
  }
  if (r.response_format.kind == backends::ResponseFormatKind::json_object && !caps.json_object &&
      !caps.json_schema) {
    return make_error(ErrorCode::invalid_argument, "response_format: model '{}' cannot honour json_object",
                      model);
  }
  if (!r.tools.empty() && r.tool_choice != backends::ToolChoice::none && !caps.tools) {
    return make_error(ErrorCode::invalid_argument, "tools: model '{}' cannot call tools", model);
  }
  if (r.logprobs && !caps.logprobs) {
    return make_error(ErrorCode::invalid_argument, "logprobs: model '{}' cannot return log-probabilities",
                      model);
  }
  return ok_status();
}

// Checks an answer against what the request demanded. Errors are unavailable: the backend misbehaved.
Status check_answer(const GenerateRequest& r, const std::vector<backends::Choice>& choices) {
  for (const backends::Choice& c : choices) {
    bool called = !c.tool_calls.empty();
    if (called && r.tools.empty()) {
      return make_error(ErrorCode::unavailable, "answer: choices[{}] calls a tool but the request has none",
                        c.index);
    }
    if (!called &&
        (r.tool_choice == backends::ToolChoice::required ||
         r.tool_choice == backends::ToolChoice::function) &&
        c.finish_reason != "length") {
      return make_error(ErrorCode::unavailable, "answer: choices[{}] does not call the required tool",
                        c.index);
    }
    for (std::size_t i = 0; i < c.tool_calls.size(); ++i) {
      const backends::ToolCall& call = c.tool_calls[i];
      const backends::Tool* tool = nullptr;
      for (const backends::Tool& t : r.tools) {
        if (t.name == call.name) tool = &t;
      }
      if (tool == nullptr) {
        return make_error(ErrorCode::unavailable,
                          "answer: choices[{}].tool_calls[{}] calls unknown tool '{}'", c.index, i,
                          call.name);
      }
      if (r.tool_choice == backends::ToolChoice::function && call.name != r.tool_choice_name) {
        return make_error(ErrorCode::unavailable, "answer: choices[{}] calls '{}' instead of '{}'", c.index,
                          call.name, r.tool_choice_name);
      }
      boost::system::error_code ec;
      json::value args = json::parse(call.arguments, ec);
      if (ec || !args.is_object()) {
        return make_error(ErrorCode::unavailable,
                          "answer: choices[{}].tool_calls[{}].function.arguments is not a JSON object",
                          c.index, i);
      }
      if (!tool->parameters.is_null()) {
        Status valid = backends::validate_json(args, tool->parameters);
        if (!valid.ok()) {
          return make_error(ErrorCode::unavailable,
                            "answer: choices[{}].tool_calls[{}] arguments do not match the tool: {}", c.index,
                            i, valid.error().message());
        }
      }
    }
    if (called || c.finish_reason == "length") continue;  // a cut answer cannot be complete JSON
    if (r.response_format.kind == backends::ResponseFormatKind::text) continue;
    boost::system::error_code ec;
    json::value v = json::parse(c.text, ec);
    if (ec || !v.is_object()) {
      return make_error(ErrorCode::unavailable, "answer: choices[{}].message.content is not a JSON object",
                        c.index);
    }
    if (r.response_format.kind == backends::ResponseFormatKind::json_schema) {
      Status valid = backends::validate_json(v, r.response_format.schema);
      if (!valid.ok()) {
        return make_error(ErrorCode::unavailable,
                          "answer: choices[{}] does not match the response_format schema: {}", c.index,
                          valid.error().message());
      }
    }
  }
  return ok_status();
}

bool may_fall_back(ErrorCode code) {
  return code == ErrorCode::unavailable || code == ErrorCode::timeout ||
         code == ErrorCode::resource_exhausted;
}

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
      return "invalid_request";
    case ErrorCode::not_found:
      return "model_not_found";
    case ErrorCode::permission_denied:
      return "invalid_api_key";
    case ErrorCode::resource_exhausted:
      return "overloaded";
    case ErrorCode::unavailable:
      return "upstream_error";
    case ErrorCode::timeout:
      return "upstream_timeout";
    case ErrorCode::unsupported:
      return "unsupported";
    default:
      return "internal_error";
  }
}

std::string overhead_ms(double seconds) {
  return fmt::format("{:.3f}", seconds * 1000.0);
}

}  // namespace

std::pair<int, std::string_view> http_status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
    case ErrorCode::unsupported:
      return {400, "invalid_request_error"};
    case ErrorCode::not_found:
      return {404, "invalid_request_error"};
    case ErrorCode::permission_denied:
      return {401, "authentication_error"};
    case ErrorCode::resource_exhausted:
      return {429, "rate_limit_error"};
    case ErrorCode::unavailable:
      return {502, "upstream_error"};
    case ErrorCode::timeout:
      return {504, "timeout_error"};
    default:
      return {500, "server_error"};
  }
}

Gateway::Gateway(GatewayConfig config) : config_(std::move(config)) {
  gate_ = std::make_unique<AdmissionGate>(config_.limits.max_concurrency, config_.limits.max_queue, metrics_);
}

Gateway::~Gateway() = default;

void Gateway::stop_workflows() {
  if (workflows_) workflows_->stop();
}

Result<std::unique_ptr<Gateway>> Gateway::create(const GatewayConfig& config,
                                                 std::shared_ptr<WorkflowEndpoints> workflows) {
  std::unique_ptr<Gateway> gateway(new Gateway(config));
  gateway->workflows_ = std::move(workflows);
  for (const ModelConfig& m : gateway->config_.models) {
    Model model{m.name, m.fallback, m.owned_by, m.price, nullptr};
    auto backend = backends::make_backend(m.backend, backends::BackendContext{m.name, m.settings});
    if (!backend) return std::move(backend).error().with_context(fmt::format("model '{}'", m.name));
    model.backend = std::move(*backend);
    gateway->models_.push_back(std::move(model));
  }
  return gateway;
}

const Gateway::Model* Gateway::find_model(std::string_view name) const {
  for (const Model& m : models_) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

HttpReply Gateway::error_reply(int status, std::string_view message, std::string_view type,
                               std::string_view code, std::string_view param) {
  HttpReply reply;
  reply.status = status;
  reply.body = backends::write_error(message, type, param, code);
  return reply;
}

HttpReply Gateway::error_for(const Error& error, std::string_view model) {
  auto [status, type] = http_status_for(error.code());
  std::string param = error.code() == ErrorCode::invalid_argument ? error_param(error) : std::string();
  metrics_.add_error(model, error_code_name(error.code()));
  return error_reply(status, error.message(), type, error_code_name(error.code()), param);
}

std::optional<HttpReply> Gateway::authorize(std::string_view authorization, const ApiKey** key) const {
  *key = nullptr;
  if (config_.api_keys.empty()) return std::nullopt;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() || authorization.substr(0, kBearer.size()) != kBearer) {
    HttpReply reply;
    reply.status = 401;
    reply.body = backends::write_error("missing API key: send 'Authorization: Bearer <key>'",
                                       "authentication_error", "", "invalid_api_key");
    return reply;
  }
  std::string_view token = authorization.substr(kBearer.size());
  for (const ApiKey& k : config_.api_keys) {
    // Constant-time comparison: the time taken must not reveal how much of a key matched.
    if (k.key.size() != token.size()) continue;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < token.size(); ++i) diff |= static_cast<unsigned char>(k.key[i] ^ token[i]);
    if (diff == 0) {
      *key = &k;
      return std::nullopt;
    }
  }
  HttpReply reply;
  reply.status = 401;
  reply.body = backends::write_error("invalid API key", "authentication_error", "", "invalid_api_key");
  return reply;
}

bool Gateway::key_allows(const ApiKey* key, std::string_view model) const {
  if (key == nullptr) return true;
  for (const std::string& m : key->models) {
    if (m == "*" || m == model) return true;
  }
  return false;
}

Task<std::optional<HttpReply>> Gateway::handle(const HttpRequestView& request, StreamWriter& writer) {
  auto started = Clock::now();
  std::string_view path = request.target.substr(0, request.target.find('?'));
  auto simple = [&](int status, std::string content_type, std::string body) {
    HttpReply reply;
    reply.status = status;
    reply.content_type = std::move(content_type);
    reply.body = std::move(body);
    reply.headers.emplace_back("x-occam-overhead-ms", overhead_ms(seconds_since(started)));
    return reply;
  };
  if (path == "/healthz") co_return simple(200, "application/json", R"({"status":"ok"})");
  if (path == "/readyz") {
    if (draining_) co_return simple(503, "application/json", R"({"status":"draining"})");
    co_return simple(200, "application/json", R"({"status":"ready"})");
  }
  if (path == "/metrics")
    co_return simple(200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render());

  std::string_view endpoint;
  bool post = request.method == "POST";
  if (path == "/v1/chat/completions")
    endpoint = "chat";
  else if (path == "/v1/completions")
    endpoint = "completions";
  else if (path == "/v1/embeddings")
    endpoint = "embeddings";
  else if (path == "/v1/models" || path.starts_with("/v1/models/"))
    endpoint = "models";
  else if (path == "/v1/classify")
    endpoint = "classify";
  else if (path.starts_with("/v1/workflows/"))
    endpoint = "workflows";
  if (endpoint.empty()) {
    HttpReply reply = error_reply(404, fmt::format("unknown endpoint {} {}", request.method, path),
                                  "invalid_request_error", "unknown_url");
    metrics_.observe_request("other", "", 404, seconds_since(started), seconds_since(started));
    reply.headers.emplace_back("x-occam-overhead-ms", overhead_ms(seconds_since(started)));
    co_return reply;
  }
  bool get = request.method == "GET";
  std::string_view allow = endpoint == "models" ? "GET" : endpoint == "workflows" ? "GET, POST" : "POST";
  bool method_ok = endpoint == "models" ? get : endpoint == "workflows" ? get || post : post;
  if (!method_ok) {
    HttpReply reply = error_reply(405, fmt::format("method {} not allowed on {}", request.method, path),
                                  "invalid_request_error", "method_not_allowed");
    reply.headers.emplace_back("Allow", allow);
    reply.headers.emplace_back("x-occam-overhead-ms", overhead_ms(seconds_since(started)));
    metrics_.observe_request(endpoint, "", 405, seconds_since(started), seconds_since(started));
    co_return reply;
  }
  const ApiKey* key = nullptr;
  if (auto denied = authorize(request.authorization, &key)) {
    denied->headers.emplace_back("x-occam-overhead-ms", overhead_ms(seconds_since(started)));
    metrics_.observe_request(endpoint, "", 401, seconds_since(started), seconds_since(started));
    metrics_.add_error("", "invalid_api_key");
    co_return denied;
  }
  if (endpoint == "models") {
    HttpReply reply = handle_models(key, path.size() > 11 ? path.substr(11) : std::string_view());
    reply.headers.emplace_back("x-occam-overhead-ms", overhead_ms(seconds_since(started)));
    metrics_.observe_request(endpoint, "", reply.status, seconds_since(started), seconds_since(started));
    co_return reply;
  }
  if (endpoint == "embeddings") co_return co_await handle_embeddings(request, key, started);
  if (endpoint == "classify") co_return co_await handle_classify(request, key, started);
  if (endpoint == "workflows") co_return co_await handle_workflows(request, path, key, started);
  co_return co_await handle_generate(
      request, writer, endpoint == "chat" ? RequestKind::chat : RequestKind::completion, key, started);
}

HttpReply Gateway::handle_models(const ApiKey* key, std::string_view one) const {
  auto describe = [](const Model& m) {
    return json::object{{"id", m.name}, {"object", "model"}, {"created", 0}, {"owned_by", m.owned_by}};
  };
  HttpReply reply;
  if (!one.empty()) {
    const Model* m = find_model(one);
    if (m == nullptr || !key_allows(key, m->name)) {
      reply.status = 404;
      reply.body =
          backends::write_error(fmt::format("model '{}' does not exist or you do not have access to it", one),
                                "invalid_request_error", "model", "model_not_found");
      return reply;
    }
    reply.body = json::serialize(describe(*m));
    return reply;
  }
  json::array data;
  for (const Model& m : models_) {
    if (key_allows(key, m.name)) data.push_back(describe(m));
  }
  reply.body = json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
  return reply;
}

Task<std::optional<HttpReply>> Gateway::handle_generate(const HttpRequestView& http, StreamWriter& writer,
                                                        RequestKind kind, const ApiKey* key,
                                                        Clock::time_point started) {
  std::string_view endpoint = kind == RequestKind::chat ? "chat" : "completions";
  double backend_seconds = 0;
  std::string label;  // model label for metrics: only configured names, never arbitrary client strings
  auto finish = [&](HttpReply reply) {
    return std::optional<HttpReply>(
        finish_reply(std::move(reply), endpoint, label, started, backend_seconds));
  };

  auto parsed =
      kind == RequestKind::chat ? parse_chat_request(http.body) : parse_completion_request(http.body);
  if (!parsed) co_return finish(error_for(parsed.error(), ""));
  GenerateRequest request = std::move(*parsed);
  const Model* model = find_model(request.model);
  if (model == nullptr || !key_allows(key, request.model)) {
    co_return finish(model_not_found(request.model));
  }
  label = model->name;
  if (Status st = can_honour(model->backend->capabilities(), request, model->name); !st.ok()) {
    co_return finish(error_for(st.error(), label));
  }

  if (!co_await gate_->acquire()) {
    metrics_.add_error(label, "overloaded");
    HttpReply reply = error_reply(429, "occam is overloaded: all slots and the queue are full; retry later",
                                  "rate_limit_error", "overloaded");
    reply.headers.emplace_back("Retry-After", "1");
    co_return finish(std::move(reply));
  }
  SlotRelease release{*gate_, metrics_};

  std::string id = random_id(kind == RequestKind::chat ? "chatcmpl-" : "cmpl-");
  int64_t created = unix_now();
  bool begun = false;
  Status stream_status = ok_status();
  double sink_seconds = 0;
  Clock::time_point call_started = Clock::now();
  const Model* current = model;

  backends::DeltaSink sink = [&](const Delta& delta) -> Task<Status> {
    auto t0 = Clock::now();
    if (!begun) {
      double in_backend = backend_seconds + std::chrono::duration<double>(t0 - call_started).count();
      double overhead = std::max(0.0, seconds_since(started) - in_backend);
      std::vector<std::pair<std::string, std::string>> headers = {
          {"x-occam-overhead-ms", overhead_ms(overhead)}, {"x-occam-model", current->name}};
      if (!delta.route_header.empty()) headers.emplace_back("x-occam-route", delta.route_header);
      begun = true;
      OCCAM_CO_TRY(co_await writer.begin(headers));
    }
    Status st = co_await writer.write(
        backends::sse_frame(backends::write_generate_chunk(delta, kind, id, created, current->name)));
    sink_seconds += seconds_since(t0);
    co_return st;
  };

  // The model, then its fallbacks in order (each at most once).
  std::optional<Result<GenerateResult>> outcome;
  std::vector<std::string> tried;
  while (current != nullptr) {
    tried.push_back(current->name);
    if (Status st = can_honour(current->backend->capabilities(), request, current->name); st.ok()) {
      call_started = Clock::now();
      sink_seconds = 0;
      Result<GenerateResult> result =
          co_await current->backend->generate(request, request.stream ? &sink : nullptr);
      backend_seconds += std::max(0.0, seconds_since(call_started) - sink_seconds);
      if (result.ok()) {
        if (Status valid = check_answer(request, result->choices); !valid.ok()) {
          result = Result<GenerateResult>(
              std::move(valid).error().with_context(fmt::format("model '{}'", current->name)));
        }
      }
      bool failed = !result.ok();
      outcome = std::move(result);
      if (!failed || begun || !may_fall_back(outcome->error().code())) break;
      metrics_.add_error(current->name, error_code_name(outcome->error().code()));
      spdlog::warn("model {} failed: {}", current->name, outcome->error().message());
    }
    const Model* next = current->fallback.empty() ? nullptr : find_model(current->fallback);
    if (next != nullptr && std::find(tried.begin(), tried.end(), next->name) != tried.end()) next = nullptr;
    if (next != nullptr) metrics_.add_fallback(current->name, next->name);
    current = next;
  }
  if (!outcome) {
    co_return finish(error_for(
        make_error(ErrorCode::unavailable, "no model in the fallback chain of '{}' can answer", model->name),
        label));
  }
  if (!outcome->ok()) {
    const Error& error = outcome->error();
    if (!begun) co_return finish(error_for(error, label));
    // The answer already started: the status is sent, so the error travels in the stream.
    metrics_.add_error(label, error_code_name(error.code()));
    auto [status, type] = http_status_for(error.code());
    (void)co_await writer.write(
        backends::sse_frame(backends::write_error(error.message(), type, "", error_code_name(error.code()))));
    (void)co_await writer.end();
    metrics_.observe_request(endpoint, label, status, seconds_since(started),
                             std::max(0.0, seconds_since(started) - backend_seconds));
    co_return std::nullopt;
  }

  GenerateResult& result = **outcome;
  const Model* answered = current != nullptr ? current : model;
  double cost = (static_cast<double>(result.usage.prompt_tokens) * answered->price.input_per_mtok +
                 static_cast<double>(result.usage.completion_tokens) * answered->price.output_per_mtok) /
                1e6;
  metrics_.add_tokens(answered->name, result.usage.prompt_tokens, result.usage.completion_tokens, cost);

  if (!request.stream) {
    if (result.id.empty()) result.id = id;
    if (result.created == 0) result.created = created;
    HttpReply reply;
    reply.body = backends::write_generate_result(result, kind, answered->name);
    reply.headers.emplace_back("x-occam-model", answered->name);
    if (!result.occam_route_header.empty())
      reply.headers.emplace_back("x-occam-route", result.occam_route_header);
    if (result.occam.is_object() && !reply.body.empty() && reply.body.back() == '}') {
      // A routed answer carries its decision trace as a top-level `occam` field.
      reply.body.pop_back();
      reply.body += ",\"occam\":" + boost::json::serialize(result.occam) + "}";
    }
    co_return finish(std::move(reply));
  }
  if (!begun) {  // a stream without any delta: still a well-formed stream
    std::vector<std::pair<std::string, std::string>> headers = {
        {"x-occam-overhead-ms", overhead_ms(std::max(0.0, seconds_since(started) - backend_seconds))},
        {"x-occam-model", answered->name}};
    begun = true;
    if (!(co_await writer.begin(headers)).ok()) co_return std::nullopt;
  }
  if (request.stream_include_usage) {
    (void)co_await writer.write(
        backends::sse_frame(backends::write_usage_chunk(result.usage, kind, id, created, answered->name)));
  }
  if (result.occam.is_object()) {  // a routed answer's decision trace, as on non-streamed answers
    (void)co_await writer.write(backends::sse_frame(
        backends::write_trace_chunk(result.occam.as_object(), kind, id, created, answered->name)));
  }
  (void)co_await writer.write("data: [DONE]\n\n");
  (void)co_await writer.end();
  metrics_.observe_request(endpoint, label, 200, seconds_since(started),
                           std::max(0.0, seconds_since(started) - backend_seconds));
  co_return std::nullopt;
}

HttpReply Gateway::model_not_found(std::string_view name) {
  metrics_.add_error("", "model_not_found");
  return error_reply(404, fmt::format("model '{}' does not exist or you do not have access to it", name),
                     "invalid_request_error", "model_not_found", "model");
}

HttpReply Gateway::finish_reply(HttpReply reply, std::string_view endpoint, std::string_view label,
                                std::chrono::steady_clock::time_point started, double backend_seconds) {
  const double total = seconds_since(started);
  const double overhead = std::max(0.0, total - backend_seconds);
  reply.headers.emplace_back("x-occam-overhead-ms", overhead_ms(overhead));
  metrics_.observe_request(endpoint, label, reply.status, total, overhead);
  return reply;
}

Task<HttpReply> Gateway::handle_embeddings(const HttpRequestView& http, const ApiKey* key,
                                           Clock::time_point started) {
  double backend_seconds = 0;
  std::string label;
  auto finish = [&](HttpReply reply) {
    return finish_reply(std::move(reply), "embeddings", label, started, backend_seconds);
  };
  auto parsed = parse_embedding_request(http.body);
  if (!parsed) co_return finish(error_for(parsed.error(), ""));
  const Model* model = find_model(parsed->request.model);
  if (model == nullptr || !key_allows(key, parsed->request.model)) {
    co_return finish(model_not_found(parsed->request.model));
  }
  label = model->name;
  if (!co_await gate_->acquire()) {
    metrics_.add_error(label, "overloaded");
    co_return finish(error_reply(429, "occam is overloaded; retry later", "rate_limit_error", "overloaded"));
  }
  SlotRelease release{*gate_, metrics_};

  const Model* current = model;
  std::vector<std::string> tried;
  std::optional<Result<backends::EmbeddingResult>> outcome;
  while (current != nullptr) {
    tried.push_back(current->name);
    if (current->backend->capabilities().embeddings) {
      auto t0 = Clock::now();
      outcome = co_await current->backend->embed(parsed->request);
      backend_seconds += seconds_since(t0);
      if (outcome->ok() || !may_fall_back(outcome->error().code())) break;
      metrics_.add_error(current->name, error_code_name(outcome->error().code()));
    }
    const Model* next = current->fallback.empty() ? nullptr : find_model(current->fallback);
    if (next != nullptr && std::find(tried.begin(), tried.end(), next->name) != tried.end()) next = nullptr;
    if (next != nullptr) metrics_.add_fallback(current->name, next->name);
    current = next;
  }
  if (!outcome) {
    co_return finish(error_for(
        make_error(ErrorCode::invalid_argument, "model: '{}' does not serve embeddings", label), label));
  }
  if (!outcome->ok()) co_return finish(error_for(outcome->error(), label));
  const Model* answered = current != nullptr ? current : model;
  metrics_.add_tokens(
      answered->name, (*outcome)->usage.prompt_tokens, 0,
      static_cast<double>((*outcome)->usage.prompt_tokens) * answered->price.input_per_mtok / 1e6);
  HttpReply reply;
  reply.body = backends::write_embedding_result(**outcome, answered->name, parsed->base64);
  reply.headers.emplace_back("x-occam-model", answered->name);
  co_return finish(std::move(reply));
}

Task<HttpReply> Gateway::handle_classify(const HttpRequestView& http, const ApiKey* key,
                                         Clock::time_point started) {
  double backend_seconds = 0;
  std::string label;
  auto finish = [&](HttpReply reply) {
    return finish_reply(std::move(reply), "classify", label, started, backend_seconds);
  };
  auto parsed = parse_classify_request(http.body);
  if (!parsed) co_return finish(error_for(parsed.error(), ""));
  const Model* model = find_model(parsed->model);
  if (model == nullptr || !key_allows(key, parsed->model)) {
    co_return finish(model_not_found(parsed->model));
  }
  label = model->name;
  if (!model->backend->capabilities().classify) {
    co_return finish(
        error_for(make_error(ErrorCode::invalid_argument,
                             "model: '{}' is not a classifier (POST /v1/classify needs a model with "
                             "backend: classic)",
                             label),
                  label));
  }
  if (!co_await gate_->acquire()) {
    metrics_.add_error(label, "overloaded");
    co_return finish(error_reply(429, "occam is overloaded; retry later", "rate_limit_error", "overloaded"));
  }
  SlotRelease release{*gate_, metrics_};
  auto t0 = Clock::now();
  Result<backends::ClassifyResult> result = co_await model->backend->classify(*parsed);
  backend_seconds = seconds_since(t0);
  if (!result) co_return finish(error_for(result.error(), label));
  json::array data;
  for (std::size_t i = 0; i < result->data.size(); ++i) {
    const backends::Classification& c = result->data[i];
    json::array labels;
    for (const backends::LabelProbability& l : c.labels) {
      labels.push_back(json::object{{"label", l.label}, {"probability", l.probability}});
    }
    data.push_back(json::object{{"object", "classification"},
                                {"index", i},
                                {"label", c.label},
                                {"confidence", c.confidence},
                                {"labels", std::move(labels)},
                                {"out_of_scope", c.out_of_scope}});
  }
  json::object usage{{"texts", result->data.size()}, {"characters", result->characters}};
  HttpReply reply;
  reply.body = json::serialize(json::object{
      {"object", "list"}, {"model", model->name}, {"data", std::move(data)}, {"usage", std::move(usage)}});
  reply.headers.emplace_back("x-occam-model", model->name);
  co_return finish(std::move(reply));
}

Task<HttpReply> Gateway::handle_workflows(const HttpRequestView& http, std::string_view path,
                                          const ApiKey* key, Clock::time_point started) {
  std::string label;  // the workflow's name once it is known to exist
  auto finish = [&](HttpReply reply) {
    return finish_reply(std::move(reply), "workflows", label, started, 0);
  };
  if (workflows_ == nullptr) {
    co_return finish(error_reply(404,
                                 "no workflows are configured (add a `workflows:` section to occam.yaml)",
                                 "invalid_request_error", "workflow_not_found"));
  }
  // A workflow calls whichever models its steps name, so only a key allowed every model may run one.
  if (!key_allows(key, "*")) {
    metrics_.add_error("", "permission_denied");
    co_return finish(error_reply(403, "this API key may not use workflows (its `models` is not '*')",
                                 "permission_error", "permission_denied"));
  }
  Result<HttpReply> reply = co_await workflows_->handle(http.method, path, http.body, &label);
  if (reply.ok()) co_return finish(std::move(*reply));
  const Error& error = reply.error();
  if (error.code() == ErrorCode::not_found) {
    metrics_.add_error(label, "not_found");
    co_return finish(error_reply(404, error.message(), "invalid_request_error", "not_found"));
  }
  co_return finish(error_for(error, label));
}

}  // namespace occam::server
