#include <algorithm>

#include "engine/internal/forward.h"

namespace occam::engine {

Workspace::Workspace(const HParams& hp, uint32_t n_ubatch_, uint32_t n_ctx, int n_threads) : n_ubatch(n_ubatch_) {
  const size_t n = n_ubatch;
  x.resize(n * hp.n_embd);
  cur.resize(n * std::max(hp.n_embd, hp.attn_out_dim()));
  q.resize(n * hp.q_dim());
  k.resize(n * hp.k_dim());
  v.resize(n * hp.v_dim());
  attn.resize(n * hp.attn_out_dim());
  ff_a.resize(n * std::max<size_t>(2 * static_cast<size_t>(hp.n_ff), hp.q_dim() + hp.k_dim() + hp.v_dim()));
  ff_b.resize(n * hp.n_ff);
  hidden.resize(n * hp.n_embd);
  const uint32_t ratio = hp.n_head / hp.n_head_kv;
  const size_t rows = std::max(kAttnRows, ratio);
  attn_q.assign(static_cast<size_t>(n_threads), std::vector<float>(rows * hp.head_dim_k));
  attn_s.assign(static_cast<size_t>(n_threads), std::vector<float>(rows * n_ctx));
  attn_o.assign(static_cast<size_t>(n_threads), std::vector<float>(rows * hp.head_dim_v));
  attn_tasks.reserve(n * hp.n_head_kv);
}

}  // namespace occam::engine
