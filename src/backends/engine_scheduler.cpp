#include "backends/engine_scheduler.h"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>

#include "engine/stop_strings.h"

namespace occam::backends {

struct SequenceControl::Shared {
  std::mutex mutex;
  std::condition_variable wake;
};

void SequenceControl::cancel() {
  std::lock_guard lock(shared_->mutex);
  cancelled_ = true;
  shared_->wake.notify_one();
}

void SequenceControl::hold() {
  std::lock_guard lock(shared_->mutex);
  held_ = true;
}

void SequenceControl::release() {
  std::lock_guard lock(shared_->mutex);
  held_ = false;
  shared_->wake.notify_one();
}

// A sequence in a KV slot. Worker thread only (not moved: the filter and the mask point into it).
struct EngineScheduler::Running {
  Running(Waiting w, int32_t slot_, const tokenizer::Tokenizer& tok, int32_t n_vocab)
      : spec(std::move(w.spec)),
        events(std::move(w.events)),
        control(std::move(w.control)),
        slot(slot_),
        sampler(spec.sampling, n_vocab),
        decoder(tok, /*unparse_special=*/false),
        filter(&spec.stop),
        pos(static_cast<int32_t>(spec.prompt.size())) {}

  SequenceSpec spec;
  SequenceEvents events;
  std::shared_ptr<SequenceControl> control;
  int32_t slot;
  engine::Sampler sampler;
  tokenizer::StreamDecoder decoder;  // unconstrained answers
  std::unique_ptr<engine::structured::ConstrainedDecoder> constrained;
  engine::StopStringFilter filter;
  bool started = false;
  size_t prefilled = 0;  // prompt tokens in the cache
  int32_t pos;           // position of `next`
  int32_t next = -1;     // the sampled token to decode at the next step
  std::vector<int32_t> tokens;
  std::optional<Result<SequenceOutput>> result;  // set: finished, leaves once not held
  uint64_t streamed_at = 0;                      // the step whose piece it streamed last (1-based; 0: none)
  bool held = false;                             // snapshot of the control at the start of the step
  bool cancelled = false;                        // idem
};

Result<std::unique_ptr<EngineScheduler>> EngineScheduler::create(
    std::shared_ptr<const engine::Model> model, std::shared_ptr<const tokenizer::Tokenizer> tok,
    engine::ContextOptions context, const SchedulerOptions& options) {
  if (options.max_sequences == 0)
    return make_error(ErrorCode::invalid_argument, "max_sequences: must be ≥ 1");
  if (options.prefill_chunk == 0)
    return make_error(ErrorCode::invalid_argument, "prefill_chunk: must be ≥ 1");
  context.n_seq = options.max_sequences;
  OCCAM_ASSIGN_OR_RETURN(std::unique_ptr<engine::Context> ctx,
                         engine::Context::create(std::move(model), context));
  return std::unique_ptr<EngineScheduler>(new EngineScheduler(std::move(tok), std::move(ctx), options));
}

EngineScheduler::EngineScheduler(std::shared_ptr<const tokenizer::Tokenizer> tok,
                                 std::unique_ptr<engine::Context> ctx, const SchedulerOptions& options)
    : tok_(std::move(tok)),
      ctx_(std::move(ctx)),
      options_(options),
      shared_(std::make_shared<SequenceControl::Shared>()),
      running_(options.max_sequences) {
  worker_ = std::thread([this] { work(); });
}

EngineScheduler::~EngineScheduler() {
  {
    std::lock_guard lock(shared_->mutex);
    stopping_ = true;
  }
  shared_->wake.notify_all();
  worker_.join();
  if (stats_.steps > 0) {
    spdlog::info(
        "engine scheduler: {} steps, {} decoded tokens ({:.2f} per step), {} prefill tokens, at most {} "
        "together",
        stats_.steps, stats_.decoded_tokens,
        static_cast<double>(stats_.decoded_tokens) / static_cast<double>(stats_.steps), stats_.prefill_tokens,
        stats_.max_running);
  }
  // Sequences still here are dropped without a call: their owners' executors may be gone already (the
  // server drains requests before it destroys its backends).
}

EngineScheduler::Pause::Pause(EngineScheduler* s) : s_(s) {
  std::lock_guard lock(s_->shared_->mutex);
  ++s_->paused_;
}

EngineScheduler::Pause::~Pause() {
  {
    std::lock_guard lock(s_->shared_->mutex);
    --s_->paused_;
  }
  s_->shared_->wake.notify_one();
}

uint32_t EngineScheduler::n_ctx() const {
  return ctx_->n_ctx();
}

SchedulerStats EngineScheduler::stats() const {
  std::lock_guard lock(shared_->mutex);
  return stats_;
}

Result<std::shared_ptr<SequenceControl>> EngineScheduler::submit(SequenceSpec spec, SequenceEvents events) {
  if (spec.prompt.empty()) return make_error(ErrorCode::invalid_argument, "prompt: empty");
  if (spec.prompt.size() >= ctx_->n_ctx()) {
    return make_error(ErrorCode::invalid_argument, "prompt: {} tokens, the context holds {}",
                      spec.prompt.size(), ctx_->n_ctx());
  }
  for (const std::string& stop : spec.stop) {
    if (stop.empty()) return make_error(ErrorCode::invalid_argument, "stop: empty string");
  }
  auto control = std::make_shared<SequenceControl>(shared_);
  {
    std::lock_guard lock(shared_->mutex);
    if (stopping_) return make_error(ErrorCode::unavailable, "engine scheduler: shutting down");
    const size_t admitted = n_running_ + waiting_.size() + embeddings_.size();
    if (admitted >= options_.max_sequences + options_.max_queue) {
      return make_error(ErrorCode::resource_exhausted, "{} sequences running and {} waiting (max_queue {})",
                        n_running_, waiting_.size() + embeddings_.size(), options_.max_queue);
    }
    waiting_.push_back(Waiting{std::move(spec), std::move(events), control});
  }
  shared_->wake.notify_one();
  return control;
}

Status EngineScheduler::submit_embedding(std::vector<std::vector<int32_t>> inputs,
                                         std::function<void(Result<EmbeddingResult>)> on_done) {
  {
    std::lock_guard lock(shared_->mutex);
    if (stopping_) return make_error(ErrorCode::unavailable, "engine scheduler: shutting down");
    if (n_running_ + waiting_.size() + embeddings_.size() >= options_.max_sequences + options_.max_queue) {
      return make_error(ErrorCode::resource_exhausted, "{} requests waiting (max_queue {})",
                        waiting_.size() + embeddings_.size(), options_.max_queue);
    }
    embeddings_.push_back(EmbeddingJob{std::move(inputs), std::move(on_done)});
  }
  shared_->wake.notify_one();
  return ok_status();
}

bool EngineScheduler::has_work_locked() const {
  if (paused_ > 0) return false;
  if (!embeddings_.empty()) return true;
  if (!waiting_.empty() && n_running_ < options_.max_sequences) return true;
  // A held sequence waits for its consumer; any other one can be stepped or retired.
  return std::any_of(running_.begin(), running_.end(), [](const auto& r) { return r && !r->control->held_; });
}

void EngineScheduler::admit_locked() {
  const auto n_vocab = static_cast<int32_t>(ctx_->model().info().n_vocab);
  for (size_t slot = 0; slot < running_.size() && !waiting_.empty(); ++slot) {
    if (running_[slot]) continue;
    running_[slot] =
        std::make_unique<Running>(std::move(waiting_.front()), static_cast<int32_t>(slot), *tok_, n_vocab);
    waiting_.pop_front();
    ++n_running_;
  }
}

void EngineScheduler::work() {
  for (;;) {
    std::optional<EmbeddingJob> job;
    {
      std::unique_lock lock(shared_->mutex);
      shared_->wake.wait(lock, [this] { return stopping_ || has_work_locked(); });
      if (stopping_) return;
      gather_locked(lock);
      admit_locked();
      for (auto& r : running_) {
        if (!r) continue;
        r->held = r->control->held_;
        r->cancelled = r->control->cancelled_;
      }
      if (!embeddings_.empty()) {
        job.emplace(std::move(embeddings_.front()));
        embeddings_.pop_front();
      }
    }
    if (job) run_embedding(*job);
    step();
    retire_finished();
  }
}

// Sequences that streamed a piece in the last step are held until the client took it, which usually
// takes less than a step: waiting for them (at most one step's time) keeps them in the same batch instead
// of splitting it into steps of one sequence each. A slow client is waited for once, not at every step.
void EngineScheduler::gather_locked(std::unique_lock<std::mutex>& lock) {
  const auto just_streamed = [this] {
    return std::any_of(running_.begin(), running_.end(), [this](const auto& r) {
      return r && !r->result && r->control->held_ && r->streamed_at == steps_done_;
    });
  };
  if (steps_done_ == 0 || !just_streamed()) return;
  const auto bound = std::min(last_step_, std::chrono::steady_clock::duration(std::chrono::milliseconds(2)));
  shared_->wake.wait_for(lock, bound, [&] { return stopping_ || !just_streamed(); });
}

void EngineScheduler::run_embedding(EmbeddingJob& job) {
  EmbeddingResult out;
  for (const auto& ids : job.inputs) {
    auto v = ctx_->embed(ids);
    if (!v.ok()) {
      job.on_done(std::move(v).error());
      return;
    }
    out.vectors.push_back(std::move(*v));
    out.usage.prompt_tokens += static_cast<int64_t>(ids.size());
  }
  job.on_done(std::move(out));
}

// First step of a sequence: a fresh slot, the prompt counted by the penalties (as Context::generate
// does), and the grammar's mask when the answer is constrained.
Status EngineScheduler::start(Running& r) {
  r.started = true;
  ctx_->clear(r.slot);
  for (int32_t t : r.spec.prompt) r.sampler.accept(t);
  if (!r.spec.grammar) return ok_status();
  if (!vocab_) {
    OCCAM_ASSIGN_OR_RETURN(vocab_, engine::structured::TokenVocabulary::for_model(ctx_->model()));
  }
  r.constrained = std::make_unique<engine::structured::ConstrainedDecoder>(r.spec.grammar, vocab_);
  r.sampler.set_mask(r.constrained->mask());
  r.spec.stop.clear();  // the grammar decides where the answer ends
  // Every token carries at least one byte, so the grammar's byte bound (+ the end token) is enough.
  const uint64_t bound = engine::structured::max_bytes(*r.spec.grammar) + 1;
  if (static_cast<uint64_t>(r.spec.max_tokens) > bound) r.spec.max_tokens = static_cast<int>(bound);
  return ok_status();
}

void EngineScheduler::step() {
  engine::Batch batch;
  std::vector<Running*> sampled;  // in the order of their logits rows
  std::vector<Running*> in_batch;
  uint32_t budget = options_.prefill_chunk;
  SchedulerStats delta;
  for (auto& slot : running_) {
    Running* r = slot.get();
    if (r == nullptr || r->held || r->result) continue;
    if (r->cancelled) {
      r->result = make_error(ErrorCode::unavailable, "cancelled");
      continue;
    }
    if (!r->started) {
      if (Status st = start(*r); !st.ok()) {
        r->result = std::move(st).error();
        continue;
      }
      if (r->spec.max_tokens <= 0) {
        r->result = SequenceOutput{.text = {}, .tokens = {}, .finish_reason = "length"};
        continue;
      }
    }
    const size_t n_prompt = r->spec.prompt.size();
    if (r->prefilled < n_prompt) {
      if (budget == 0) continue;
      const size_t n = std::min<size_t>(budget, n_prompt - r->prefilled);
      for (size_t i = r->prefilled; i < r->prefilled + n; ++i) {
        batch.add(r->spec.prompt[i], static_cast<int32_t>(i), r->slot, i + 1 == n_prompt);
      }
      r->prefilled += n;
      budget -= static_cast<uint32_t>(n);
      delta.prefill_tokens += n;
      if (r->prefilled == n_prompt) sampled.push_back(r);
    } else {
      batch.add(r->next, r->pos++, r->slot, true);
      ++delta.decoded_tokens;
      sampled.push_back(r);
    }
    in_batch.push_back(r);
  }
  if (batch.empty()) return;
  const auto started = std::chrono::steady_clock::now();
  if (Status st = ctx_->decode(batch); !st.ok()) {
    for (Running* r : in_batch) r->result = st.error();
    return;
  }
  last_step_ = std::chrono::steady_clock::now() - started;
  ++steps_done_;
  delta.steps = 1;
  for (size_t i = 0; i < sampled.size(); ++i) sample(*sampled[i], ctx_->logits(i));
  std::lock_guard lock(shared_->mutex);
  stats_.steps += delta.steps;
  stats_.decoded_tokens += delta.decoded_tokens;
  stats_.prefill_tokens += delta.prefill_tokens;
  stats_.max_running = std::max(stats_.max_running, static_cast<uint32_t>(in_batch.size()));
}

// One token of one sequence, with the checks of Context::generate in its order: end token, stop
// string, grammar complete, context full, max_tokens. At most one on_text per step and sequence (the
// consumer may still be writing the previous piece otherwise).
void EngineScheduler::sample(Running& r, std::span<const float> logits) {
  const int32_t token = r.sampler.sample(logits);
  if (token < 0) {
    r.result = make_error(ErrorCode::invalid_argument, "the token mask forbids every token");
    return;
  }
  r.sampler.accept(token);
  if (r.constrained && !r.constrained->accept(token)) {
    r.result =
        make_error(ErrorCode::internal, "structured generate: the sampler picked a token the mask forbids");
    return;
  }
  std::string piece;
  const auto& ends = ctx_->model().info().end_tokens;
  if (std::find(ends.begin(), ends.end(), token) != ends.end()) {
    finish(r, "stop", piece);
  } else {
    r.tokens.push_back(token);
    piece = r.filter.push(r.constrained ? std::string(vocab_->piece(token)) : r.decoder.push(token));
    if (r.filter.stopped() || (r.constrained && r.constrained->finished())) {
      finish(r, "stop", piece);
    } else if (static_cast<uint32_t>(r.pos) >= ctx_->n_ctx() ||
               r.tokens.size() >= static_cast<size_t>(r.spec.max_tokens)) {
      finish(r, "length", piece);
    } else {
      r.next = token;
    }
  }
  if (!piece.empty() && r.events.on_text) {
    r.streamed_at = steps_done_;
    r.events.on_text(piece, r.control);
  }
}

// The end of a sequence: what the decoder and the stop-string filter still held goes out with the
// last piece. A constrained answer is "stop" exactly when it is complete.
void EngineScheduler::finish(Running& r, const char* reason, std::string& piece) {
  if (!r.filter.stopped()) {
    if (!r.constrained) piece += r.filter.push(r.decoder.finish());
    piece += r.filter.release();
  }
  SequenceOutput out;
  out.text = r.filter.take_text();
  out.tokens = std::move(r.tokens);
  out.finish_reason = r.constrained ? (r.constrained->complete() ? "stop" : "length") : reason;
  r.result = std::move(out);
}

void EngineScheduler::retire_finished() {
  std::vector<std::unique_ptr<Running>> done;
  {
    std::lock_guard lock(shared_->mutex);
    for (auto& slot : running_) {
      if (!slot || !slot->result || slot->control->held_) continue;
      done.push_back(std::move(slot));
      --n_running_;
    }
  }
  for (auto& r : done) {
    ctx_->clear(r->slot);
    if (r->events.on_done) r->events.on_done(std::move(*r->result));
  }
}

}  // namespace occam::backends
