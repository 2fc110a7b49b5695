// Random-weight GGUF models of a given architecture and shape, for tests and benchmarks (speed does
// not depend on the values). Matrices ~N(0, 0.02), norm weights 1, biases ~N(0, 0.02); quantized
// with the same per-tensor type rules as `occam quantize` (e.g. Q4_K_M's mixture and fallbacks).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/error.h"

namespace occam::engine {

struct RandomModelSpec {
  std::string arch = "llama";  // llama or qwen2 (qwen2: q/k/v biases, NEOX RoPE)
  uint32_t n_layer = 2;
  uint32_t n_embd = 256;
  uint32_t n_ff = 512;
  uint32_t n_head = 4;
  uint32_t n_head_kv = 2;
  uint32_t n_vocab = 512;
  uint32_t n_ctx = 2048;
  float rope_base = 10000.0f;
  float norm_eps = 1e-5f;
  bool tied_embeddings = true;
  std::string type = "F16";    // F32, F16, Q8_0, Q4_0, Q4_K_M, Q6_K
  uint64_t seed = 1;
  int threads = 1;             // for quantization
};

// The shapes of SmolLM2-135M and Qwen2.5-0.5B (shared/reference/llamacpp-bench.md).
RandomModelSpec smollm2_135m_shape();
RandomModelSpec qwen25_05b_shape();

Status write_random_model(const RandomModelSpec& spec, const std::filesystem::path& path);

}  // namespace occam::engine
