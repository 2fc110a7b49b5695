// Continuous batching for the engine backend: one worker thread owns an engine Context with one KV slot
// per running sequence, and every engine step decodes one token of every running sequence in a single
// decode() call (each weight matrix is read once for all of them). New requests wait in a bounded queue,
// take a free slot, and have their prompt prefilled in chunks inside the same steps (so a long prompt
// delays the others by at most prefill_chunk tokens per step); finished or cancelled sequences leave and
// free their slot at once. Sampling, stop strings and grammar constraints are per sequence, so the text
// of a sequence does not depend on what it was batched with (tests/backends/engine_scheduler_test.cpp).
//
//   auto s = EngineScheduler::create(model, tok, {.n_ctx = 512, .threads = 2}, {.max_sequences = 8});
//   auto control = (*s)->submit(spec, {.on_text = ..., .on_done = ...});   // resource_exhausted: 429
//
// Callbacks run on the worker thread and must not block; a consumer that needs time (a socket write)
// calls control.hold() in on_text and release() when done: the sequence skips steps meanwhile, the
// others go on.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "backends/backend.h"
#include "core/error.h"
#include "engine/engine.h"
#include "engine/structured_output.h"
#include "tokenizer/tokenizer.h"

namespace occam::backends {

struct SchedulerOptions {
  uint32_t max_sequences = 4;   // sequences decoded together (KV slots of the context)
  size_t max_queue = 16;        // requests waiting for a slot; one more is refused (resource_exhausted)
  uint32_t prefill_chunk = 64;  // prompt tokens per step, over all sequences being prefilled
};

struct SequenceSpec {
  std::vector<int32_t> prompt;
  engine::SamplerParams sampling;
  int max_tokens = 128;
  std::vector<std::string> stop;                               // ignored with a grammar
  std::shared_ptr<const engine::structured::Grammar> grammar;  // constrained answer (JSON schema)
};

struct SequenceOutput {
  std::string text;             // the answer (stop string cut off)
  std::vector<int32_t> tokens;  // generated tokens, end token excluded
  std::string finish_reason;    // "stop" (end token, stop string, grammar complete) or "length"
};

// The owner's handle on a submitted sequence; every method is thread-safe.
class SequenceControl {
 public:
  struct Shared;  // the scheduler's lock and wake-up
  explicit SequenceControl(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

  // The sequence leaves the batch (its slot is freed) at the next step; on_done gets an `unavailable`
  // error "cancelled". No effect once on_done ran.
  void cancel();
  // While held, the sequence is neither stepped nor finished (its delta is still being written).
  void hold();
  void release();

 private:
  friend class EngineScheduler;
  std::shared_ptr<Shared> shared_;
  bool cancelled_ = false;  // guarded by Shared::mutex
  bool held_ = false;
};

struct SequenceEvents {
  // Text that became safe to stream (UTF-8 characters whole, possible stop-string starts held back).
  std::function<void(std::string_view piece, const std::shared_ptr<SequenceControl>& control)> on_text;
  // Once, after the last on_text, never while held.
  std::function<void(Result<SequenceOutput>)> on_done;
};

struct SchedulerStats {
  uint64_t steps = 0;           // decode() calls
  uint64_t decoded_tokens = 0;  // sampled tokens fed back (one per running sequence and step)
  uint64_t prefill_tokens = 0;
  uint32_t max_running = 0;  // most sequences that shared one step
};

class EngineScheduler {
 public:
  // context.n_seq is set to options.max_sequences (n_ctx is per sequence).
  static Result<std::unique_ptr<EngineScheduler>> create(std::shared_ptr<const engine::Model> model,
                                                         std::shared_ptr<const tokenizer::Tokenizer> tok,
                                                         engine::ContextOptions context,
                                                         const SchedulerOptions& options);
  ~EngineScheduler();  // sequences still running or waiting are dropped (no on_done)

  // resource_exhausted when max_sequences run and max_queue wait already.
  Result<std::shared_ptr<SequenceControl>> submit(SequenceSpec spec, SequenceEvents events);
  // Encoder models: pooled embeddings of each input, computed between steps, under the same bound.
  Status submit_embedding(std::vector<std::vector<int32_t>> inputs,
                          std::function<void(Result<EmbeddingResult>)> on_done);

  // While the returned guard lives, the worker starts no new step: requests submitted meanwhile start
  // together (a group of jobs; tests that count steps).
  class Pause {
   public:
    explicit Pause(EngineScheduler* s);
    ~Pause();
    Pause(const Pause&) = delete;
    Pause& operator=(const Pause&) = delete;

   private:
    EngineScheduler* s_;
  };
  Pause pause() { return Pause(this); }

  uint32_t n_ctx() const;
  SchedulerStats stats() const;

 private:
  struct Waiting {
    SequenceSpec spec;
    SequenceEvents events;
    std::shared_ptr<SequenceControl> control;
  };
  struct EmbeddingJob {
    std::vector<std::vector<int32_t>> inputs;
    std::function<void(Result<EmbeddingResult>)> on_done;
  };
  struct Running;
  EngineScheduler(std::shared_ptr<const tokenizer::Tokenizer> tok, std::unique_ptr<engine::Context> ctx,
                  const SchedulerOptions& options);

  void work();
  bool has_work_locked() const;
  void admit_locked();
  void gather_locked(std::unique_lock<std::mutex>& lock);
  void run_embedding(EmbeddingJob& job);
  Status start(Running& r);
  void step();
  void sample(Running& r, std::span<const float> logits);
  void finish(Running& r, const char* reason, std::string& piece);
  void retire_finished();

  std::shared_ptr<const tokenizer::Tokenizer> tok_;
  std::unique_ptr<engine::Context> ctx_;  // worker thread only
  SchedulerOptions options_;
  std::shared_ptr<const engine::structured::TokenVocabulary> vocab_;  // worker only, built on first use
  std::shared_ptr<SequenceControl::Shared> shared_;
  uint64_t steps_done_ = 0;                          // worker only
  std::chrono::steady_clock::duration last_step_{};  // worker only: the last decode's time

  // Guarded by shared_->mutex.
  std::deque<Waiting> waiting_;
  std::deque<EmbeddingJob> embeddings_;
  std::vector<std::unique_ptr<Running>> running_;  // index = KV slot; null = free
  size_t n_running_ = 0;
  bool stopping_ = false;
  int paused_ = 0;
  SchedulerStats stats_;

  std::thread worker_;
};

}  // namespace occam::backends
