// Q8_0 and Q8_1: 32 int8 values and an f16 scale (Q8_1 also stores d·Σq, used against Q4_1/Q5_1).
#include <cmath>

#include "kernels/detail/blocks.h"

namespace occam::kernels::detail {

void dequantize_q8_0(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ8_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float d = h2f(b[i].d);
    for (int j = 0; j < kQK; ++j) dst[i * kQK + j] = d * b[i].qs[j];
  }
}

void dequantize_q8_1(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ8_1*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float d = h2f(b[i].d);
    for (int j = 0; j < kQK; ++j) dst[i * kQK + j] = d * b[i].qs[j];
  }
}

// quantize_row_q8_0_ref: d = amax/127, q = roundf(x/d) (half away from zero).
void quantize_q8_0(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = f2h(d);
    for (int j = 0; j < kQK; ++j) b[i].qs[j] = static_cast<int8_t>(std::roundf(x[j] * id));
  }
}

// quantize_row_q8_1_ref: as Q8_0, plus s = d·Σq.
void quantize_q8_1(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_1*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = f2h(d);
    int sum = 0;
    for (int j = 0; j < kQK; ++j) {
      b[i].qs[j] = static_cast<int8_t>(std::roundf(x[j] * id));
      sum += b[i].qs[j];
    }
    b[i].s = f2h(static_cast<float>(sum) * d);
  }
}

// The x86 activation path of ggml (quantize_row_q8_0 / q8_1 with AVX2): multiplier 127/amax rather than
// 1/d, _mm256_round_ps(_MM_ROUND_NEAREST) i.e. half to even, s from the unrounded d.
void quantize_act_q8(const float* src, ActQ8* dst, int64_t n, bool with_sum) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    dst[i].d = h2f(f2h(d));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int sum = 0;
    for (int j = 0; j < kQK; ++j) {
      dst[i].qs[j] = static_cast<int8_t>(std::nearbyint(x[j] * id));
      sum += dst[i].qs[j];
    }
    dst[i].s = with_sum ? h2f(f2h(d * static_cast<float>(sum))) : 0.0f;
  }
}

}  // namespace occam::kernels::detail
