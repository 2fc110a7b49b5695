#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/internal/layers.h"

namespace occam::engine {

void attention(ForwardContext& fc, uint32_t layer, const AttentionParams& p, const float* q, const float* k,
               const float* v, float* out) {
  const HParams& hp = fc.hp;
  KvCache& kv = *fc.kv;
  const Ubatch& ub = fc.ub;
  const uint32_t q_dim = hp.q_dim(), k_dim = hp.k_dim(), v_dim = hp.v_dim(), o_dim = hp.attn_out_dim();
  const uint32_t hd_k = hp.head_dim_k, hd_v = hp.head_dim_v;
  for (int32_t t = 0; t < ub.n; ++t) {
    kv.store(layer, static_cast<uint32_t>(ub.slot[t]), static_cast<uint32_t>(ub.pos[t]),
             k + static_cast<size_t>(t) * k_dim, v + static_cast<size_t>(t) * v_dim);
  }

  // One task = a chunk of one sequence's queries × one KV head; the query heads sharing that KV head
  // (GQA) become rows of the same two small products, so each K/V row is read once per chunk.
  const uint32_t ratio = hp.n_head / hp.n_head_kv;
  const uint32_t rows_cap = static_cast<uint32_t>(fc.ws.attn_q[0].size() / hd_k);
  const uint32_t per_chunk = std::max<uint32_t>(1, rows_cap / ratio);
  std::vector<AttnTask>& tasks = fc.ws.attn_tasks;
  tasks.clear();
  for (uint32_t g = 0; g < ub.groups.size(); ++g) {
    const uint32_t n_rows = static_cast<uint32_t>(ub.groups[g].rows.size());
    for (uint32_t first = 0; first < n_rows; first += per_chunk) {
      for (uint32_t h = 0; h < hp.n_head_kv; ++h) {
        tasks.push_back({g, first, std::min(per_chunk, n_rows - first), h});
      }
    }
  }

  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  auto run_task = [&](int64_t task_index, int thread) {
    const AttnTask& task = tasks[static_cast<size_t>(task_index)];
    const Ubatch::Group& group = ub.groups[task.group];
    const int32_t* rows = group.rows.data() + task.first;
    int32_t min_pos = ub.pos[rows[0]], max_pos = ub.pos[rows[0]];
    for (uint32_t i = 1; i < task.count; ++i) {
      min_pos = std::min(min_pos, ub.pos[rows[i]]);
      max_pos = std::max(max_pos, ub.pos[rows[i]]);
    }
    uint32_t j0 = 0;
    uint32_t j1 = p.causal ? static_cast<uint32_t>(max_pos) + 1 : group.n_keys;
    if (p.causal && p.window > 0 && static_cast<uint32_t>(min_pos) + 1 > p.window) {
      j0 = static_cast<uint32_t>(min_pos) + 1 - p.window;
    }
    const uint32_t n_keys = j1 - j0;
    const uint32_t n_q = task.count * ratio;

    float* qbuf = fc.ws.attn_q[static_cast<size_t>(thread)].data();
    float* sbuf = fc.ws.attn_s[static_cast<size_t>(thread)].data();
    float* obuf = fc.ws.attn_o[static_cast<size_t>(thread)].data();
    for (uint32_t i = 0; i < task.count; ++i) {
      for (uint32_t r = 0; r < ratio; ++r) {
        const uint32_t head = task.kv_head * ratio + r;
        std::copy_n(q + static_cast<size_t>(rows[i]) * q_dim + static_cast<size_t>(head) * hd_k, hd_k,
                    qbuf + static_cast<size_t>(i * ratio + r) * hd_k);
      }
    }
    kernels::matmul(kv.keys(layer, group.slot, task.kv_head, hd_k, j0, j1), qbuf, n_q, sbuf);
    for (uint32_t i = 0; i < task.count; ++i) {
      const int32_t pos = ub.pos[rows[i]];
      for (uint32_t r = 0; r < ratio; ++r) {
        float* s = sbuf + static_cast<size_t>(i * ratio + r) * n_keys;
        for (uint32_t j = 0; j < n_keys; ++j) {
          const int64_t key_pos = static_cast<int64_t>(j0) + j;
          float x = s[j] * p.scale;
          if (p.softcap > 0.0f) x = p.softcap * std::tanh(x / p.softcap);
          if (p.causal && key_pos > pos) x = kNegInf;
          if (p.window > 0 && pos - key_pos >= static_cast<int64_t>(p.window)) x = kNegInf;
          s[j] = x;
        }
        kernels::softmax(s, n_keys);
      }
    }
    kernels::matmul(kv.values_t(layer, group.slot, task.kv_head, hd_v, j0, j1), sbuf, n_q, obuf);
    for (uint32_t i = 0; i < task.count; ++i) {
      for (uint32_t r = 0; r < ratio; ++r) {
        const uint32_t head = task.kv_head * ratio + r;
        std::copy_n(obuf + static_cast<size_t>(i * ratio + r) * hd_v, hd_v,
                    out + static_cast<size_t>(rows[i]) * o_dim + static_cast<size_t>(head) * hd_v);
      }
    }
  };
  // Short contexts (decode near the start): less work than a dispatch costs, so stay on this thread.
  uint64_t work = 0;
  for (const Ubatch::Group& g : ub.groups) work += static_cast<uint64_t>(g.rows.size()) * g.n_keys;
  work *= static_cast<uint64_t>(hp.n_head) * (hd_k + hd_v);
  if (fc.pool.size() == 1 || work < (1u << 16)) {
    for (size_t t = 0; t < tasks.size(); ++t) run_task(static_cast<int64_t>(t), 0);
  } else {
    fc.pool.parallel_for(static_cast<int64_t>(tasks.size()), run_task);
  }
}

}  // namespace occam::engine
