// Linear layers, embeddings, norms, residuals and the output head.
#include <algorithm>

#include "engine/internal/layers.h"

namespace occam::engine {

void linear(ForwardContext& fc, const Matrix& w, const float* x, float* y, const float* bias) {
  kernels::matmul(w.view, x, fc.ub.n, y, fc.pool);
  if (bias != nullptr) {
    const int64_t n = w.n_rows();
    for (int32_t t = 0; t < fc.ub.n; ++t) kernels::add(y + t * n, bias, y + t * n, n);
  }
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
    linear(fc, gate, x, a);
    linear(fc, up, x, b);
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
