// Q4_0: 32 values as 4-bit q with x = (q − 8)·d; low nibbles hold elements 0..15, high nibbles 16..31.
#include <algorithm>
#include <cmath>

#include "kernels/detail/blocks.h"

namespace occam::kernels::detail {

void dequantize_q4_0(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ4_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float d = h2f(b[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      dst[i * kQK + j] = static_cast<float>((b[i].qs[j] & 0x0F) - 8) * d;
      dst[i * kQK + j + kQK / 2] = static_cast<float>((b[i].qs[j] >> 4) - 8) * d;
    }
  }
}

// quantize_row_q4_0_ref: d = max/−8 where max is the value of largest magnitude (so it maps to q = 0),
// q = min(15, trunc(x/d + 8.5)).
void quantize_q4_0(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = f2h(d);
    for (int j = 0; j < kQK / 2; ++j) {
      const float x0 = x[j] * id;
      const float x1 = x[kQK / 2 + j] * id;
      const int q0 = std::min(15, static_cast<int>(x0 + 8.5f));
      const int q1 = std::min(15, static_cast<int>(x1 + 8.5f));
      b[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

}  // namespace occam::kernels::detail
