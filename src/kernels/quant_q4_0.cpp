// Q4_0: 32 values as 4-bit q with x = (q − 8)·d (detail/legacy_quant.h).
#include "kernels/detail/legacy_quant.h"

namespace occam::kernels::detail {

void dequantize_q4_0(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ4_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) unpack_codes<false>(b[i].qs, 0, h2f(b[i].d), 0, 8, dst + i * kQK);
}

void quantize_q4_0(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const LegacyScale s = symmetric_scale(src + i * kQK, 4);
    b[i].d = f2h(s.d);
    pack_codes(src + i * kQK, s, 4, b[i].qs);
  }
}

}  // namespace occam::kernels::detail
