// One interface for everything that answers a request: the embedded engine, a remote OpenAI-compatible
// server, classic models, rules. A backend is one file with one OCCAM_REGISTER_BACKEND line; the
// `backend:` key of a model in occam.yaml picks the factory, which reads the rest of the model's map.
//
// Calls are C++20 coroutines on the server's Asio executors: a backend that does I/O (remote) awaits it,
// a backend that computes (engine) hands the work to its own scheduler and awaits the result. Streaming
// goes through an awaited sink, so a slow client slows the producer instead of growing a buffer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include "core/config.h"
#include "core/error.h"

namespace occam::backends {

template <typename T>
using Task = boost::asio::awaitable<T>;

// ---- requests -------------------------------------------------------------------------------------

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text, as OpenAI sends it
};

struct Message {
  std::string role;  // system, user, assistant, tool ("developer" is read as system)
  std::string content;
  bool content_null = false;  // an assistant message that only carries tool_calls
  std::string name;
  std::string tool_call_id;  // role tool
  std::vector<ToolCall> tool_calls;
};

struct Tool {
  std::string name;
  std::string description;
  boost::json::value parameters;  // a JSON schema (object); null when absent
};

enum class ToolChoice { automatic, none, required, function };
enum class ResponseFormatKind { text, json_object, json_schema };

struct ResponseFormat {
  ResponseFormatKind kind = ResponseFormatKind::text;
  std::string name;           // json_schema.name
  boost::json::value schema;  // json_schema.schema
  bool strict = false;
};

enum class RequestKind { chat, completion };

struct GenerateRequest {
  RequestKind kind = RequestKind::chat;
  std::string model;              // the model name as configured in occam (the client's `model`)
  std::vector<Message> messages;  // chat
  std::string prompt;             // completion
  bool stream = false;
  bool stream_include_usage = false;
  std::optional<int64_t> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<double> presence_penalty;
  std::optional<double> frequency_penalty;
  std::optional<int64_t> seed;
  int n = 1;
  std::vector<std::string> stop;
  bool logprobs = false;
  int top_logprobs = 0;
  bool echo = false;  // completions only
  ResponseFormat response_format;
  std::vector<Tool> tools;
  ToolChoice tool_choice = ToolChoice::automatic;
  std::string tool_choice_name;  // ToolChoice::function
  std::optional<bool> parallel_tool_calls;
  std::string user;
};

struct EmbeddingRequest {
  std::string model;
  std::vector<std::string> input;
  std::optional<int64_t> dimensions;
  std::string user;
};

// ---- answers --------------------------------------------------------------------------------------

struct TopLogprob {
  std::string token;
  double logprob = 0;
};

struct TokenLogprob {
  std::string token;
  double logprob = 0;
  std::vector<TopLogprob> top;
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

struct Choice {
  int index = 0;
  std::string text;           // message.content (chat) or text (completion)
  bool content_null = false;  // chat answer made only of tool calls
  std::vector<ToolCall> tool_calls;
  std::string finish_reason;  // stop, length, tool_calls, content_filter
  std::vector<TokenLogprob> logprobs;
};

struct GenerateResult {
  std::string id;
  int64_t created = 0;  // unix seconds
  std::vector<Choice> choices;
  Usage usage;
  bool has_logprobs = false;
  // Set by the `router` backend (src/router): the decision trace as a JSON object (the answer's `occam`
  // field) and its compact form (the `x-occam-route` header). Null / empty for other backends.
  boost::json::value occam;
  std::string occam_route_header;
};

struct ToolCallDelta {
  int index = 0;
  std::string id;         // set on the first fragment of a call
  std::string name;       // set on the first fragment of a call
  std::string arguments;  // a fragment of the JSON text
};

// One streamed step of one choice. The first delta of a choice carries the role.
struct Delta {
  int index = 0;
  std::string role;
  std::string content;
  std::vector<ToolCallDelta> tool_calls;
  std::string finish_reason;  // set on the last delta of a choice
  std::vector<TokenLogprob> logprobs;
  std::string route_header;  // a routed stream's first delta: the decision, sent as x-occam-route
};

// Receives deltas in order; an error (client gone) makes the backend stop and return that error.
using DeltaSink = std::function<Task<Status>(const Delta&)>;

struct EmbeddingResult {
  std::vector<std::vector<float>> vectors;  // one per input, in order
  Usage usage;                              // prompt_tokens only
};

// Classification (POST /v1/classify): texts in, labels and calibrated probabilities out.
struct ClassifyRequest {
  std::string model;
  std::vector<std::string> input;
  int top_k = 3;  // labels returned per text, best first (capped at the model's label count)
};

struct LabelProbability {
  std::string label;
  double probability = 0;
};

struct Classification {
  std::string label;  // the most probable label
  double confidence = 0;
  std::vector<LabelProbability> labels;  // the top_k, best first
  bool out_of_scope = false;             // the model's OOS class won, or confidence is under its threshold
};

struct ClassifyResult {
  std::vector<Classification> data;  // one per input, in order
  int64_t characters = 0;            // bytes of text classified (the classic tier has no tokens)
};

// ---- the interface --------------------------------------------------------------------------------

struct Capabilities {
  bool chat = true;
  bool completion = true;
  bool embeddings = false;
  bool streaming = true;
  bool json_schema = false;  // can honour response_format json_schema (constrained or validated)
  bool json_object = false;
  bool tools = false;
  bool logprobs = false;
  bool classify = false;
  int max_n = 1;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual const Capabilities& capabilities() const = 0;

  // Generates the answer. With a sink, every delta goes through it as soon as it exists and the result
  // still carries the assembled choices and usage. Errors: invalid_argument (the backend refused the
  // request), resource_exhausted (queue full), unavailable (upstream down or broken), timeout.
  virtual Task<Result<GenerateResult>> generate(const GenerateRequest& request, const DeltaSink* sink) = 0;

  virtual Task<Result<EmbeddingResult>> embed(const EmbeddingRequest& request) = 0;

  // Classifies texts; only backends with capabilities().classify answer (the others refuse).
  virtual Task<Result<ClassifyResult>> classify(const ClassifyRequest& request) {
    co_return make_error(ErrorCode::invalid_argument, "model: '{}' is not a classifier", request.model);
  }

  // Closes what the backend keeps open on `context` between requests (kept-alive sockets). Called by the
  // server after its threads stopped and before their contexts are destroyed.
  virtual void close_idle(boost::asio::execution_context& context) { (void)context; }
};

// ---- registry -------------------------------------------------------------------------------------

struct BackendContext {
  std::string model_name;  // the key under `models:`
  ConfigNode settings;     // the model's map (backend-specific keys are the factory's to check)
};

using BackendFactory = std::function<Result<std::unique_ptr<Backend>>(const BackendContext&)>;

struct BackendKind {
  BackendFactory factory;
  // The keys the factory accepts besides the common ones (backend, price, fallback, ...).
  std::vector<std::string> settings_keys;
};

std::map<std::string, BackendKind, std::less<>>& backend_registry();

Result<std::unique_ptr<Backend>> make_backend(std::string_view kind, const BackendContext& context);

struct BackendRegistration {
  BackendRegistration(std::string kind, BackendFactory factory, std::vector<std::string> settings_keys) {
    backend_registry()[std::move(kind)] = BackendKind{std::move(factory), std::move(settings_keys)};
  }
};

}  // namespace occam::backends

#define OCCAM_REGISTER_BACKEND(kind, factory, ...)                                 \
  static ::occam::backends::BackendRegistration occam_backend_registration_##kind( \
      #kind, factory, std::vector<std::string>{__VA_ARGS__})

// OCCAM_TRY for coroutines (co_return instead of return).
#define OCCAM_CO_TRY(expr)                               \
  do {                                                   \
    auto occam_co_try_result_ = (expr);                  \
    if (!occam_co_try_result_.ok()) {                    \
      co_return std::move(occam_co_try_result_).error(); \
    }                                                    \
  } while (false)
