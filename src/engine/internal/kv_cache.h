// Per-sequence KV cache. Per layer and slot, K is [n_ctx][n_head_kv·head_dim_k] (one row per position)
// and V is stored transposed, [n_head_kv·head_dim_v][n_ctx], so that both attention products are
// plain matrix × activations products (as in llama.cpp without flash attention). Memory is
// reserved, not touched: pages become resident as positions are written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/error.h"
#include "engine/engine.h"
#include "kernels/kernels.h"

namespace occam::engine {

class KvCache {
 public:
  // resource_exhausted when the address space cannot be reserved.
  static Result<std::unique_ptr<KvCache>> create(uint32_t n_layer, uint32_t n_slots, uint32_t n_ctx,
                                                 uint32_t k_dim, uint32_t v_dim, KvType type);
  ~KvCache();
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  uint32_t n_layer() const { return n_layer_; }
  uint32_t n_ctx() const { return n_ctx_; }
  uint32_t n_slots() const { return n_slots_; }
  kernels::Type type() const { return type_; }
  size_t elem_bytes() const { return elem_; }
  size_t bytes() const { return bytes_; }

  // Stores one position's K and V rows (F32 in, converted to the cache type).
  void store(uint32_t layer, uint32_t slot, uint32_t pos, const float* k, const float* v);

  // K rows [j0, j1) of one KV head as a weight matrix (rows = positions).
  kernels::WeightView keys(uint32_t layer, uint32_t slot, uint32_t head, uint32_t head_dim_k,
                           uint32_t j0, uint32_t j1) const;
  // V of one KV head, transposed: head_dim_v rows of positions [j0, j1).
  kernels::WeightView values_t(uint32_t layer, uint32_t slot, uint32_t head, uint32_t head_dim_v,
                               uint32_t j0, uint32_t j1) const;

  uint32_t length(uint32_t slot) const { return length_[slot]; }
  void set_length(uint32_t slot, uint32_t n) { length_[slot] = n; }

 private:
  KvCache(uint32_t n_layer, uint32_t n_slots, uint32_t n_ctx, uint32_t k_dim, uint32_t v_dim, KvType type);
  uint8_t* k_base(uint32_t layer, uint32_t slot) const;
  uint8_t* v_base(uint32_t layer, uint32_t slot) const;

  uint32_t n_layer_, n_slots_, n_ctx_, k_dim_, v_dim_;
  kernels::Type type_;
  size_t elem_;
  size_t bytes_;
  uint8_t* data_ = nullptr;  // mmap'ed anonymous memory, untouched until written
  std::vector<uint32_t> length_;
};

}  // namespace occam::engine
