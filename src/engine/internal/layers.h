// Building blocks shared by the architectures: embeddings, norms, RoPE, attention with GQA /
// causal / sliding-window masks / softcap, FFN variants, and the output head.
#pragma once

#include <cstdint>
#include <span>

#include "engine/internal/forward.h"
#include "engine/internal/tensors.h"

namespace occam::engine {

// y[n][rows] = x[n][ne0] · Wᵀ (+ bias)
void linear(ForwardContext& fc, const Matrix& w, const float* x, float* y, const float* bias = nullptr);

// Several products in one parallel section: for a few tokens (decode) each product is too small to
// pay for its own dispatch, so the rows of all of them are shared out at once. Same results as linear().
struct LinearJob {
  const Matrix* w;
  const float* x;
  float* y;
  const float* bias = nullptr;
};
void linear_many(ForwardContext& fc, std::span<const LinearJob> jobs);

// x[t] = token_embd[token t] for the ubatch.
void embed_tokens(ForwardContext& fc, const Matrix& token_embd, float* x);

// Per token: y = RMSNorm(x) · w, or LayerNorm(x) · w + b. Rows of width n.
void rms_norm_rows(const ForwardContext& fc, const float* x, const float* w, float* y, uint32_t n);
void layer_norm_rows(const ForwardContext& fc, const float* x, const float* w, const float* b, float* y,
                     uint32_t n);
// x[t] += y[t], rows of width n.
void add_rows(const ForwardContext& fc, float* x, const float* y, uint32_t n);

// In place on x[n_tokens][n_heads·head_dim]: rotates the first n_rot dims of every head by the token's
// position. freq_factors (n_rot/2, may be null) divide the angles (llama3 rope_freqs).
void rope(const ForwardContext& fc, float* x, uint32_t n_heads, uint32_t head_dim, const float* freq_factors);

struct AttentionParams {
  float scale = 1.0f;
  float softcap = 0.0f;   // s = c·tanh(s/c) after scaling, when > 0
  uint32_t window = 0;    // > 0: query at p sees keys j with p − j < window
  bool causal = true;
};

// Stores k/v ([n][k_dim], [n][v_dim], RoPE already applied) in the cache, then
// out[n][n_head·head_dim_v] = softmax(mask(q·Kᵀ)) · V per query head (GQA: KV head = h / (n_head/n_kv)).
void attention(ForwardContext& fc, uint32_t layer, const AttentionParams& p, const float* q, const float* k,
               const float* v, float* out);

enum class Activation { silu, gelu };

// out = down(act(gate·x) ⊙ (up·x)). With an empty `gate`, `up` holds the gate rows then the up rows
// (phi3's fused ffn_up). GELU is llama.cpp's f16-table GELU. Uses ws.ff_a / ws.ff_b.
void ffn_glu(ForwardContext& fc, const Matrix& gate, const Matrix& up, const Matrix& down, Activation act,
             const float* x, float* out);
// out = down(gelu(up·x + b_up)) + b_down   (bert)
void ffn_gelu(ForwardContext& fc, const Matrix& up, const float* b_up, const Matrix& down, const float* b_down,
              const float* x, float* out);

// Decoder head: final norm (RMS) of the requested rows, output matrix, optional final softcap, into fc.out.
void output_logits(ForwardContext& fc, const float* x, const float* norm_w, const Matrix& output,
                   float final_softcap);

}  // namespace occam::engine
