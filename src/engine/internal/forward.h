// What one forward pass sees: the micro-batch, the cache, scratch buffers, the threads, and where
// outputs go. Architectures implement Graph::forward with the building blocks of layers.h.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/internal/hparams.h"
#include "engine/internal/kv_cache.h"
#include "kernels/kernels.h"

namespace occam::engine {

// Tokens of one forward pass. Tokens of one sequence are in increasing position order.
struct Ubatch {
  struct Group {           // the tokens of one sequence slot
    uint32_t slot = 0;
    std::vector<int32_t> rows;  // indices into the ubatch
    uint32_t n_keys = 0;        // positions visible after this ubatch (cache length)
  };
  int32_t n = 0;
  const int32_t* tokens = nullptr;
  const int32_t* pos = nullptr;
  const int32_t* slot = nullptr;
  std::vector<Group> groups;
};

// One attention work item: a chunk of one sequence's queries × one KV head.
struct AttnTask {
  uint32_t group;
  uint32_t first;  // index into the group's rows
  uint32_t count;
  uint32_t kv_head;
};

// Scratch buffers sized once for n_ubatch tokens (no allocation per token).
struct Workspace {
  Workspace(const HParams& hp, uint32_t n_ubatch, uint32_t n_ctx, int n_threads);
  uint32_t n_ubatch;
  std::vector<float> x, cur, q, k, v, attn, ff_a, ff_b, hidden;
  // Attention, per thread: gathered queries, scores, outputs for up to kAttnRows rows.
  static constexpr uint32_t kAttnRows = 32;
  std::vector<std::vector<float>> attn_q, attn_s, attn_o;
  std::vector<AttnTask> attn_tasks;
};

struct ForwardContext {
  const HParams& hp;
  const Ubatch& ub;
  KvCache* kv;  // null: attention only within the ubatch (never the case today; encoders use it too)
  Workspace& ws;
  kernels::ThreadPool& pool;
  // Decoder: logits of these ubatch rows go to `out` ([n_out][n_vocab]). Encoder: ignored, the
  // final hidden states of every token go to `out` ([n][n_embd]).
  std::span<const int32_t> out_rows;
  float* out = nullptr;
};

class Graph {
 public:
  virtual ~Graph() = default;
  virtual void forward(ForwardContext& fc) const = 0;
};

}  // namespace occam::engine
