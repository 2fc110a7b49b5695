// A Context's state: the model, KV cache, workspace, threads and the last decode's logits.
#pragma once

#include <memory>
#include <vector>

#include "engine/engine.h"
#include "engine/internal/forward.h"
#include "engine/internal/kv_cache.h"
#include "engine/internal/model_impl.h"
#include "kernels/kernels.h"

namespace occam::engine {

class ContextImpl {
 public:
  std::shared_ptr<const Model> model;
  const ModelImpl* m = nullptr;
  ContextOptions options;
  std::unique_ptr<KvCache> kv;
  std::unique_ptr<Workspace> ws;
  std::unique_ptr<kernels::ThreadPool> pool;
  std::vector<float> outputs;     // [n_outputs][n_vocab] after decode()
  size_t n_outputs = 0;
  // Reused per ubatch (no allocation per token once warm).
  Ubatch ub;
  std::vector<int32_t> out_rows;
  std::vector<int32_t> last_pos;  // per slot, scratch for validation

  Status validate(const Batch& batch);
  // Runs entries [begin, end) of the batch as one ubatch; outputs written at `out`.
  void run_ubatch(const Batch& batch, size_t begin, size_t end, float* out);
};

}  // namespace occam::engine
