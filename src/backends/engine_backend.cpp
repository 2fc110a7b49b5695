// backend: engine — a GGUF model run in-process by the embedded engine (src/engine).
//
//   models:
//     stories:
//       backend: engine
//       path: models/stories260K.gguf   # required
//       threads: 2                      # compute threads (0: hardware concurrency)
//       context: 2048                   # positions per sequence (0: min(training context, 4096))
//       max_sequences: 4                # requests decoded together in one batch (KV slots)
//       max_queue: 16                   # requests waiting for a slot; one more: 429
//       prefill_chunk: 64               # prompt tokens per engine step (a long prompt does not stall the
//       batch)
//
// The model is loaded once; an EngineScheduler (engine_scheduler.h) owns the engine Context and batches
// the decode steps of concurrent requests. This file is the adapter: it renders the chat template,
// tokenizes, checks what the engine can honour, and turns the scheduler's callbacks into the gateway's
// awaited deltas. Each streamed piece holds its sequence until the client took it, so a slow client
// slows its own sequence only; a failed write (client gone) cancels the sequence and frees its slot.
//
// Chat renders the model's tokenizer.chat_template (ChatML when the file has none); completions use the
// prompt as is (BOS added as the vocabulary says). response_format json_object / json_schema are
// constrained with engine/structured_output.h, and so is a forced tool call (tool_choice "required" or a
// named function): the answer {"name", "arguments"} becomes message.tool_calls. tool_choice "auto",
// logprobs and n > 1 are `unsupported` (400), never answered unconstrained. Embeddings: encoder
// (bert-family) models only.
#include <optional>
#include <random>

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "backends/backend.h"
#include "backends/engine_scheduler.h"
#include "engine/engine.h"
#include "engine/structured_output.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace occam::backends {

namespace asio = boost::asio;

namespace {

struct EngineSettings {
  std::string path;
  int threads = 0;
  uint32_t n_ctx = 0;
  SchedulerOptions scheduler;
};

Result<EngineSettings> read_settings(const BackendContext& context) {
  const ConfigNode& s = context.settings;
  EngineSettings r;
  OCCAM_ASSIGN_OR_RETURN(ConfigNode path, s.require("path"));
  OCCAM_ASSIGN_OR_RETURN(r.path, path.as_string());
  OCCAM_ASSIGN_OR_RETURN(int64_t threads, s.get_int("threads", 0, 0, 1024));
  r.threads = static_cast<int>(threads);
  OCCAM_ASSIGN_OR_RETURN(int64_t n_ctx, s.get_int("context", 0, 0, 1 << 20));
  r.n_ctx = static_cast<uint32_t>(n_ctx);
  OCCAM_ASSIGN_OR_RETURN(int64_t max_sequences, s.get_int("max_sequences", 4, 1, 256));
  r.scheduler.max_sequences = static_cast<uint32_t>(max_sequences);
  OCCAM_ASSIGN_OR_RETURN(int64_t max_queue, s.get_int("max_queue", 16, 0, 1 << 20));
  r.scheduler.max_queue = static_cast<size_t>(max_queue);
  OCCAM_ASSIGN_OR_RETURN(int64_t prefill_chunk, s.get_int("prefill_chunk", 64, 1, 1 << 16));
  r.scheduler.prefill_chunk = static_cast<uint32_t>(prefill_chunk);
  return r;
}

std::string random_id(std::string_view prefix) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{}-{:016x}", prefix, rng());
}

using TrackedExecutor =
    decltype(asio::prefer(std::declval<asio::any_io_executor>(), asio::execution::outstanding_work.tracked));

// The streamed side of one request. Touched by the worker (on_text) until on_done, by the request's
// executor afterwards; the scheduler's lock orders the two.
struct StreamState {
  asio::any_io_executor executor;  // untracked: the awaiting coroutine's resume guard keeps the context alive
  const DeltaSink* sink = nullptr;
  bool chat = false;
  bool first = true;                // no delta sent yet (the first one carries the role)
  std::optional<Error> sink_error;  // the client is gone
};

// SequenceEvents::on_text: writes the piece on the request's executor, holding the sequence meanwhile.
struct StreamText {
  std::shared_ptr<StreamState> state;
  void operator()(std::string_view piece, const std::shared_ptr<SequenceControl>& control) const {
    auto delta = std::make_shared<Delta>();
    if (state->first && state->chat) delta->role = "assistant";
    state->first = false;
    delta->content = std::string(piece);
    control->hold();
    asio::post(state->executor, [st = state, delta, control] {
      asio::co_spawn(st->executor, (*st->sink)(*delta),
                     [st, delta, control](std::exception_ptr e, Status status) {
                       if (e) status = make_error(ErrorCode::internal, "stream sink threw");
                       if (!status.ok()) {
                         st->sink_error = std::move(status).error();
                         control->cancel();
                       }
                       control->release();
                     });
    });
  }
};

// Resumes the awaiting coroutine with `T`, once, on its executor. Built outside any coroutine: GCC 12
// miscompiles init-captures of coroutine parameters (double free seen under valgrind).
template <typename T, typename Submit>
Task<Result<T>> on_scheduler(TrackedExecutor executor, Submit submit) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(Result<T>)>(
      [](auto handler, TrackedExecutor ex, Submit s) {
        using Handler = decltype(handler);
        struct Pending {
          Handler handler;
          TrackedExecutor executor;
        };
        auto pending = std::make_shared<std::optional<Pending>>(Pending{std::move(handler), std::move(ex)});
        std::function<void(Result<T>)> resume = [pending](Result<T> value) {
          // The handler (it owns the coroutine's stack) and the only tracked executor move into the posted
          // function: once post() returns, the calling thread holds nothing of the io_context.
          Pending p = std::move(**pending);
          pending->reset();
          auto untracked = asio::prefer(p.executor, asio::execution::outstanding_work.untracked);
          asio::post(untracked, [p = std::move(p), value = std::move(value)]() mutable {
            std::move(p.handler)(std::move(value));
          });
        };
        if (Status st = s(resume); !st.ok()) resume(std::move(st).error());
      },
      asio::use_awaitable, std::move(executor), std::move(submit));
}

struct SubmitSequence {
  EngineScheduler* scheduler;
  SequenceSpec spec;
  std::shared_ptr<StreamState> stream;  // null: nothing streamed while generating
  Status operator()(std::function<void(Result<SequenceOutput>)> done) {
    SequenceEvents events;
    events.on_done = std::move(done);
    if (stream) events.on_text = StreamText{stream};
    auto control = scheduler->submit(std::move(spec), std::move(events));
    if (!control.ok()) return std::move(control).error();
    return ok_status();
  }
};

struct SubmitEmbedding {
  EngineScheduler* scheduler;
  std::vector<std::vector<int32_t>> inputs;
  Status operator()(std::function<void(Result<EmbeddingResult>)> done) {
    return scheduler->submit_embedding(std::move(inputs), std::move(done));
  }
};

// The OpenAI tools array of a request, as engine::structured::tool_call_schema reads it.
boost::json::value tools_json(const std::vector<Tool>& tools) {
  boost::json::array out;
  for (const Tool& t : tools) {
    boost::json::object fn;
    fn["name"] = t.name;
    if (!t.parameters.is_null()) fn["parameters"] = t.parameters;
    out.push_back(boost::json::object{{"type", "function"}, {"function", std::move(fn)}});
  }
  return out;
}

// A complete forced answer {"name": n, "arguments": a} as the message's tool call.
Result<ToolCall> tool_call_from(const std::string& answer) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(answer, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  const boost::json::value* name = o ? o->if_contains("name") : nullptr;
  const boost::json::value* args = o ? o->if_contains("arguments") : nullptr;
  if (name == nullptr || !name->is_string() || args == nullptr) {
    return make_error(ErrorCode::internal, "engine backend: forced tool call is not {{name, arguments}}: {}",
                      answer);
  }
  return ToolCall{random_id("call"), std::string(name->get_string()), boost::json::serialize(*args)};
}

class EngineBackend final : public Backend {
 public:
  EngineBackend(std::shared_ptr<const engine::Model> model, std::shared_ptr<const tokenizer::Tokenizer> tok,
                std::optional<tokenizer::ChatTemplate> tpl, std::unique_ptr<EngineScheduler> scheduler)
      : model_(std::move(model)),
        tok_(std::move(tok)),
        tpl_(std::move(tpl)),
        scheduler_(std::move(scheduler)) {
    const bool encoder = model_->info().is_encoder;
    caps_ = Capabilities{.chat = !encoder && tpl_.has_value(),
                         .completion = !encoder,
                         .embeddings = encoder,
                         .streaming = true,
                         .json_schema = !encoder,
                         .json_object = !encoder,
                         .tools = !encoder,
                         .logprobs = false,
                         .max_n = 1};
    const tokenizer::SpecialTokens& special = tok_->special();
    if (special.bos >= 0) tpl_options_.bos_token = std::string(tok_->token_text(special.bos));
    if (special.eos >= 0) tpl_options_.eos_token = std::string(tok_->token_text(special.eos));
    tpl_options_.add_generation_prompt = true;
  }

  const Capabilities& capabilities() const override { return caps_; }

  Task<Result<GenerateResult>> generate(const GenerateRequest& request, const DeltaSink* sink) override {
    if (model_->info().is_encoder) {
      co_return make_error(ErrorCode::unsupported, "model {}: an encoder model only computes embeddings",
                           request.model);
    }
    if (request.n != 1) co_return make_error(ErrorCode::unsupported, "engine backend: n must be 1");
    if (request.logprobs)
      co_return make_error(ErrorCode::unsupported, "engine backend: logprobs are not supported");
    // Everything that can be checked without the model happens here, on the I/O thread.
    const bool tool_call = !request.tools.empty() && request.tool_choice != ToolChoice::none;
    auto grammar = compile_grammar(request);
    if (!grammar.ok()) co_return std::move(grammar).error();
    auto prompt = prompt_tokens(request);
    if (!prompt.ok()) co_return std::move(prompt).error();
    const uint32_t n_ctx = scheduler_->n_ctx();
    if (prompt->size() >= n_ctx) {
      co_return make_error(ErrorCode::invalid_argument, "prompt: {} tokens, the context holds {}",
                           prompt->size(), n_ctx);
    }
    SequenceSpec spec;
    spec.sampling.temperature = static_cast<float>(request.temperature.value_or(1.0));
    spec.sampling.top_p = static_cast<float>(request.top_p.value_or(1.0));
    spec.sampling.presence_penalty = static_cast<float>(request.presence_penalty.value_or(0.0));
    spec.sampling.frequency_penalty = static_cast<float>(request.frequency_penalty.value_or(0.0));
    spec.sampling.seed = request.seed ? static_cast<uint64_t>(*request.seed) : std::random_device{}();
    const int64_t room = static_cast<int64_t>(n_ctx) - static_cast<int64_t>(prompt->size());
    const int64_t wanted = request.max_tokens.value_or(room);
    if (wanted < 0) co_return make_error(ErrorCode::invalid_argument, "max_tokens: must be ≥ 0");
    spec.max_tokens = static_cast<int>(std::min(wanted, room));
    spec.stop = request.stop;
    spec.prompt = std::move(*prompt);
    spec.grammar = std::move(*grammar);
    const int64_t n_prompt = static_cast<int64_t>(spec.prompt.size());

    auto executor =
        asio::prefer(co_await asio::this_coro::executor, asio::execution::outstanding_work.tracked);
    std::shared_ptr<StreamState> stream;
    if (sink != nullptr && !tool_call) {
      stream = std::make_shared<StreamState>();
      stream->executor = asio::prefer(executor, asio::execution::outstanding_work.untracked);
      stream->sink = sink;
      stream->chat = request.kind == RequestKind::chat;
    }
    SubmitSequence submit{scheduler_.get(), std::move(spec), stream};
    Result<SequenceOutput> out = co_await on_scheduler<SequenceOutput>(executor, std::move(submit));
    if (stream && stream->sink_error) co_return std::move(*stream->sink_error);
    if (!out.ok()) co_return std::move(out).error();

    Choice choice;
    choice.text = std::move(out->text);
    choice.finish_reason = out->finish_reason;
    if (tool_call && choice.finish_reason == "stop") {
      auto call = tool_call_from(choice.text);
      if (!call.ok()) co_return std::move(call).error();
      choice.tool_calls.push_back(std::move(*call));
      choice.text.clear();
      choice.content_null = true;
      choice.finish_reason = "tool_calls";
    }
    if (sink != nullptr) {
      Delta last;
      if ((stream == nullptr || stream->first) && request.kind == RequestKind::chat) last.role = "assistant";
      if (stream == nullptr) {
        last.content = choice.text;
        for (const ToolCall& c : choice.tool_calls) last.tool_calls.push_back({0, c.id, c.name, c.arguments});
      }
      last.finish_reason = choice.finish_reason;
      Status delivered = co_await (*sink)(last);
      if (!delivered.ok()) co_return std::move(delivered).error();
    }
    GenerateResult result;
    result.id = random_id(request.kind == RequestKind::chat ? "chatcmpl" : "cmpl");
    result.created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    result.usage.prompt_tokens = n_prompt;
    result.usage.completion_tokens = static_cast<int64_t>(out->tokens.size());
    result.choices.push_back(std::move(choice));
    co_return result;
  }

  Task<Result<EmbeddingResult>> embed(const EmbeddingRequest& request) override {
    if (!model_->info().is_encoder) {
      co_return make_error(ErrorCode::unsupported, "model {}: embeddings need an encoder (bert-family) model",
                           request.model);
    }
    if (request.dimensions)
      co_return make_error(ErrorCode::unsupported, "engine backend: dimensions is not supported");
    std::vector<std::vector<int32_t>> inputs;
    for (size_t i = 0; i < request.input.size(); ++i) {
      inputs.push_back(tok_->encode(request.input[i], {.add_special = true, .parse_special = false}));
      if (inputs.back().size() > scheduler_->n_ctx()) {
        co_return make_error(ErrorCode::invalid_argument, "input[{}]: {} tokens, the context holds {}", i,
                             inputs.back().size(), scheduler_->n_ctx());
      }
    }
    auto executor =
        asio::prefer(co_await asio::this_coro::executor, asio::execution::outstanding_work.tracked);
    SubmitEmbedding submit{scheduler_.get(), std::move(inputs)};
    co_return co_await on_scheduler<EmbeddingResult>(executor, std::move(submit));
  }

 private:
  // The constraint of the answer: a forced tool call, or response_format json_schema / json_object.
  Result<std::shared_ptr<const engine::structured::Grammar>> compile_grammar(
      const GenerateRequest& request) const {
    if (!request.tools.empty() && request.tool_choice != ToolChoice::none) {
      if (request.tool_choice == ToolChoice::automatic) {
        return make_error(
            ErrorCode::unsupported,
            "engine backend: tool_choice auto is not supported; use \"required\" or a named function");
      }
      std::optional<std::string_view> forced;
      if (request.tool_choice == ToolChoice::function) forced = request.tool_choice_name;
      OCCAM_ASSIGN_OR_RETURN(boost::json::value schema,
                             engine::structured::tool_call_schema(tools_json(request.tools), forced));
      return engine::structured::compile_schema(schema, {}, "tools");
    }
    if (request.response_format.kind == ResponseFormatKind::json_schema) {
      return engine::structured::compile_schema(request.response_format.schema, {},
                                                "response_format.json_schema.schema");
    }
    if (request.response_format.kind == ResponseFormatKind::json_object) {
      return engine::structured::json_object_grammar();
    }
    return std::shared_ptr<const engine::structured::Grammar>();
  }

  Result<std::vector<int32_t>> prompt_tokens(const GenerateRequest& request) const {
    std::string prompt_text;
    bool add_special = true;
    bool parse_special = false;
    if (request.kind == RequestKind::chat) {
      if (!tpl_)
        return make_error(ErrorCode::unsupported, "model {}: no usable chat template", request.model);
      boost::json::array messages;
      for (const Message& m : request.messages) {
        boost::json::object o;
        o["role"] = m.role == "developer" ? "system" : m.role;
        if (m.content_null) {
          o["content"] = nullptr;
        } else {
          o["content"] = m.content;
        }
        if (!m.name.empty()) o["name"] = m.name;
        messages.push_back(std::move(o));
      }
      auto rendered = tpl_->render(boost::json::serialize(messages), tpl_options_);
      if (!rendered.ok())
        return make_error(ErrorCode::invalid_argument, "chat template: {}", rendered.error().message());
      prompt_text = std::move(*rendered);
      // The template writes BOS itself when it wants one; add it only when it did not.
      add_special = !(!tpl_options_.bos_token.empty() && prompt_text.rfind(tpl_options_.bos_token, 0) == 0);
      parse_special = true;
    } else {
      prompt_text = request.prompt;
    }
    std::vector<int32_t> prompt =
        tok_->encode(prompt_text, {.add_special = add_special, .parse_special = parse_special});
    if (prompt.empty()) return make_error(ErrorCode::invalid_argument, "prompt: empty after tokenization");
    return prompt;
  }

  std::shared_ptr<const engine::Model> model_;
  std::shared_ptr<const tokenizer::Tokenizer> tok_;
  std::optional<tokenizer::ChatTemplate> tpl_;
  tokenizer::ChatTemplateOptions tpl_options_;
  Capabilities caps_;
  std::unique_ptr<EngineScheduler> scheduler_;  // last: its worker stops before the rest goes
};

Result<std::unique_ptr<Backend>> make_engine(const BackendContext& context) {
  OCCAM_ASSIGN_OR_RETURN(EngineSettings settings, read_settings(context));
  auto model = engine::Model::load(settings.path);
  if (!model.ok()) return std::move(model).error().with_context(fmt::format("model {}", context.model_name));
  auto tok = tokenizer::Tokenizer::from_gguf((*model)->file());
  if (!tok.ok()) return std::move(tok).error().with_context("tokenizer");
  auto shared_tok = std::make_shared<const tokenizer::Tokenizer>(std::move(*tok));
  std::optional<tokenizer::ChatTemplate> tpl;
  if (!(*model)->info().is_encoder) {
    std::string source;
    if (auto from_file = tokenizer::chat_template_from_gguf((*model)->file()); from_file.ok()) {
      source = *from_file;
    } else {
      source = std::string(tokenizer::default_chat_template());
    }
    if (auto parsed = tokenizer::ChatTemplate::parse(source); parsed.ok()) {
      tpl.emplace(std::move(*parsed));
    } else {
      spdlog::warn("model {}: chat template unusable ({}); chat is disabled", context.model_name,
                   parsed.error().message());
    }
  }
  engine::ContextOptions ctx_options;
  ctx_options.n_ctx = settings.n_ctx;
  ctx_options.threads = settings.threads;
  auto scheduler = EngineScheduler::create(*model, shared_tok, ctx_options, settings.scheduler);
  if (!scheduler.ok())
    return std::move(scheduler).error().with_context(fmt::format("model {}", context.model_name));
  return std::unique_ptr<Backend>(std::make_unique<EngineBackend>(std::move(*model), std::move(shared_tok),
                                                                  std::move(tpl), std::move(*scheduler)));
}

}  // namespace

OCCAM_REGISTER_BACKEND(engine, make_engine, "path", "threads", "context", "max_sequences", "max_queue",
                       "prefill_chunk");

}  // namespace occam::backends
