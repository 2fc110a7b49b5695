// Weight tensors as views into the GGUF mapping (never copied), with shape and type checks whose
// errors name the tensor: "tensor 'blk.0.attn_q.weight': expected shape [256, 256], found [256, 128]".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "gguf/gguf.h"
#include "kernels/kernels.h"

namespace occam::engine {

// A matrix of n_rows rows of ne0 elements, in any type the kernels can multiply.
struct Matrix {
  kernels::WeightView view;
  const gguf::TensorInfo* info = nullptr;
  explicit operator bool() const { return info != nullptr; }
  int64_t ne0() const { return view.ne0; }
  int64_t n_rows() const { return view.n_rows; }
};

class TensorLoader {
 public:
  explicit TensorLoader(const gguf::File& file) : file_(file) {}

  // A [ne0, ne1] matrix (ggml order: ne0 = row length). Missing → not_found naming it.
  Result<Matrix> matrix(std::string_view name, uint64_t ne0, uint64_t ne1) const;
  // Same, but an absent tensor gives an empty Matrix.
  Result<Matrix> optional_matrix(std::string_view name, uint64_t ne0, uint64_t ne1) const;
  // An F32 vector of n elements (norm weights, biases).
  Result<const float*> vector(std::string_view name, uint64_t n) const;
  Result<const float*> optional_vector(std::string_view name, uint64_t n) const;
  // An F32 [ne0, ne1] table read row by row (position embeddings).
  Result<const float*> table(std::string_view name, uint64_t ne0, uint64_t ne1) const;

  // "blk.<i>.<suffix>"
  static std::string layer_name(uint32_t layer, std::string_view suffix);

 private:
  Result<const gguf::TensorInfo*> find_shaped(std::string_view name, uint64_t ne0, uint64_t ne1,
                                              bool required) const;
  const gguf::File& file_;
};

// A row of a matrix as F32 (token embedding lookup); dst has ne0 floats.
void matrix_row_to_f32(const Matrix& m, int64_t row, float* dst);

}  // namespace occam::engine
