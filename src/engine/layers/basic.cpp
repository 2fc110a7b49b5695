// Linear layers, embeddings, norms, residuals and the output head.
#include <algorithm>
#include <vector>

#include "engine/internal/layers.h"

namespace occam::engine {

void linear(ForwardContext& fc, const Matrix& w, const float* x, float* y, const float* bias) {
  kernels::matmul(w.view, x, fc.ub.n, y, fc.pool);
  if (bias != nullptr) {
    const int64_t n = w.n_rows();
    for (int32_t t = 0; t < fc.ub.n; ++t) kernels::add(y + t * n, bias, y + t * n, n);
  }
}

void linear_many(ForwardContext& fc, std::span<const LinearJob> jobs) {
  constexpr int32_t kMaxFusedTokens = 8;
  const int32_t n = fc.ub.n;
  if (n > kMaxFusedTokens || fc.pool.size() == 1) {
    for (const LinearJob& job : jobs) linear(fc, *job.w, job.x, job.y, job.bias);
    return;
  }
  // Tasks: each job's rows in chunks; a few chunks per thread for balance (each chunk converts the
  // activations again, which is cheap for a few tokens).
  struct Chunk {
    uint32_t job;
    int64_t r0, r1;
  };
  // The caller's list (a thread_local named inside the lambda would be each worker's own, empty one).
  thread_local std::vector<Chunk> chunk_list;
  std::vector<Chunk>& chunks = chunk_list;
  chunks.clear();
  const int64_t per_thread = 3;
  for (uint32_t j = 0; j < jobs.size(); ++j) {
    const int64_t rows = jobs[j].w->n_rows();
    const int64_t n_chunks = std::min<int64_t>(rows, per_thread * fc.pool.size());
    const int64_t step = (rows + n_chunks - 1) / n_chunks;
    for (int64_t r0 = 0; r0 < rows; r0 += step) chunks.push_back({j, r0, std::min(rows, r0 + step)});
  }
  fc.pool.parallel_for(static_cast<int64_t>(chunks.size()), [&](int64_t c, int) {
    const Chunk& chunk = chunks[static_cast<size_t>(c)];
    const LinearJob& job = jobs[chunk.job];
    const kernels::WeightView& w = job.w->view;
    const size_t stride = w.row_stride != 0 ? w.row_stride : kernels::row_bytes(w.type, w.ne0);
    const kernels::WeightView part{w.type, static_cast<const uint8_t*>(w.data) + static_cast<size_t>(chunk.r0) * stride,
                                   w.ne0, chunk.r1 - chunk.r0, stride};
    const int64_t m = chunk.r1 - chunk.r0;
    float* out = job.y + chunk.r0;
    thread_local std::vector<float> scratch;
    if (n > 1) {
      scratch.resize(static_cast<size_t>(n * m));
      out = scratch.data();
    }
    kernels::matmul(part, job.x, n, out);
    for (int32_t t = 0; t < n; ++t) {
      float* dst = job.y + t * w.n_rows + chunk.r0;
      if (n > 1) std::copy_n(out + t * m, m, dst);
      if (job.bias != nullptr) kernels::add(dst, job.bias + chunk.r0, dst, m);
    }
  });
}

void embed_tokens(ForwardContext& fc, const Matrix& token_embd, float* x) {
  const int64_t n_embd = token_embd.ne0();
  for (int32_t t = 0; t < fc.ub.n; ++t) matrix_row_to_f32(token_embd, fc.ub.tokens[t], x + t * n_embd);
}

void rms_norm_rows(const ForwardContext& fc, const float* x, const float* w, float* y, uint32_t n) {
  for (int32_t t = 0; t < fc.ub.n; ++t) {
    kernels::rmsnorm(x + static_cast<size_t>(t) * n, w, y + static_cast<size_t>(t) * n, n, fc.hp.norm_eps);
  }
}

void layer_norm_rows(const ForwardContext& fc, const float* x, const float* w, const float* b, float* y,
                     uint32_t n) {
  for (int32_t t = 0; t < fc.ub.n; ++t) {
    kernels::layernorm(x + static_cast<size_t>(t) * n, w, b, y + static_cast<size_t>(t) * n, n, fc.hp.norm_eps);
  }
}

void add_rows(const ForwardContext& fc, float* x, const float* y, uint32_t n) {
  kernels::add(x, y, x, static_cast<int64_t>(fc.ub.n) * n);
}

void output_logits(ForwardContext& fc, const float* x, const float* norm_w, const Matrix& output,
                   float final_softcap) {
  const uint32_t n_embd = fc.hp.n_embd;
  const int64_t n_out = static_cast<int64_t>(fc.out_rows.size());
  if (n_out == 0) return;
  float* h = fc.ws.hidden.data();
  for (int64_t i = 0; i < n_out; ++i) {
    kernels::rmsnorm(x + static_cast<size_t>(fc.out_rows[static_cast<size_t>(i)]) * n_embd, norm_w,
                     h + static_cast<size_t>(i) * n_embd, n_embd, fc.hp.norm_eps);
  }
  kernels::matmul(output.view, h, n_out, fc.out, fc.pool);
  if (final_softcap > 0.0f) kernels::softcap(fc.out, fc.out, n_out * output.n_rows(), final_softcap);
}

void ffn_glu(ForwardContext& fc, const Matrix& gate, const Matrix& up, const Matrix& down, Activation act,
             const float* x, float* out) {
  const int64_t n_ff = down.ne0();
  float* a = fc.ws.ff_a.data();
  float* b = fc.ws.ff_b.data();
  if (gate) {
    const LinearJob jobs[] = {{&gate, x, a}, {&up, x, b}};
    linear_many(fc, jobs);
    const int64_t n = static_cast<int64_t>(fc.ub.n) * n_ff;
    if (act == Activation::silu) {
      kernels::swiglu(a, b, b, n);
    } else {
      kernels::gelu_f16(a, a, n);
      kernels::mul(a, b, b, n);
    }
  } else {
    linear(fc, up, x, a);  // [n][2·n_ff]: gate rows, then up rows
    for (int32_t t = 0; t < fc.ub.n; ++t) {
      const float* g = a + static_cast<size_t>(t) * 2 * n_ff;
      float* y = b + static_cast<size_t>(t) * n_ff;
      if (act == Activation::silu) {
        kernels::swiglu(g, g + n_ff, y, n_ff);
      } else {
        kernels::gelu_f16(g, y, n_ff);
        kernels::mul(y, g + n_ff, y, n_ff);
      }
    }
  }
  linear(fc, down, b, out);
}

void ffn_gelu(ForwardContext& fc, const Matrix& up, const float* b_up, const Matrix& down, const float* b_down,
              const float* x, float* out) {
  float* a = fc.ws.ff_a.data();
  linear(fc, up, x, a, b_up);
  kernels::gelu_f16(a, a, static_cast<int64_t>(fc.ub.n) * up.n_rows());
  linear(fc, down, a, out, b_down);
}

}  // namespace occam::engine
