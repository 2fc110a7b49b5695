#include "engine/internal/kv_cache.h"

#include <sys/mman.h>

#include <cstring>

namespace occam::engine {

KvCache::KvCache(uint32_t n_layer, uint32_t n_slots, uint32_t n_ctx, uint32_t k_dim, uint32_t v_dim,
                 KvType type)
    : n_layer_(n_layer),
      n_slots_(n_slots),
      n_ctx_(n_ctx),
      k_dim_(k_dim),
      v_dim_(v_dim),
      type_(type == KvType::f16 ? kernels::Type::F16 : kernels::Type::F32),
      elem_(type == KvType::f16 ? 2 : 4),
      length_(n_slots, 0) {
  bytes_ = static_cast<size_t>(n_layer) * n_slots * n_ctx * (k_dim + v_dim) * elem_;
}

Result<std::unique_ptr<KvCache>> KvCache::create(uint32_t n_layer, uint32_t n_slots, uint32_t n_ctx,
                                                 uint32_t k_dim, uint32_t v_dim, KvType type) {
  std::unique_ptr<KvCache> kv(new KvCache(n_layer, n_slots, n_ctx, k_dim, v_dim, type));
  // Anonymous mapping: zero pages cost nothing until a position is written, so a large n_ctx does
  // not inflate resident memory.
  void* p = mmap(nullptr, kv->bytes_ == 0 ? 1 : kv->bytes_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return make_error(ErrorCode::resource_exhausted, "KV cache: cannot reserve {} bytes", kv->bytes_);
  }
  kv->data_ = static_cast<uint8_t*>(p);
  return kv;
}

KvCache::~KvCache() {
  if (data_ != nullptr) munmap(data_, bytes_ == 0 ? 1 : bytes_);
}

uint8_t* KvCache::k_base(uint32_t layer, uint32_t slot) const {
  const size_t per_slot = static_cast<size_t>(n_ctx_) * (k_dim_ + v_dim_) * elem_;
  return data_ + (static_cast<size_t>(layer) * n_slots_ + slot) * per_slot;
}

uint8_t* KvCache::v_base(uint32_t layer, uint32_t slot) const {
  return k_base(layer, slot) + static_cast<size_t>(n_ctx_) * k_dim_ * elem_;
}

void KvCache::store(uint32_t layer, uint32_t slot, uint32_t pos, const float* k, const float* v) {
  uint8_t* kdst = k_base(layer, slot) + static_cast<size_t>(pos) * k_dim_ * elem_;
  uint8_t* vbase = v_base(layer, slot);
  if (type_ == kernels::Type::F16) {
    kernels::fp32_to_fp16_row(k, reinterpret_cast<uint16_t*>(kdst), k_dim_);
    auto* vt = reinterpret_cast<uint16_t*>(vbase);
    for (uint32_t d = 0; d < v_dim_; ++d) vt[static_cast<size_t>(d) * n_ctx_ + pos] = kernels::fp32_to_fp16(v[d]);
  } else {
    std::memcpy(kdst, k, static_cast<size_t>(k_dim_) * 4);
    auto* vt = reinterpret_cast<float*>(vbase);
    for (uint32_t d = 0; d < v_dim_; ++d) vt[static_cast<size_t>(d) * n_ctx_ + pos] = v[d];
  }
}

kernels::WeightView KvCache::keys(uint32_t layer, uint32_t slot, uint32_t head, uint32_t head_dim_k, uint32_t j0,
                                  uint32_t j1) const {
  const uint8_t* p = k_base(layer, slot) + (static_cast<size_t>(j0) * k_dim_ + static_cast<size_t>(head) * head_dim_k) * elem_;
  return kernels::WeightView{type_, p, head_dim_k, static_cast<int64_t>(j1 - j0), static_cast<size_t>(k_dim_) * elem_};
}

kernels::WeightView KvCache::values_t(uint32_t layer, uint32_t slot, uint32_t head, uint32_t head_dim_v,
                                      uint32_t j0, uint32_t j1) const {
  const uint8_t* p =
      v_base(layer, slot) + (static_cast<size_t>(head) * head_dim_v * n_ctx_ + j0) * elem_;
  return kernels::WeightView{type_, p, static_cast<int64_t>(j1 - j0), head_dim_v, static_cast<size_t>(n_ctx_) * elem_};
}

}  // namespace occam::engine
