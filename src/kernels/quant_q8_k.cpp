// Q8_K: the activation format of K-quant products; 256 int8 values, an f32 scale and the sums of each
// 16 values (bsums), which fold the K-quant mins and Q6_K's −32 offset into one multiply.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/detail/blocks.h"

namespace occam::kernels::detail {

void dequantize_q8_k(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    for (int j = 0; j < kQKK; ++j) dst[i * kQKK + j] = b[i].d * b[i].qs[j];
  }
}

// quantize_row_q8_K_ref (also what ggml's CPU backend runs on x86): scale −127/max of the value of
// largest magnitude, round half to even, clamp at 127.
void quantize_q8_k(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float* x = src + i * kQKK;
    // The value of largest magnitude, first occurrence (as ggml's strict > scan picks it).
    const __m256 sign_bit = _mm256_set1_ps(-0.0f);
    __m256 vmax = _mm256_setzero_ps();
    for (int j = 0; j < kQKK; j += 8) vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign_bit, _mm256_loadu_ps(x + j)));
    __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(vmax, 1), _mm256_castps256_ps128(vmax));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    float max = 0;
    const __m256 vamax = _mm256_set1_ps(amax);
    for (int j = 0; j < kQKK; j += 8) {
      const int hit = _mm256_movemask_ps(
          _mm256_cmp_ps(_mm256_andnot_ps(sign_bit, _mm256_loadu_ps(x + j)), vamax, _CMP_EQ_OQ));
      if (hit != 0) {
        max = x[j + __builtin_ctz(static_cast<unsigned>(hit))];
        break;
      }
    }
    if (amax == 0.0f) {
      y[i].d = 0;
      std::memset(y[i].qs, 0, sizeof y[i].qs);
      std::memset(y[i].bsums, 0, sizeof y[i].bsums);
      continue;
    }
    const float iscale = -127.f / max;
    // nearest_int is round half to even, as _mm256_round_ps(nearest) (|iscale·x| ≤ 127 < 2^22).
    const __m256 vs = _mm256_set1_ps(iscale);
    for (int j = 0; j < kQKK; j += 16) {
      __m256i a = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + j), vs),
                                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
      __m256i b = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + j + 8), vs),
                                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
      a = _mm256_min_epi32(a, _mm256_set1_epi32(127));
      b = _mm256_min_epi32(b, _mm256_set1_epi32(127));
      const __m256i s = _mm256_add_epi32(a, b);
      __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
      s4 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
      s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 1));
      y[i].bsums[j / 16] = static_cast<int16_t>(_mm_cvtsi128_si32(s4));
      const __m256i ab = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);  // 16 × i16 in order
      const __m128i q = _mm_packs_epi16(_mm256_castsi256_si128(ab), _mm256_extracti128_si256(ab, 1));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(y[i].qs + j), q);
    }
    y[i].d = 1 / iscale;
  }
}

}  // namespace occam::kernels::detail
