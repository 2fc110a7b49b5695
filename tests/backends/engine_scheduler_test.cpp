// The engine backend's batch scheduler on stories260K: concurrent greedy sequences give exactly the text
// each gives alone through Context::generate (batching changes nothing), the batch is really formed (far
// fewer engine steps than tokens), late requests join a running batch, the bounded queue refuses with
// resource_exhausted, cancellation frees the slot, and stop strings / max_tokens apply per sequence.
#include "backends/engine_scheduler.h"

#include <condition_variable>
#include <mutex>
#include <optional>

#include <gtest/gtest.h>

#include "test_support.h"

namespace occam::backends {
namespace {

constexpr uint32_t kContext = 256;

struct Fixture {
  std::shared_ptr<const engine::Model> model;
  std::shared_ptr<const tokenizer::Tokenizer> tok;
};

const Fixture& stories() {
  static const Fixture f = [] {
    auto model = engine::Model::load(occam::testing::shared_file("models/stories260K.gguf"));
    EXPECT_TRUE(model.ok());
    auto tok = tokenizer::Tokenizer::from_gguf((*model)->file());
    EXPECT_TRUE(tok.ok());
    return Fixture{*model, std::make_shared<const tokenizer::Tokenizer>(std::move(*tok))};
  }();
  return f;
}

std::unique_ptr<EngineScheduler> make_scheduler(const SchedulerOptions& options) {
  auto s =
      EngineScheduler::create(stories().model, stories().tok, {.n_ctx = kContext, .threads = 1}, options);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? std::move(*s) : nullptr;
}

SequenceSpec greedy(std::string_view prompt, int max_tokens, std::vector<std::string> stop = {}) {
  SequenceSpec spec;
  spec.prompt = stories().tok->encode(prompt, {.add_special = true});
  spec.sampling.temperature = 0;
  spec.max_tokens = max_tokens;
  spec.stop = std::move(stop);
  return spec;
}

// The same sequence alone, through the engine's own single-sequence loop.
SequenceOutput alone(const SequenceSpec& spec) {
  auto ctx = engine::Context::create(stories().model, {.n_ctx = kContext, .threads = 1});
  EXPECT_TRUE(ctx.ok());
  tokenizer::StreamDecoder decoder(*stories().tok, /*unparse_special=*/false);
  engine::GenerateOptions options;
  options.sampling = spec.sampling;
  options.max_tokens = spec.max_tokens;
  options.stop = spec.stop;
  options.token_text = [&decoder](int32_t id) { return decoder.push(id); };
  auto out = (*ctx)->generate(spec.prompt, options);
  EXPECT_TRUE(out.ok()) << out.error().message();
  std::string text = out->text;
  if (out->finish_reason != "stop" || spec.stop.empty()) text += decoder.finish();
  return SequenceOutput{text, out->tokens, out->finish_reason};
}

// Collects one sequence's streamed pieces and its result; optionally holds it at its n-th piece (as the
// gateway does while a client is slow).
class Collector {
 public:
  explicit Collector(int hold_at = 0) : hold_at_(hold_at) {}

  SequenceEvents events() {
    SequenceEvents e;
    e.on_text = [this](std::string_view piece, const std::shared_ptr<SequenceControl>& control) {
      std::lock_guard lock(mutex_);
      streamed_ += piece;
      ++pieces_;
      if (pieces_ == hold_at_) {
        held_ = control;
        control->hold();
      }
      changed_.notify_all();
    };
    e.on_done = [this](Result<SequenceOutput> out) {
      std::lock_guard lock(mutex_);
      result_.emplace(std::move(out));
      changed_.notify_all();
    };
    return e;
  }

  const Result<SequenceOutput>& wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return result_.has_value(); });
    return *result_;
  }
  std::shared_ptr<SequenceControl> held() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return held_ != nullptr; });
    return held_;
  }
  bool done() {
    std::lock_guard lock(mutex_);
    return result_.has_value();
  }
  std::string streamed() {
    std::lock_guard lock(mutex_);
    return streamed_;
  }

 private:
  int hold_at_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string streamed_;
  int pieces_ = 0;
  std::shared_ptr<SequenceControl> held_;
  std::optional<Result<SequenceOutput>> result_;
};

const std::vector<std::string> kPrompts = {
    "Once upon a time",     "Lily wanted to",       "The little dog", "One day, a girl named Sue",
    "Tom and his mom went", "There was a big tree", "The sun was",    "A bird flew",
};

void expect_same(const SequenceOutput& got, const SequenceOutput& want, const std::string& label) {
  EXPECT_EQ(got.text, want.text) << label;
  EXPECT_EQ(got.tokens, want.tokens) << label;
  EXPECT_EQ(got.finish_reason, want.finish_reason) << label;
}

TEST(EngineScheduler, ConcurrentGreedySequencesMatchTheirSoloRuns) {
  auto scheduler = make_scheduler({.max_sequences = 8, .max_queue = 8, .prefill_chunk = 64});
  ASSERT_NE(scheduler, nullptr);
  constexpr int kTokens = 32;
  std::vector<std::unique_ptr<Collector>> collectors;
  {
    auto together = scheduler->pause();  // all eight arrive before the first step, however loaded the machine
    for (const std::string& prompt : kPrompts) {
      collectors.push_back(std::make_unique<Collector>());
      ASSERT_TRUE(scheduler->submit(greedy(prompt, kTokens), collectors.back()->events()).ok());
    }
  }
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    const auto& got = collectors[i]->wait();
    ASSERT_TRUE(got.ok()) << got.error().message();
    expect_same(*got, alone(greedy(kPrompts[i], kTokens)), kPrompts[i]);
    EXPECT_EQ(collectors[i]->streamed(), got->text) << kPrompts[i];
  }
  // One step per token for the whole batch (plus the prefill), not one per token and sequence.
  const SchedulerStats stats = scheduler->stats();
  EXPECT_EQ(stats.max_running, 8u);
  EXPECT_LE(stats.steps, static_cast<uint64_t>(kTokens + 4)) << "8 sequences x 32 tokens";
  EXPECT_GE(stats.decoded_tokens, 8u * (kTokens - 1) - 8u * 2);  // EOS may end a sequence early
}

TEST(EngineScheduler, LateRequestsJoinTheRunningBatchWithChunkedPrefill) {
  // A 4-token prefill budget: the late prompts are prefilled over several steps while the first ones
  // keep decoding.
  auto scheduler = make_scheduler({.max_sequences = 4, .max_queue = 4, .prefill_chunk = 4});
  ASSERT_NE(scheduler, nullptr);
  std::vector<std::unique_ptr<Collector>> collectors;
  {
    auto together = scheduler->pause();
    for (size_t i = 0; i < 4; ++i) {
      // The last one pauses at its 6th piece until the late ones are in: it is still running then.
      collectors.push_back(std::make_unique<Collector>(i == 3 ? 6 : 0));
      // The first two finish early and leave; the late two take their slots while the others run.
      ASSERT_TRUE(scheduler->submit(greedy(kPrompts[i], i < 2 ? 8 : 40), collectors.back()->events()).ok());
    }
  }
  Collector* held = collectors[3].get();
  collectors[0]->wait();
  collectors[1]->wait();
  ASSERT_FALSE(held->done());
  for (size_t i = 4; i < 6; ++i) {
    collectors.push_back(std::make_unique<Collector>());
    ASSERT_TRUE(scheduler->submit(greedy(kPrompts[i], 24), collectors.back()->events()).ok());
  }
  held->held()->release();
  for (size_t i = 0; i < collectors.size(); ++i) {
    const auto& got = collectors[i]->wait();
    ASSERT_TRUE(got.ok()) << got.error().message();
    expect_same(*got, alone(greedy(kPrompts[i], i < 2 ? 8 : i < 4 ? 40 : 24)), kPrompts[i]);
  }
  EXPECT_EQ(scheduler->stats().max_running, 4u);
}

TEST(EngineScheduler, FullQueueIsRefusedAtOnce) {
  auto scheduler = make_scheduler({.max_sequences = 1, .max_queue = 1, .prefill_chunk = 64});
  ASSERT_NE(scheduler, nullptr);
  Collector running(/*hold_at=*/1), queued;
  ASSERT_TRUE(scheduler->submit(greedy(kPrompts[0], 64), running.events()).ok());
  ASSERT_TRUE(scheduler->submit(greedy(kPrompts[1], 8), queued.events()).ok());
  Collector refused;
  auto third = scheduler->submit(greedy(kPrompts[2], 8), refused.events());
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code(), ErrorCode::resource_exhausted);
  EXPECT_FALSE(refused.done());
  running.held()->release();
  EXPECT_TRUE(running.wait().ok());
  EXPECT_TRUE(queued.wait().ok());
  // The bound is released once the requests are done.
  Collector later;
  ASSERT_TRUE(scheduler->submit(greedy(kPrompts[2], 8), later.events()).ok());
  EXPECT_TRUE(later.wait().ok());
}

TEST(EngineScheduler, CancellationFreesTheSlot) {
  auto scheduler = make_scheduler({.max_sequences = 1, .max_queue = 1, .prefill_chunk = 64});
  ASSERT_NE(scheduler, nullptr);
  Collector cancelled(/*hold_at=*/1), next;
  ASSERT_TRUE(scheduler->submit(greedy(kPrompts[0], 200), cancelled.events()).ok());
  ASSERT_TRUE(scheduler->submit(greedy(kPrompts[1], 16), next.events()).ok());
  std::shared_ptr<SequenceControl> control = cancelled.held();
  EXPECT_FALSE(next.done());  // the only slot is taken
  control->cancel();
  control->release();
  const auto& gone = cancelled.wait();
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code(), ErrorCode::unavailable);
  const auto& got = next.wait();
  ASSERT_TRUE(got.ok()) << got.error().message();
  expect_same(*got, alone(greedy(kPrompts[1], 16)), "after the cancelled one");
}

TEST(EngineScheduler, StopStringsAndMaxTokensArePerSequence) {
  // A stop string taken from the middle of the greedy continuation itself.
  const SequenceOutput free_run = alone(greedy(kPrompts[0], 40));
  ASSERT_GT(free_run.text.size(), 30u);
  const std::string stop = free_run.text.substr(20, 4);
  auto scheduler = make_scheduler({.max_sequences = 4, .max_queue = 4, .prefill_chunk = 64});
  ASSERT_NE(scheduler, nullptr);
  const std::vector<SequenceSpec> specs = {greedy(kPrompts[0], 40, {stop}), greedy(kPrompts[0], 5),
                                           greedy(kPrompts[0], 40), greedy(kPrompts[1], 40, {"zzz", stop})};
  std::vector<std::unique_ptr<Collector>> collectors;
  for (const SequenceSpec& spec : specs) {
    collectors.push_back(std::make_unique<Collector>());
    ASSERT_TRUE(scheduler->submit(spec, collectors.back()->events()).ok());
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& got = collectors[i]->wait();
    ASSERT_TRUE(got.ok()) << got.error().message();
    expect_same(*got, alone(specs[i]), fmt::format("sequence {}", i));
    EXPECT_EQ(collectors[i]->streamed(), got->text) << i;  // the stop string never reached the stream
  }
  EXPECT_EQ(collectors[0]->wait()->finish_reason, "stop");
  EXPECT_EQ(collectors[0]->wait()->text, free_run.text.substr(0, free_run.text.find(stop)));
  EXPECT_EQ(collectors[1]->wait()->tokens.size(), 5u);
  EXPECT_EQ(collectors[1]->wait()->finish_reason, "length");
}

TEST(EngineScheduler, RefusesBadSequences) {
  auto scheduler = make_scheduler({.max_sequences = 1, .max_queue = 1, .prefill_chunk = 64});
  ASSERT_NE(scheduler, nullptr);
  Collector c;
  EXPECT_EQ(scheduler->submit(SequenceSpec{}, c.events()).error().code(), ErrorCode::invalid_argument);
  SequenceSpec too_long = greedy(kPrompts[0], 4);
  too_long.prompt.resize(kContext, too_long.prompt.back());
  EXPECT_EQ(scheduler->submit(too_long, c.events()).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(scheduler->submit(greedy(kPrompts[0], 4, {""}), c.events()).error().code(),
            ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace occam::backends
