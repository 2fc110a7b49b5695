// The dispatched dot-product kernels behind matmul. Private to src/kernels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace occam::kernels::detail {

// y[t·ldy + r] = row r of the weights · activation row t, for r < n_rows, t < n_tokens. The activation
// rows are already converted to the weight type's dot type (see act_row_bytes in matmul.cpp): ActQ8 for
// the 32-block types, BlockQ8_K for K-quants, F32 values rounded to f16 / bf16 for F16 / BF16, F32.
struct RowsDot {
  Type type;
  const uint8_t* w;
  size_t w_stride;   // bytes between weight rows
  int64_t n_rows;
  const uint8_t* act;
  size_t act_stride;  // bytes between activation rows
  int64_t n_tokens;
  int64_t ne0;
  float* y;
  int64_t ldy;
};

// Best SIMD target (Highway dynamic dispatch; see force_simd_target). The activation rows must have been
// converted by convert_act, which dispatches to the same target: a target may use its own layout.
void rows_dot(const RowsDot& job);

// Bytes of one converted activation row for weights of `type`; 0 when matmul dequantizes instead.
size_t act_row_bytes(Type type, int64_t ne0);
void convert_act(Type type, const float* x, int64_t ne0, uint8_t* dst);

// The layout every target but AVX3_DL uses (matmul.cpp): ActQ8 blocks for the 32-block types,
// BlockQ8_K for K-quants, F32 values (rounded to f16 / bf16 for F16 / BF16) otherwise.
size_t act_row_bytes_blocks(Type type, int64_t ne0);
void convert_act_blocks(Type type, const float* x, int64_t ne0, uint8_t* dst);

}  // namespace occam::kernels::detail
