// Q5_0 and Q5_1: 32 values as 5-bit q, Q5_0: x = (q − 16)·d, Q5_1: x = q·d + m (detail/legacy_quant.h).
#include <cstring>

#include "kernels/detail/legacy_quant.h"

namespace occam::kernels::detail {

namespace {
uint32_t load_qh(const uint8_t* qh) {
  uint32_t v;
  std::memcpy(&v, qh, sizeof v);
  return v;
}
}  // namespace

void dequantize_q5_0(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ5_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    unpack_codes<false>(b[i].qs, load_qh(b[i].qh), h2f(b[i].d), 0, 16, dst + i * kQK);
  }
}

void dequantize_q5_1(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ5_1*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    unpack_codes<true>(b[i].qs, load_qh(b[i].qh), h2f(b[i].d), h2f(b[i].m), 0, dst + i * kQK);
  }
}

void quantize_q5_0(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const LegacyScale s = symmetric_scale(src + i * kQK, 5);
    b[i].d = f2h(s.d);
    const uint32_t qh = pack_codes(src + i * kQK, s, 5, b[i].qs);
    std::memcpy(b[i].qh, &qh, sizeof qh);
  }
}

void quantize_q5_1(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_1*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const LegacyScale s = affine_scale(src + i * kQK, 5);
    b[i].d = f2h(s.d);
    b[i].m = f2h(s.m);
    const uint32_t qh = pack_codes(src + i * kQK, s, 5, b[i].qs);
    std::memcpy(b[i].qh, &qh, sizeof qh);
  }
}

}  // namespace occam::kernels::detail
