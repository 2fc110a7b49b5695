// The pre-norm decoder most architectures share (llama, qwen2, phi3 and their relatives):
//   x += Wo·Attn(RoPE(Wq·n), RoPE(Wk·n), Wv·n) with n = RMSNorm(x);  x += FFN(RMSNorm(x))
// Each architecture file loads it with its own options.
#pragma once

#include <vector>

#include "engine/internal/layers.h"
#include "engine/internal/registry.h"

namespace occam::engine {

struct DecoderOptions {
  bool qkv_bias = false;        // qwen2: q/k/v biases required (else optional)
  bool fused_qkv = false;       // phi3: one attn_qkv matrix (Q rows, then K, then V)
  bool fused_gate_up = false;   // phi3: ffn_up holds the gate rows then the up rows
  bool window_all_layers = false;  // sliding_window applies to every layer (phi3)
};

struct DecoderLayer {
  const float* attn_norm = nullptr;
  Matrix wq, wk, wv, wqkv, wo;
  const float* bq = nullptr;
  const float* bk = nullptr;
  const float* bv = nullptr;
  const float* ffn_norm = nullptr;
  Matrix gate, up, down;
  uint32_t window = 0;
};

class DecoderGraph final : public Graph {
 public:
  static Result<LoadedGraph> load(const gguf::File& file, HParams hp, const DecoderOptions& options);
  void forward(ForwardContext& fc) const override;

 private:
  DecoderOptions options_;
  Matrix token_embd_, output_;
  const float* output_norm_ = nullptr;
  const float* rope_freqs_ = nullptr;
  std::vector<DecoderLayer> layers_;
};

}  // namespace occam::engine
