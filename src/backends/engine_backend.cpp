// backend: engine — a GGUF model run in-process by the embedded engine (src/engine).
//
//   models:
//     stories:
//       backend: engine
//       path: models/stories260K.gguf   # required
//       threads: 2                      # compute threads (0: hardware concurrency)
//       context: 2048                   # n_ctx (0: min(training context, 4096))
//       max_queue: 16                   # requests waiting besides the running one; more: 429
//
// The model is loaded once. One worker thread owns the engine Context; requests are handed to it through
// a FIFO queue and run one at a time (no batching of concurrent requests yet); the result is posted back
// to the awaiting coroutine's executor. Streamed tokens go through the tokenizer's StreamDecoder (no
// UTF-8 character is split) and each delta is awaited on the server's executor while the worker waits,
// so a slow client slows generation instead of growing a buffer.
//
// Chat renders the model's tokenizer.chat_template (ChatML when the file has none); completions use the
// prompt as is (BOS added as the vocabulary says). response_format json_object / json_schema are
// constrained with engine/structured_output.h; tools (unless tool_choice is none), logprobs and n > 1 are
// `unsupported` (400), never answered unconstrained. Embeddings: encoder (bert-family) models only.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

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
  size_t max_queue = 16;
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
  OCCAM_ASSIGN_OR_RETURN(int64_t max_queue, s.get_int("max_queue", 16, 0, 1 << 20));
  r.max_queue = static_cast<size_t>(max_queue);
  return r;
}

std::string request_id(RequestKind kind) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{}-{:016x}", kind == RequestKind::chat ? "chatcmpl" : "cmpl", rng());
}

class EngineBackend final : public Backend {
 public:
  EngineBackend(EngineSettings settings, std::shared_ptr<const engine::Model> model, tokenizer::Tokenizer tok,
                std::optional<tokenizer::ChatTemplate> tpl, std::unique_ptr<engine::Context> ctx)
      : s_(std::move(settings)),
        model_(std::move(model)),
        tok_(std::move(tok)),
        tpl_(std::move(tpl)),
        ctx_(std::move(ctx)) {
    const bool encoder = model_->info().is_encoder;
    caps_ = Capabilities{.chat = !encoder && tpl_.has_value(), .completion = !encoder, .embeddings = encoder,
                         .streaming = true, .json_schema = !encoder, .json_object = !encoder, .tools = false,
                         .logprobs = false, .max_n = 1};
    const tokenizer::SpecialTokens& special = tok_.special();
    if (special.bos >= 0) tpl_options_.bos_token = std::string(tok_.token_text(special.bos));
    if (special.eos >= 0) tpl_options_.eos_token = std::string(tok_.token_text(special.eos));
    tpl_options_.add_generation_prompt = true;
    worker_ = std::thread([this] { work(); });
  }

  ~EngineBackend() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
  }

  const Capabilities& capabilities() const override { return caps_; }

 private:
  using TrackedExecutor = decltype(asio::prefer(std::declval<asio::any_io_executor>(),
                                                asio::execution::outstanding_work.tracked));

  // What the worker runs (plain structs: no lambdas are built inside the coroutines).
  struct GenerateJob {
    EngineBackend* self;
    const DeltaSink* sink;
    bool chat;
    std::vector<int32_t> prompt;
    engine::GenerateOptions options;
    std::shared_ptr<const engine::structured::Grammar> grammar;
    Result<GenerateResult> operator()(const TrackedExecutor& executor) {
      return self->run_generate(executor, sink, chat, prompt, options, grammar);
    }
  };
  struct EmbedJob {
    EngineBackend* self;
    std::vector<std::vector<int32_t>> inputs;
    Result<EmbeddingResult> operator()(const TrackedExecutor&) {
      EmbeddingResult r;
      for (const auto& ids : inputs) {
        OCCAM_ASSIGN_OR_RETURN(std::vector<float> v, self->ctx_->embed(ids));
        r.vectors.push_back(std::move(v));
        r.usage.prompt_tokens += static_cast<int64_t>(ids.size());
      }
      return r;
    }
  };

 public:

  Task<Result<GenerateResult>> generate(const GenerateRequest& request, const DeltaSink* sink) override {
    if (model_->info().is_encoder) {
      co_return make_error(ErrorCode::unsupported, "model {}: an encoder model only computes embeddings",
                           request.model);
    }
    if (request.n != 1) co_return make_error(ErrorCode::unsupported, "engine backend: n must be 1");
    if (request.logprobs) co_return make_error(ErrorCode::unsupported, "engine backend: logprobs are not supported");
    if (!request.tools.empty() && request.tool_choice != ToolChoice::none) {
      co_return make_error(ErrorCode::unsupported, "engine backend: tools / tool calls are not supported");
    }
    // Everything that can be checked without the model happens here, on the I/O thread.
    std::shared_ptr<const engine::structured::Grammar> grammar;
    if (request.response_format.kind == ResponseFormatKind::json_schema) {
      auto compiled = engine::structured::compile_schema(request.response_format.schema, {},
                                                         "response_format.json_schema.schema");
      if (!compiled.ok()) co_return std::move(compiled).error();
      grammar = *compiled;
    } else if (request.response_format.kind == ResponseFormatKind::json_object) {
      grammar = engine::structured::json_object_grammar();
    }
    std::string prompt_text;
    bool add_special = true;
    bool parse_special = false;
    if (request.kind == RequestKind::chat) {
      if (!tpl_) co_return make_error(ErrorCode::unsupported, "model {}: no usable chat template", request.model);
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
      if (!rendered.ok()) co_return make_error(ErrorCode::invalid_argument, "chat template: {}", rendered.error().message());
      prompt_text = std::move(*rendered);
      // The template writes BOS itself when it wants one; add it only when it did not.
      add_special = !(!tpl_options_.bos_token.empty() && prompt_text.rfind(tpl_options_.bos_token, 0) == 0);
      parse_special = true;
    } else {
      prompt_text = request.prompt;
    }
    std::vector<int32_t> prompt = tok_.encode(prompt_text, {.add_special = add_special, .parse_special = parse_special});
    if (prompt.empty()) co_return make_error(ErrorCode::invalid_argument, "prompt: empty after tokenization");
    const uint32_t n_ctx = ctx_->n_ctx();
    if (prompt.size() >= n_ctx) {
      co_return make_error(ErrorCode::invalid_argument, "prompt: {} tokens, the context holds {}", prompt.size(), n_ctx);
    }

    engine::GenerateOptions options;
    options.sampling.temperature = static_cast<float>(request.temperature.value_or(1.0));
    options.sampling.top_p = static_cast<float>(request.top_p.value_or(1.0));
    options.sampling.presence_penalty = static_cast<float>(request.presence_penalty.value_or(0.0));
    options.sampling.frequency_penalty = static_cast<float>(request.frequency_penalty.value_or(0.0));
    options.sampling.seed = request.seed ? static_cast<uint64_t>(*request.seed) : std::random_device{}();
    const int64_t room = static_cast<int64_t>(n_ctx) - static_cast<int64_t>(prompt.size());
    const int64_t wanted = request.max_tokens.value_or(room);
    if (wanted < 0) co_return make_error(ErrorCode::invalid_argument, "max_tokens: must be ≥ 0");
    options.max_tokens = static_cast<int>(std::min(wanted, room));
    options.stop = request.stop;

    // Admission: at most max_queue requests wait besides the running one. Counted on the I/O side
    // (released when the coroutine resumes), so the bound holds whatever the worker is doing.
    {
      std::lock_guard lock(mutex_);
      if (admitted_ >= s_.max_queue + 1) {
        co_return make_error(ErrorCode::resource_exhausted, "model {}: {} requests already queued", request.model,
                             s_.max_queue);
      }
      ++admitted_;
    }
    struct Release {
      EngineBackend* self;
      ~Release() {
        std::lock_guard lock(self->mutex_);
        --self->admitted_;
      }
    } release{this};

    auto executor = asio::prefer(co_await asio::this_coro::executor, asio::execution::outstanding_work.tracked);
    const bool chat = request.kind == RequestKind::chat;
    GenerateJob job{this, sink, chat, std::move(prompt), std::move(options), std::move(grammar)};
    Result<GenerateResult> out = co_await on_worker<Result<GenerateResult>>(executor, std::move(job));
    if (out.ok()) {
      out->id = request_id(request.kind);
      out->created = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    }
    co_return std::move(out);
  }

  Task<Result<EmbeddingResult>> embed(const EmbeddingRequest& request) override {
    if (!model_->info().is_encoder) {
      co_return make_error(ErrorCode::unsupported, "model {}: embeddings need an encoder (bert-family) model",
                           request.model);
    }
    if (request.dimensions) co_return make_error(ErrorCode::unsupported, "engine backend: dimensions is not supported");
    std::vector<std::vector<int32_t>> inputs;
    for (const std::string& text : request.input) {
      inputs.push_back(tok_.encode(text, {.add_special = true, .parse_special = false}));
      if (inputs.back().size() > ctx_->n_ctx()) {
        co_return make_error(ErrorCode::invalid_argument, "input: {} tokens, the context holds {}",
                             inputs.back().size(), ctx_->n_ctx());
      }
    }
    {
      std::lock_guard lock(mutex_);
      if (admitted_ >= s_.max_queue + 1) {
        co_return make_error(ErrorCode::resource_exhausted, "model {}: {} requests already queued", request.model,
                             s_.max_queue);
      }
      ++admitted_;
    }
    struct Release {
      EngineBackend* self;
      ~Release() {
        std::lock_guard lock(self->mutex_);
        --self->admitted_;
      }
    } release{this};
    auto executor = asio::prefer(co_await asio::this_coro::executor, asio::execution::outstanding_work.tracked);
    EmbedJob job{this, std::move(inputs)};
    Result<EmbeddingResult> out = co_await on_worker<Result<EmbeddingResult>>(executor, std::move(job));
    co_return std::move(out);
  }

 private:
  // Runs `work(executor)` on the worker thread and resumes the awaiting coroutine on `executor` with
  // its value. Deliberately not a coroutine itself, and no coroutine here captures into lambdas:
  // GCC 12 miscompiles init-captures of coroutine parameters (double free seen under valgrind).
  template <typename T, typename Work>
  Task<T> on_worker(TrackedExecutor executor, Work work) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
        [this](auto handler, TrackedExecutor ex, Work w) {
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          push([h, ex, w]() mutable {
            T value = w(ex);
            // The handler (it owns the awaiting coroutine's stack) and the only worker-side tracked
            // executor move into the posted function: once post() returns, this thread holds nothing
            // of the io_context, which may then finish and be destroyed at any time.
            auto untracked = asio::prefer(ex, asio::execution::outstanding_work.untracked);
            asio::post(untracked, [h = std::move(h), guard = std::move(ex), value = std::move(value)]() mutable {
              std::move (*h)(std::move(value));
            });
          });
        },
        asio::use_awaitable, std::move(executor), std::move(work));
  }

  void push(std::function<void()> job) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  // On the worker thread: hands one delta to the sink on the server's executor and waits for it.
  static Status deliver(const TrackedExecutor& executor, const DeltaSink& sink, const Delta& delta) {
    // The sink's coroutine is created and run on the executor; this thread only waits for its status.
    auto done = std::make_shared<std::promise<Status>>();
    std::future<Status> result = done->get_future();
    asio::post(executor, [executor, &sink, &delta, done] {
      asio::co_spawn(executor, sink(delta), [done](std::exception_ptr e, Status st) {
        if (e) {
          done->set_value(make_error(ErrorCode::internal, "stream sink threw"));
        } else {
          done->set_value(std::move(st));
        }
      });
    });
    return result.get();
  }

  Result<GenerateResult> run_generate(const TrackedExecutor& executor, const DeltaSink* sink, bool chat,
                                      const std::vector<int32_t>& prompt, engine::GenerateOptions options,
                                      std::shared_ptr<const engine::structured::Grammar> grammar) {
    Choice choice;
    std::optional<Error> sink_error;
    bool first = true;
    auto emit = [&](std::string_view piece, std::string finish) -> bool {
      if (sink == nullptr || sink_error) return !sink_error;
      if (piece.empty() && finish.empty() && !first) return true;
      Delta d;
      if (first && chat) d.role = "assistant";
      first = false;
      d.content = std::string(piece);
      d.finish_reason = std::move(finish);
      Status st = deliver(executor, *sink, d);
      if (!st.ok()) sink_error = std::move(st).error();
      return !sink_error;
    };
    auto on_token = [&](int32_t, std::string_view piece, const engine::TokenLogprobs&) {
      choice.text += piece;
      return emit(piece, {});
    };
    engine::Generated generated;
    if (grammar) {
      if (!vocab_) {
        auto vocab = engine::structured::TokenVocabulary::for_model(*model_);
        if (!vocab.ok()) return std::move(vocab).error();
        vocab_ = *vocab;
      }
      auto out = engine::structured::generate(*ctx_, prompt, grammar, vocab_, std::move(options), on_token);
      if (sink_error) return *sink_error;
      if (!out.ok()) return std::move(out).error();
      // The answer's bytes are authoritative; stream whatever the token pieces did not show yet.
      if (out->text.size() > choice.text.size() && out->text.compare(0, choice.text.size(), choice.text) == 0) {
        std::string rest = out->text.substr(choice.text.size());
        if (!emit(rest, {})) return *sink_error;
      }
      choice.text = out->text;
      generated = std::move(out->generated);
    } else {
      tokenizer::StreamDecoder decoder(tok_, /*unparse_special=*/false);
      options.token_text = [&decoder](int32_t id) { return decoder.push(id); };
      const bool has_stop = !options.stop.empty();
      auto out = ctx_->generate(prompt, options, on_token);
      if (sink_error) return *sink_error;
      if (!out.ok()) return std::move(out).error();
      generated = std::move(*out);
      if (generated.finish_reason != "stop" || !has_stop) {
        std::string rest = decoder.finish();
        choice.text += rest;
        if (!emit(rest, {})) return *sink_error;
      }
    }
    choice.finish_reason = generated.finish_reason.empty() ? "stop" : generated.finish_reason;
    if (!emit({}, choice.finish_reason)) return *sink_error;
    GenerateResult result;
    result.choices.push_back(std::move(choice));
    result.usage.prompt_tokens = static_cast<int64_t>(prompt.size());
    result.usage.completion_tokens = static_cast<int64_t>(generated.tokens.size());
    return result;
  }

  EngineSettings s_;
  std::shared_ptr<const engine::Model> model_;
  tokenizer::Tokenizer tok_;
  std::optional<tokenizer::ChatTemplate> tpl_;
  tokenizer::ChatTemplateOptions tpl_options_;
  std::unique_ptr<engine::Context> ctx_;  // used by the worker thread only (after construction)
  std::shared_ptr<const engine::structured::TokenVocabulary> vocab_;  // worker only, built on first use
  Capabilities caps_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  size_t admitted_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

Result<std::unique_ptr<Backend>> make_engine(const BackendContext& context) {
  OCCAM_ASSIGN_OR_RETURN(EngineSettings settings, read_settings(context));
  auto model = engine::Model::load(settings.path);
  if (!model.ok()) return std::move(model).error().with_context(fmt::format("model {}", context.model_name));
  auto tok = tokenizer::Tokenizer::from_gguf((*model)->file());
  if (!tok.ok()) return std::move(tok).error().with_context("tokenizer");
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
  auto ctx = engine::Context::create(*model, ctx_options);
  if (!ctx.ok()) return std::move(ctx).error();
  return std::unique_ptr<Backend>(std::make_unique<EngineBackend>(std::move(settings), std::move(*model),
                                                                   std::move(*tok), std::move(tpl), std::move(*ctx)));
}

}  // namespace

OCCAM_REGISTER_BACKEND(engine, make_engine, "path", "threads", "context", "max_queue");

}  // namespace occam::backends
