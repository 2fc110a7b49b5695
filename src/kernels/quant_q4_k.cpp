// Q4_K: 256-value super-blocks of 8 groups of 32; x = d·sc_j·q − dmin·m_j with 4-bit q and 6-bit
// sc_j, m_j packed in 12 bytes (see scale_min_k4).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/detail/blocks.h"
#include "kernels/detail/quant_search.h"

namespace occam::kernels::detail {

void dequantize_q4_k(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ4_K*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
    const uint8_t* q = b[i].qs;
    float* y = dst + i * kQKK;
    for (int j = 0; j < kQKK; j += 64) {
      const int is = j / 32;
      uint8_t sc, m;
      scale_min_k4(is, b[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      scale_min_k4(is + 1, b[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) y[j + l] = d1 * static_cast<float>(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) y[j + 32 + l] = d2 * static_cast<float>(q[l] >> 4) - m2;
      q += 32;
    }
  }
}

// quantize_row_q4_K_ref: per group make_qkx2_quants(32, 15, weights = rms + |x|, −1, 0.1, 20), the
// 8 scales and mins quantized to 6 bits against their maxima, then q recomputed from the rounded scales.
void quantize_q4_k(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ4_K*>(dst);
  uint8_t L[kQKK];
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float* x = src + i * kQKK;
    quantize_k_superblock(x, 15, -1.f, 20, y[i].scales, &y[i].d, &y[i].dmin, L);
    uint8_t* q = y[i].qs;
    for (int j = 0; j < kQKK; j += 64) {
      for (int l = 0; l < 32; ++l) q[l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
      q += 32;
    }
  }
}

}  // namespace occam::kernels::detail
