// The embedded SLM engine: loads a GGUF model (weights stay in the file mapping), runs its graph on
// the CPU with a per-sequence KV cache, and generates or embeds.
//
//   OCCAM_ASSIGN_OR_RETURN(auto model, engine::Model::load("qwen2.5-0.5b-q4_k_m.gguf"));
//   OCCAM_ASSIGN_OR_RETURN(auto ctx, engine::Context::create(model, {.n_ctx = 2048, .threads = 2}));
//   engine::Batch batch;
//   for (int i = 0; i < n; ++i) batch.add(ids[i], /*pos=*/i, /*seq=*/0, /*logits=*/i == n - 1);
//   OCCAM_TRY(ctx->decode(batch));
//   std::span<const float> last = ctx->logits(0);   // the first (here: only) requested row
//
// Several sequences (KV slots 0..n_seq-1) can share one decode() call: each weight matrix is then
// read once for all of them. Architectures are found by `general.architecture` in a registry.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "engine/sampler.h"

namespace occam::gguf {
class File;
}

namespace occam::engine {

struct ModelInfo {
  std::string architecture;  // general.architecture
  std::string name;          // general.name ("" when absent)
  uint32_t n_vocab = 0;
  uint32_t n_embd = 0;
  uint32_t n_layer = 0;
  uint32_t n_head = 0;
  uint32_t n_head_kv = 0;
  uint32_t n_ctx_train = 0;
  bool is_encoder = false;   // bert: embed() only, no decode()/generate()
  int32_t bos_token = -1;    // -1 when the file has none
  int32_t eos_token = -1;
  std::vector<int32_t> end_tokens;  // EOS, EOT: generation stops on any of them
  uint64_t file_bytes = 0;
  uint64_t parameter_count = 0;
};

struct ModelOptions {
  bool populate = false;  // pre-fault the mapping (MAP_POPULATE) instead of paging lazily
};

class ModelImpl;

class Model {
 public:
  // Maps, validates hyperparameters and every tensor's presence and shape. Errors name the file,
  // the tensor (expected vs actual shape) or the unknown architecture.
  static Result<std::shared_ptr<const Model>> load(const std::filesystem::path& path,
                                                   const ModelOptions& options = {});
  ~Model();

  const ModelInfo& info() const;
  const gguf::File& file() const;  // metadata access for the tokenizer / chat template
  const ModelImpl& impl() const { return *impl_; }

  // Names of every registered architecture, sorted.
  static std::vector<std::string> architectures();

 private:
  explicit Model(std::unique_ptr<ModelImpl> impl);
  std::unique_ptr<ModelImpl> impl_;
};

enum class KvType { f32, f16 };

struct ContextOptions {
  uint32_t n_ctx = 0;      // positions per sequence; 0 = min(model's training context, 4096)
  uint32_t n_seq = 1;      // KV slots (concurrent sequences)
  uint32_t n_ubatch = 512; // tokens per forward pass; longer batches are split
  int threads = 0;         // 0 = hardware concurrency
  KvType kv_type = KvType::f16;
};

// One decode() call: entries (token, position, sequence slot, whether its logits are wanted).
class Batch {
 public:
  void add(int32_t token, int32_t pos, int32_t seq, bool logits);
  void clear();
  size_t size() const { return tokens_.size(); }
  bool empty() const { return tokens_.empty(); }
  std::span<const int32_t> tokens() const { return tokens_; }
  std::span<const int32_t> positions() const { return pos_; }
  std::span<const int32_t> seqs() const { return seq_; }
  std::span<const uint8_t> wants_logits() const { return logits_; }

 private:
  std::vector<int32_t> tokens_, pos_, seq_;
  std::vector<uint8_t> logits_;
};

struct Generated {
  std::vector<int32_t> tokens;
  std::string text;              // only when GenerateOptions::token_text is set
  std::string finish_reason;     // "stop" (EOS or stop string), "length"
  int n_prompt = 0;
  double prompt_seconds = 0;     // prefill wall time
  double decode_seconds = 0;
};

// Per generated token: its id, its text piece ("" without token_text), and the log-probabilities
// (when SamplerParams::n_logprobs > 0). Return false to stop. A final call with token -1 releases text
// held back while it could have been the start of a stop string.
using TokenCallback = std::function<bool(int32_t token, std::string_view piece, const TokenLogprobs& lp)>;

struct GenerateOptions {
  SamplerParams sampling;
  int max_tokens = 128;
  std::vector<std::string> stop;       // stop strings (need token_text); the match is cut from text
  bool stop_at_eos = true;
  // Text of one token id; the tokenizer's streaming decoder plugs in here (needed by stop strings).
  std::function<std::string(int32_t token)> token_text;
  TokenMask mask;                      // optional constraint (grammar) on candidate tokens
  int32_t seq = 0;                     // KV slot to use (cleared first)
};

class ContextImpl;

class Context {
 public:
  static Result<std::unique_ptr<Context>> create(std::shared_ptr<const Model> model,
                                                 const ContextOptions& options = {});
  ~Context();

  const Model& model() const;
  uint32_t n_ctx() const;
  uint32_t n_seq() const;
  int threads() const;

  // Runs the batch (split into ubatches). Afterwards logits(i) is the i-th entry whose logits were
  // requested, in batch order. Errors: bad token id, sequence slot, position beyond n_ctx or a gap
  // in a sequence ("prompt exceeds the context" names both numbers); the cache is left unchanged
  // for the failing sequence.
  Status decode(const Batch& batch);
  std::span<const float> logits(size_t i) const;
  size_t n_outputs() const;

  // Cached length of a sequence, and forgetting it (seq < 0: every sequence).
  uint32_t seq_length(int32_t seq) const;
  void clear(int32_t seq = -1);

  // Encoder models: the pooled embedding (mean, or CLS when the file's pooling_type says so) of
  // one sequence, not normalised (uses sequence slot 0). Decoder models: unsupported.
  Result<std::vector<float>> embed(std::span<const int32_t> tokens);

  // Prefill `prompt` in slot options.seq, then sample until EOS, a stop string, max_tokens or the
  // callback returns false.
  Result<Generated> generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                             const TokenCallback& on_token = {});

 private:
  explicit Context(std::unique_ptr<ContextImpl> impl);
  std::unique_ptr<ContextImpl> impl_;
};

}  // namespace occam::engine
