// Q4_1: 32 values as 4-bit q with x = q·d + m (detail/legacy_quant.h).
#include "kernels/detail/legacy_quant.h"

namespace occam::kernels::detail {

void dequantize_q4_1(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ4_1*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    unpack_codes<true>(b[i].qs, 0, h2f(b[i].d), h2f(b[i].m), 0, dst + i * kQK);
  }
}

void quantize_q4_1(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_1*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const LegacyScale s = affine_scale(src + i * kQK, 4);
    b[i].d = f2h(s.d);
    b[i].m = f2h(s.m);
    pack_codes(src + i * kQK, s, 4, b[i].qs);
  }
}

}  // namespace occam::kernels::detail
