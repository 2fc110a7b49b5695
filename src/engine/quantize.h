// Model quantization with llama.cpp's type-selection rules (llama-quantize without an importance
// matrix), and the per-tensor choice it makes, shared with the random-model writer.
//
//   OCCAM_TRY(engine::quantize_model("model-f32.gguf", "model-q4_k_m.gguf", "Q4_K_M", 2));
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "gguf/gguf.h"

namespace occam::engine {

// A file-level scheme as llama-quantize names it: F32, F16, Q8_0, Q4_0, Q4_K_M, Q6_K.
struct QuantScheme {
  std::string name;
  gguf::TensorType base;   // the type most matrices get
  uint32_t file_type;      // general.file_type (llama_ftype)
  bool k_mixture;          // Q4_K_M: the attn_v / ffn_down / attn_qkv / output upgrades
};

Result<QuantScheme> parse_quant_scheme(std::string_view name);

// What the rules need to know about the model.
struct QuantLayout {
  uint32_t n_layer = 0;
  bool has_output = true;  // false: token_embd is also the output matrix (tied)
};

// Whether llama-quantize quantizes this tensor at all (matrices only; norms, biases, position and
// token-type embeddings stay as they are).
bool is_quantizable(std::string_view name, uint32_t n_dims);

// The type llama-quantize picks for one quantizable tensor (ne0 = row length), including the
// fallbacks for rows that are not a multiple of the block size (Q4_K→Q5_0, Q6_K→Q8_0, ..., then F16).
gguf::TensorType choose_tensor_type(const QuantScheme& scheme, std::string_view name, uint64_t ne0,
                                    const QuantLayout& layout);

// n_rows rows of ne0 F32 values → bytes of `type` (rows in parallel on `threads` threads).
Result<std::vector<uint8_t>> quantize_rows(const float* data, uint64_t n_rows, uint64_t ne0, gguf::TensorType type,
                                           int threads);

struct QuantizeStats {
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint32_t n_quantized = 0;
  uint32_t n_kept = 0;
};

// Reads `in` (any dequantizable types), writes `out` with the scheme's types; metadata is copied,
// general.file_type and general.quantization_version are set.
Result<QuantizeStats> quantize_model(const std::filesystem::path& in, const std::filesystem::path& out,
                                     std::string_view scheme, int threads);

}  // namespace occam::engine
