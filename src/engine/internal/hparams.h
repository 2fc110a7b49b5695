// Hyperparameters read from GGUF metadata ("{arch}.block_count", ...), shared by every architecture.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"
#include "gguf/gguf.h"

namespace occam::engine {

enum class RopeMode { normal, neox };  // adjacent pairs (llama) or halves (qwen2, phi3, gemma2)
enum class Pooling { none, mean, cls, last };

struct HParams {
  std::string arch;
  uint32_t n_vocab = 0;
  uint32_t n_ctx_train = 0;
  uint32_t n_embd = 0;
  uint32_t n_layer = 0;
  uint32_t n_ff = 0;
  uint32_t n_head = 0;
  uint32_t n_head_kv = 0;
  uint32_t head_dim_k = 0;  // key_length, default n_embd / n_head
  uint32_t head_dim_v = 0;  // value_length, default n_embd / n_head
  uint32_t n_rot = 0;       // rope.dimension_count, default head_dim_k
  RopeMode rope_mode = RopeMode::normal;
  float rope_base = 10000.0f;
  float rope_freq_scale = 1.0f;  // 1 / rope.scaling.factor for linear scaling
  float norm_eps = 1e-5f;
  bool causal = true;
  uint32_t sliding_window = 0;   // 0: none; which layers use it is the architecture's choice
  float attn_softcap = 0.0f;     // 0: none
  float final_softcap = 0.0f;
  float attn_scale = 0.0f;       // set by the architecture (usually 1/√head_dim_k)
  Pooling pooling = Pooling::none;

  uint32_t q_dim() const { return n_head * head_dim_k; }
  uint32_t k_dim() const { return n_head_kv * head_dim_k; }
  uint32_t v_dim() const { return n_head_kv * head_dim_v; }
  uint32_t attn_out_dim() const { return n_head * head_dim_v; }
};

// Reads the keys every architecture shares. `norm_eps_key` is the arch-relative epsilon key
// ("attention.layer_norm_rms_epsilon" or "attention.layer_norm_epsilon"). n_vocab comes from the
// token embedding's shape. Errors name the key.
Result<HParams> read_hparams(const gguf::File& file, std::string_view norm_eps_key);

}  // namespace occam::engine
