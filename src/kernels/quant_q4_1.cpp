// Q4_1: 32 values as 4-bit q with x = q·d + m.
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "kernels/detail/blocks.h"

namespace occam::kernels::detail {

void dequantize_q4_1(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ4_1*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float d = h2f(b[i].d), m = h2f(b[i].m);
    for (int j = 0; j < kQK / 2; ++j) {
      dst[i * kQK + j] = static_cast<float>(b[i].qs[j] & 0x0F) * d + m;
      dst[i * kQK + j + kQK / 2] = static_cast<float>(b[i].qs[j] >> 4) * d + m;
    }
  }
}

// quantize_row_q4_1_ref: d = (max − min)/15, m = min, q = min(15, trunc((x − min)/d + 0.5)).
void quantize_q4_1(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_1*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < kQK; ++j) {
      min = std::min(min, x[j]);
      max = std::max(max, x[j]);
    }
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = f2h(d);
    b[i].m = f2h(min);
    for (int j = 0; j < kQK / 2; ++j) {
      const float x0 = (x[j] - min) * id;
      const float x1 = (x[kQK / 2 + j] - min) * id;
      const int q0 = std::min(15, static_cast<int>(x0 + 0.5f));
      const int q1 = std::min(15, static_cast<int>(x1 + 0.5f));
      b[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

}  // namespace occam::kernels::detail
