// The 32-element "legacy" blocks (Q4_0, Q4_1, Q5_0, Q5_1) share one code layout and two ways of
// choosing the scale, as in ggml's reference quantizers (quantize_row_q4_0_ref, ..._q5_1_ref):
//   symmetric (Q4_0, Q5_0): v = the element of largest magnitude, d = v / −2^(bits−1),
//                           q = min(max_q, trunc(x/d + 2^(bits−1) + 0.5)), x = (q − 2^(bits−1))·d;
//   affine (Q4_1, Q5_1):    d = (max − min)/max_q, m = min, q = min(max_q, trunc((x − m)/d + 0.5)), x = q·d +
//   m.
// Layout: the low 4 bits of elements j and j+16 in byte j; for 5-bit codes, bit 4 of element j in bit j of
// qh.
#pragma once

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>

#include "kernels/detail/blocks.h"

namespace occam::kernels::detail {

struct LegacyScale {
  float d = 0;     // stored scale
  float m = 0;     // stored minimum (affine), 0 for symmetric
  float id = 0;    // 1/d, or 0 for an all-zero block
  float bias = 0;  // added before truncation: the zero point + 0.5
};

inline LegacyScale symmetric_scale(const float* x, int bits) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kQK; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  const float zero = static_cast<float>(1 << (bits - 1));
  LegacyScale s;
  s.d = max / -zero;
  s.id = s.d != 0.0f ? 1.0f / s.d : 0.0f;
  s.bias = zero + 0.5f;
  return s;
}

inline LegacyScale affine_scale(const float* x, int bits) {
  float min = FLT_MAX, max = -FLT_MAX;
  for (int j = 0; j < kQK; ++j) {
    min = std::min(min, x[j]);
    max = std::max(max, x[j]);
  }
  LegacyScale s;
  s.d = (max - min) / static_cast<float>((1 << bits) - 1);
  s.m = min;
  s.id = s.d != 0.0f ? 1.0f / s.d : 0.0f;
  s.bias = 0.5f;
  return s;
}

// Writes the block's codes into qs (low nibbles) and returns their bit 4 packed as qh (0 for 4-bit codes).
inline uint32_t pack_codes(const float* x, const LegacyScale& s, int bits, uint8_t* qs) {
  const int max_q = (1 << bits) - 1;
  uint32_t qh = 0;
  for (int j = 0; j < kQK / 2; ++j) {
    const int q0 = std::min(max_q, static_cast<int>((x[j] - s.m) * s.id + s.bias));
    const int q1 = std::min(max_q, static_cast<int>((x[kQK / 2 + j] - s.m) * s.id + s.bias));
    qs[j] = static_cast<uint8_t>((q0 & 0x0F) | ((q1 & 0x0F) << 4));
    qh |= static_cast<uint32_t>((q0 >> 4) & 1) << j;
    qh |= static_cast<uint32_t>((q1 >> 4) & 1) << (j + kQK / 2);
  }
  return qh;
}

// x_j = (q_j − zero)·d (symmetric) or q_j·d + m (affine), for the codes in qs and qh.
template <bool Affine>
inline void unpack_codes(const uint8_t* qs, uint32_t qh, float d, float m, int zero, float* y) {
  for (int j = 0; j < kQK / 2; ++j) {
    const int q0 = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1) << 4);
    const int q1 = (qs[j] >> 4) | static_cast<int>(((qh >> (j + kQK / 2)) & 1) << 4);
    if constexpr (Affine) {
      y[j] = static_cast<float>(q0) * d + m;
      y[j + kQK / 2] = static_cast<float>(q1) * d + m;
    } else {
      y[j] = static_cast<float>(q0 - zero) * d;
      y[j + kQK / 2] = static_cast<float>(q1 - zero) * d;
    }
  }
}

}  // namespace occam::kernels::detail
