// Dot products of weight rows with converted activation rows, one SIMD target per Highway pass:
// SCALAR (EMU128 where the compiler supports it) is the portable twin (plain integer arithmetic, the reference the tests compare with),
// AVX2 uses maddubs/madd, AVX3 the same (AVX-512 enabled), AVX3_DL uses VNNI (vpdpbusd/vpdpwssd).
// Highway 1.0.3 has no u8×i8 dot, so the x86 targets use intrinsics; the dispatch is Highway's.
//
// Each kernel takes one weight row and up to kMaxTile activation rows, so a weight block is loaded
// once per group of tokens (decode batches, prefill tiles) and its unpacking is shared.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/dot_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <immintrin.h>

#include <cstring>

#include "kernels/detail/blocks.h"
#include "kernels/detail/dot.h"

HWY_BEFORE_NAMESPACE();
#if HWY_TARGET == HWY_AVX3_DL
// EVEX vpdpbusd (AVX512-VNNI, which Highway's AVX3_DL detection requires); without no-avxvnni GCC
// would pick the VEX AVX-VNNI encoding, absent on Ice Lake.
#pragma GCC target("avx512vnni,no-avxvnni")
#endif
namespace occam::kernels::detail {
namespace HWY_NAMESPACE {
namespace {

// Activation rows per kernel call: each weight block is unpacked once for that many tokens. AVX-512
// has the registers for 8 accumulators (and their second set); AVX2 has 16 ymm in all.
constexpr int kMaxTile = HWY_TARGET == HWY_AVX3_DL ? 8 : 4;

#if HWY_TARGET == HWY_SCALAR || HWY_TARGET == HWY_EMU128
// ------------------------------------------------------------------------------------------------
// Portable twin: the same integer sums, scalar.

template <int NT>
void dot_q8_0(const uint8_t* wr, const ActQ8* const* xs, int64_t nb, float* out) {
  const auto* w = reinterpret_cast<const BlockQ8_0*>(wr);
  float acc[NT] = {};
  for (int64_t b = 0; b < nb; ++b) {
    const float dw = h2f(w[b].d);
    for (int t = 0; t < NT; ++t) {
      int sum = 0;
      for (int j = 0; j < 32; ++j) sum += w[b].qs[j] * xs[t][b].qs[j];
      acc[t] += dw * xs[t][b].d * static_cast<float>(sum);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = acc[t];
}

// Q4_0 / Q5_0 (offset = 8 / 16, hbits only for Q5_0) and Q4_1 / Q5_1 (with min, no offset).
template <int NT, bool kFive, bool kMin>
void dot_q4q5(const uint8_t* wr, const ActQ8* const* xs, int64_t nb, float* out) {
  constexpr size_t kBytes = kFive ? (kMin ? 24 : 22) : (kMin ? 20 : 18);
  float acc[NT] = {};
  float accm[NT] = {};
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = wr + b * kBytes;
    uint16_t dh, mh = 0;
    std::memcpy(&dh, blk, 2);
    if constexpr (kMin) std::memcpy(&mh, blk + 2, 2);
    uint32_t qh = 0;
    if constexpr (kFive) std::memcpy(&qh, blk + (kMin ? 4 : 2), 4);
    const uint8_t* qs = blk + kBytes - 16;
    int q[32];
    for (int j = 0; j < 16; ++j) {
      q[j] = qs[j] & 0xF;
      q[j + 16] = qs[j] >> 4;
      if constexpr (kFive) {
        q[j] |= static_cast<int>((qh >> j) & 1) << 4;
        q[j + 16] |= static_cast<int>((qh >> (j + 16)) & 1) << 4;
      }
      if constexpr (!kMin) {
        q[j] -= kFive ? 16 : 8;
        q[j + 16] -= kFive ? 16 : 8;
      }
    }
    const float dw = h2f(dh);
    for (int t = 0; t < NT; ++t) {
      int sum = 0;
      for (int j = 0; j < 32; ++j) sum += q[j] * xs[t][b].qs[j];
      acc[t] += dw * xs[t][b].d * static_cast<float>(sum);
      if constexpr (kMin) accm[t] += h2f(mh) * xs[t][b].s;
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = acc[t] + accm[t];
}

// Q4_K / Q5_K.
template <int NT, bool kFive>
void dot_q45_k(const uint8_t* wr, const BlockQ8_K* const* xs, int64_t nb, float* out) {
  constexpr size_t kBytes = kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  float acc[NT] = {};
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = wr + b * kBytes;
    uint16_t dh, mh;
    std::memcpy(&dh, blk, 2);
    std::memcpy(&mh, blk + 2, 2);
    const uint8_t* scales = blk + 4;
    const uint8_t* qh = blk + 16;
    const uint8_t* qs = blk + (kFive ? 48 : 16);
    int q[256];
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        q[64 * c + l] = qs[32 * c + l] & 0xF;
        q[64 * c + 32 + l] = qs[32 * c + l] >> 4;
        if constexpr (kFive) {
          q[64 * c + l] += ((qh[l] >> (2 * c)) & 1) << 4;
          q[64 * c + 32 + l] += ((qh[l] >> (2 * c + 1)) & 1) << 4;
        }
      }
    }
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) scale_min_k4(j, scales, &sc[j], &m[j]);
    for (int t = 0; t < NT; ++t) {
      const BlockQ8_K& x = xs[t][b];
      int sumi = 0, summ = 0;
      for (int j = 0; j < 8; ++j) {
        int s = 0;
        for (int l = 0; l < 32; ++l) s += q[32 * j + l] * x.qs[32 * j + l];
        sumi += sc[j] * s;
        summ += m[j] * (x.bsums[2 * j] + x.bsums[2 * j + 1]);
      }
      acc[t] += h2f(dh) * x.d * static_cast<float>(sumi) - h2f(mh) * x.d * static_cast<float>(summ);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = acc[t];
}

template <int NT>
void dot_q6_k(const uint8_t* wr, const BlockQ8_K* const* xs, int64_t nb, float* out) {
  const auto* w = reinterpret_cast<const BlockQ6_K*>(wr);
  float acc[NT] = {};
  for (int64_t b = 0; b < nb; ++b) {
    int q[256];
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = w[b].ql + 64 * h;
      const uint8_t* qh = w[b].qh + 32 * h;
      for (int l = 0; l < 32; ++l) {
        q[128 * h + l] = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        q[128 * h + l + 32] = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        q[128 * h + l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        q[128 * h + l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      }
    }
    for (int t = 0; t < NT; ++t) {
      int sumi = 0;
      for (int j = 0; j < 16; ++j) {
        int s = 0;
        for (int l = 0; l < 16; ++l) s += q[16 * j + l] * xs[t][b].qs[16 * j + l];
        sumi += w[b].scales[j] * s;
      }
      acc[t] += h2f(w[b].d) * xs[t][b].d * static_cast<float>(sumi);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = acc[t];
}

template <int NT>
void dot_f16(const uint8_t* wr, const float* const* xs, int64_t n, float* out) {
  const auto* w = reinterpret_cast<const uint16_t*>(wr);
  for (int t = 0; t < NT; ++t) {
    float acc = 0;
    for (int64_t i = 0; i < n; ++i) acc += h2f(w[i]) * xs[t][i];
    out[t] = acc;
  }
}

template <int NT>
void dot_bf16(const uint8_t* wr, const float* const* xs, int64_t n, float* out) {
  const auto* w = reinterpret_cast<const uint16_t*>(wr);
  for (int t = 0; t < NT; ++t) {
    float acc = 0;
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t u = static_cast<uint32_t>(w[i]) << 16;
      float f;
      std::memcpy(&f, &u, 4);
      acc += f * xs[t][i];
    }
    out[t] = acc;
  }
}

template <int NT>
void dot_f32(const uint8_t* wr, const float* const* xs, int64_t n, float* out) {
  const auto* w = reinterpret_cast<const float*>(wr);
  for (int t = 0; t < NT; ++t) {
    float acc = 0;
    for (int64_t i = 0; i < n; ++i) acc += w[i] * xs[t][i];
    out[t] = acc;
  }
}

#else
// ------------------------------------------------------------------------------------------------
// x86: 256-bit integer dots (a 32-value block is one ymm), maddubs or VNNI.

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Σ u8·s8 in groups of 4 into i32 lanes (u ≤ 127·2 per pair, so maddubs never saturates here).
inline __m256i dot_us8(__m256i acc, __m256i u, __m256i s) {
#if HWY_TARGET == HWY_AVX3_DL
  return _mm256_dpbusd_epi32(acc, u, s);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
#endif
}

// acc + Σ pairs of (i16 a)·(i16 b) into i32 lanes.
inline __m256i dot_s16(__m256i acc, __m256i a, __m256i b) {
#if HWY_TARGET == HWY_AVX3_DL
  return _mm256_dpwssd_epi32(acc, a, b);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
#endif
}

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// 32 nibbles of a 32-block: low nibbles → values 0..15, high nibbles → values 16..31.
inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
}

// 0xFF in byte j where bit j of the 32-bit qh is set.
inline __m256i bytes_from_bits(const uint8_t* qh) {
  uint32_t x32;
  std::memcpy(&x32, qh, 4);
  const __m256i shuf = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
  __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(x32)), shuf);
  bytes = _mm256_or_si256(bytes, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
  return _mm256_cmpeq_epi8(bytes, _mm256_set1_epi64x(-1));
}

template <int NT>
inline void block_q8_0(const BlockQ8_0& w, const ActQ8* const* xs, int64_t b, __m256* acc) {
  const __m256i q = load256(w.qs);
  const __m256i aq = _mm256_sign_epi8(q, q);
  const float dw = h2f(w.d);
  for (int t = 0; t < NT; ++t) {
    const __m256i x = load256(xs[t][b].qs);
    const __m256i p = dot_us8(_mm256_setzero_si256(), aq, _mm256_sign_epi8(x, q));
    acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * xs[t][b].d), _mm256_cvtepi32_ps(p), acc[t]);
  }
}

// Two accumulator sets for alternate blocks: a single FMA chain would wait on its latency per block.
template <int NT>
void dot_q8_0(const uint8_t* wr, const ActQ8* const* xs, int64_t nb, float* out) {
  const auto* w = reinterpret_cast<const BlockQ8_0*>(wr);
  __m256 acc0[NT], acc1[NT];
  for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = _mm256_setzero_ps();
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    block_q8_0<NT>(w[b], xs, b, acc0);
    block_q8_0<NT>(w[b + 1], xs, b + 1, acc1);
  }
  if (b < nb) block_q8_0<NT>(w[b], xs, b, acc0);
  for (int t = 0; t < NT; ++t) out[t] = hsum(_mm256_add_ps(acc0[t], acc1[t]));
}

template <int NT, bool kFive, bool kMin>
inline void block_q4q5(const uint8_t* blk, const ActQ8* const* xs, int64_t b, __m256* acc, float* accm) {
  constexpr size_t kBytes = kFive ? (kMin ? 24 : 22) : (kMin ? 20 : 18);
  uint16_t dh;
  std::memcpy(&dh, blk, 2);
  __m256i q = unpack_nibbles(blk + kBytes - 16);
  if constexpr (kFive) {
    const __m256i bits = bytes_from_bits(blk + (kMin ? 4 : 2));
    if constexpr (kMin) {
      q = _mm256_or_si256(q, _mm256_and_si256(bits, _mm256_set1_epi8(0x10)));
    } else {
      q = _mm256_or_si256(q, _mm256_andnot_si256(bits, _mm256_set1_epi8(static_cast<char>(0xF0))));
    }
  } else if constexpr (!kMin) {
    q = _mm256_sub_epi8(q, _mm256_set1_epi8(8));
  }
  const float dw = h2f(dh);
  if constexpr (kMin) {
    uint16_t mh;
    std::memcpy(&mh, blk + 2, 2);
    const float mw = h2f(mh);
    for (int t = 0; t < NT; ++t) {
      const __m256i p = dot_us8(_mm256_setzero_si256(), q, load256(xs[t][b].qs));
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * xs[t][b].d), _mm256_cvtepi32_ps(p), acc[t]);
      accm[t] += mw * xs[t][b].s;
    }
  } else {
    const __m256i aq = _mm256_sign_epi8(q, q);
    for (int t = 0; t < NT; ++t) {
      const __m256i x = _mm256_sign_epi8(load256(xs[t][b].qs), q);
      const __m256i p = dot_us8(_mm256_setzero_si256(), aq, x);
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * xs[t][b].d), _mm256_cvtepi32_ps(p), acc[t]);
    }
  }
}

template <int NT, bool kFive, bool kMin>
void dot_q4q5(const uint8_t* wr, const ActQ8* const* xs, int64_t nb, float* out) {
  constexpr size_t kBytes = kFive ? (kMin ? 24 : 22) : (kMin ? 20 : 18);
  __m256 acc0[NT], acc1[NT];
  float accm[NT] = {};
  for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = _mm256_setzero_ps();
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    block_q4q5<NT, kFive, kMin>(wr + b * kBytes, xs, b, acc0, accm);
    block_q4q5<NT, kFive, kMin>(wr + (b + 1) * kBytes, xs, b + 1, acc1, accm);
  }
  if (b < nb) block_q4q5<NT, kFive, kMin>(wr + b * kBytes, xs, b, acc0, accm);
  for (int t = 0; t < NT; ++t) out[t] = hsum(_mm256_add_ps(acc0[t], acc1[t])) + accm[t];
}

// The 8 six-bit scales (bytes 0..7) and mins (bytes 8..15) of a Q4_K/Q5_K super-block.
inline __m128i k4_scales_mins(const uint8_t* scales) {
  uint32_t u[4];
  std::memcpy(u, scales, 12);
  constexpr uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
  u[3] = ((u[2] >> 4) & kmask2) | (((u[1] >> 6) & kmask3) << 4);
  const uint32_t m_lo = u[1] & kmask1;
  u[1] = (u[2] & kmask2) | (((u[0] >> 6) & kmask3) << 4);
  u[2] = m_lo;
  u[0] &= kmask1;
  // u[0], u[1]: scales 0..7; u[2], u[3]: mins 0..7.
  return _mm_set_epi32(static_cast<int>(u[3]), static_cast<int>(u[2]), static_cast<int>(u[1]),
                       static_cast<int>(u[0]));
}

// Batches of 3-8 tokens (where each block takes longer) fetch the K-quant rows ~1 KiB ahead (the lines
// of one super-block, shifted; consecutive blocks cover every line): fetching 2 blocks ahead left them
// waiting on DRAM, 10-30 % slower at 4 and 8 tokens. 1 and 2 tokens keep the single 2-blocks-ahead fetch:
// there the hardware prefetcher keeps up (1 token: no gain measured; 2 tokens: the 1 KiB fetch was
// slower). See docs/benchmarks.md, Kernels.
template <int NT>
inline void prefetch_ahead(const uint8_t* blk, size_t bytes) {
  if constexpr (NT <= 2) {
    _mm_prefetch(reinterpret_cast<const char*>(blk) + 2 * bytes, _MM_HINT_T0);
  } else {
    for (size_t o = 0; o < bytes; o += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(blk) + 1024 + o, _MM_HINT_T0);
    }
  }
}

template <int NT, bool kFive>
void dot_q45_k(const uint8_t* wr, const BlockQ8_K* const* xs, int64_t nb, float* out) {
  constexpr size_t kBytes = kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256 acc[NT];
  float accm[NT] = {};
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = wr + b * kBytes;
    prefetch_ahead<NT>(blk, kBytes);
    uint16_t dh, mh;
    std::memcpy(&dh, blk, 2);
    std::memcpy(&mh, blk + 2, 2);
    const __m128i sm8 = k4_scales_mins(blk + 4);
    const __m128i mins16 = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm8, sm8));
    alignas(16) int16_t sc[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(sc), _mm_cvtepu8_epi16(sm8));
    const uint8_t* qs = blk + (kFive ? 48 : 16);
    __m256i hb = kFive ? load256(blk + 16) : _mm256_setzero_si256();
    __m256i sumi[NT];
    for (int t = 0; t < NT; ++t) sumi[t] = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i raw = load256(qs + 32 * c);
      __m256i lo = _mm256_and_si256(raw, m4);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
      if constexpr (kFive) {
        const __m256i bit = _mm256_set1_epi8(0x10);
        lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(hb, 4), bit));
        hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(hb, 3), bit));
        hb = _mm256_srli_epi16(hb, 2);
      }
      const __m256i s_lo = _mm256_set1_epi16(sc[2 * c]);
      const __m256i s_hi = _mm256_set1_epi16(sc[2 * c + 1]);
      for (int t = 0; t < NT; ++t) {
        const __m256i p_lo = _mm256_maddubs_epi16(lo, load256(xs[t][b].qs + 64 * c));
        const __m256i p_hi = _mm256_maddubs_epi16(hi, load256(xs[t][b].qs + 64 * c + 32));
        sumi[t] = dot_s16(dot_s16(sumi[t], p_lo, s_lo), p_hi, s_hi);
      }
    }
    const float dw = h2f(dh), dmin = h2f(mh);
    for (int t = 0; t < NT; ++t) {
      const BlockQ8_K& x = xs[t][b];
      const __m256i bs = load256(x.bsums);
      const __m128i pair_sums = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
      __m128i pm = _mm_madd_epi16(mins16, pair_sums);
      pm = _mm_add_epi32(pm, _mm_unpackhi_epi64(pm, pm));
      pm = _mm_add_epi32(pm, _mm_shuffle_epi32(pm, 1));
      accm[t] += dmin * x.d * static_cast<float>(_mm_cvtsi128_si32(pm));
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * x.d), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]) - accm[t];
}

template <int NT>
void dot_q6_k(const uint8_t* wr, const BlockQ8_K* const* xs, int64_t nb, float* out) {
  const auto* w = reinterpret_cast<const BlockQ6_K*>(wr);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i m2 = _mm256_set1_epi8(0x03);
  __m256 acc[NT];
  float accc[NT] = {};
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    prefetch_ahead<NT>(reinterpret_cast<const uint8_t*>(&w[b]), sizeof(BlockQ6_K));
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].scales)));
    alignas(32) int16_t sc[16];
    _mm256_store_si256(reinterpret_cast<__m256i*>(sc), sc16);
    __m256i sumi[NT];
    for (int t = 0; t < NT; ++t) sumi[t] = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i a = load256(w[b].ql + 64 * h);
      const __m256i c = load256(w[b].ql + 64 * h + 32);
      const __m256i hh = load256(w[b].qh + 32 * h);
      const __m256i q[4] = {
          _mm256_or_si256(_mm256_and_si256(a, m4), _mm256_slli_epi16(_mm256_and_si256(hh, m2), 4)),
          _mm256_or_si256(_mm256_and_si256(c, m4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hh, 2), m2), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(a, 4), m4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hh, 4), m2), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(c, 4), m4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hh, 6), m2), 4)),
      };
      for (int k = 0; k < 4; ++k) {
        const int g = 8 * h + 2 * k;
        const __m256i s = _mm256_set_m128i(_mm_set1_epi16(sc[g + 1]), _mm_set1_epi16(sc[g]));
        for (int t = 0; t < NT; ++t) {
          const __m256i p = _mm256_maddubs_epi16(q[k], load256(xs[t][b].qs + 128 * h + 32 * k));
          sumi[t] = dot_s16(sumi[t], p, s);
        }
      }
    }
    const float dw = h2f(w[b].d);
    for (int t = 0; t < NT; ++t) {
      const BlockQ8_K& x = xs[t][b];
      // The −32 offset of every q: 32 · Σ_j sc_j · bsums_j.
      __m256i pc = _mm256_madd_epi16(sc16, load256(x.bsums));
      __m128i p4 = _mm_add_epi32(_mm256_castsi256_si128(pc), _mm256_extracti128_si256(pc, 1));
      p4 = _mm_add_epi32(p4, _mm_unpackhi_epi64(p4, p4));
      p4 = _mm_add_epi32(p4, _mm_shuffle_epi32(p4, 1));
      const float d = dw * x.d;
      accc[t] += d * static_cast<float>(32 * _mm_cvtsi128_si32(p4));
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]) - accc[t];
}

inline __m256 load_f16x8(const uint8_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256 load_bf16x8(const uint8_t* p) {
  const __m256i u = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(u, 16));
}
inline __m256 load_f32x8(const uint8_t* p) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p)); }

inline float scalar_f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return h2f(h);
}
inline float scalar_bf16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline float scalar_f32(const uint8_t* p) {
  float f;
  std::memcpy(&f, p, 4);
  return f;
}

// Float rows: F16/BF16 weights widened to f32, activations already rounded as llama.cpp rounds them.
template <int NT, size_t kElem, __m256 (*Load)(const uint8_t*), float (*Scalar)(const uint8_t*)>
void dot_float(const uint8_t* wr, const float* const* xs, int64_t n, float* out) {
  __m256 acc0[NT], acc1[NT];
  for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 w0 = Load(wr + i * kElem);
    const __m256 w1 = Load(wr + (i + 8) * kElem);
    for (int t = 0; t < NT; ++t) {
      acc0[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xs[t] + i), acc0[t]);
      acc1[t] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xs[t] + i + 8), acc1[t]);
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 w0 = Load(wr + i * kElem);
    for (int t = 0; t < NT; ++t) acc0[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xs[t] + i), acc0[t]);
  }
  float tail[NT] = {};
  for (; i < n; ++i) {
    const float wv = Scalar(wr + i * kElem);
    for (int t = 0; t < NT; ++t) tail[t] += wv * xs[t][i];
  }
  for (int t = 0; t < NT; ++t) out[t] = hsum(_mm256_add_ps(acc0[t], acc1[t])) + tail[t];
}

template <int NT>
void dot_f16(const uint8_t* wr, const float* const* xs, int64_t n, float* out) {
  dot_float<NT, 2, load_f16x8, scalar_f16>(wr, xs, n, out);
}
template <int NT>
void dot_bf16(const uint8_t* wr, const float* const* xs, int64_t n, float* out) {
  dot_float<NT, 2, load_bf16x8, scalar_bf16>(wr, xs, n, out);
}
template <int NT>
void dot_f32(const uint8_t* wr, const float* const* xs, int64_t n, float* out) {
  dot_float<NT, 4, load_f32x8, scalar_f32>(wr, xs, n, out);
}


#if HWY_TARGET == HWY_AVX3_DL
// ------------------------------------------------------------------------------------------------
// AVX-512 VNNI: two 32-blocks per zmm. The activation row is stored per pair of blocks (b0, b1):
//   qs:  64 bytes [b0 x0..15 | b1 x0..15 | b0 x16..31 | b1 x16..31]  (the order nibble unpacking gives),
//        + 128 (as unsigned bytes) for the signed weight kinds Q4_0/Q5_0/Q8_0, as is for Q4_1/Q5_1
//   d:   16 floats [d0 ×4 | d1 ×4 | d0 ×4 | d1 ×4]                   (the i32 lanes of vpdpbusd)
//   s:   2 floats (Q8_1's f16 s of b0, b1)
// A row with an odd block count gets a zero block (d = 0) at its end.
struct PairAct {
  int8_t qs[64];
  float d[16];
  float s[2];
  float pad[14];
};
static_assert(sizeof(PairAct) == 192);

inline int64_t n_pairs(int64_t ne0) { return (ne0 / kQK + 1) / 2; }

void convert_pairs(const float* x, int64_t ne0, PairAct* dst, bool with_sum) {
  const int64_t nb = ne0 / kQK;
  ActQ8 blocks[2];
  for (int64_t p = 0; p < n_pairs(ne0); ++p) {
    const bool single = 2 * p + 1 >= nb;
    quantize_act_q8(x + 2 * p * kQK, blocks, single ? kQK : 2 * kQK, with_sum);
    if (single) blocks[1] = ActQ8{};
    PairAct& a = dst[p];
    std::memcpy(a.qs, blocks[0].qs, 16);
    std::memcpy(a.qs + 16, blocks[1].qs, 16);
    std::memcpy(a.qs + 32, blocks[0].qs + 16, 16);
    std::memcpy(a.qs + 48, blocks[1].qs + 16, 16);
    if (!with_sum) {  // signed weights: stored as x + 128 (see dot_pairs_tile)
      for (int8_t& v : a.qs) v = static_cast<int8_t>(static_cast<uint8_t>(v) ^ 0x80u);
    }
    for (int l = 0; l < 16; ++l) a.d[l] = blocks[(l / 4) % 2].d;
    a.s[0] = blocks[0].s;
    a.s[1] = blocks[1].s;
    std::memset(a.pad, 0, sizeof a.pad);
  }
}

// [w0 ×4 | w1 ×4 | w0 ×4 | w1 ×4] from two f16 scales.
inline __m512 pair_scales(uint16_t h0, uint16_t h1) {
  const __m128 two = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(h0 | (static_cast<uint32_t>(h1) << 16))));
  const __m512i idx = _mm512_set_epi32(1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0);
  return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(two));
}

// 64 quants of a pair of 32-blocks of `Kind` in the PairAct order; signed for Q4_0/Q5_0/Q8_0
// (offset removed), unsigned for Q4_1/Q5_1.
template <Type kKind>
inline __m512i pair_quants(const uint8_t* b0, const uint8_t* b1, bool single) {
  constexpr size_t kBytes = kKind == Type::Q8_0 ? 34 : kKind == Type::Q4_0 ? 18 : kKind == Type::Q4_1 ? 20
                          : kKind == Type::Q5_0 ? 22 : 24;
  if constexpr (kKind == Type::Q8_0) {
    const __m256i w0 = load256(b0 + 2);
    const __m256i w1 = single ? _mm256_setzero_si256() : load256(b1 + 2);
    const __m512i idx = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
    return _mm512_permutex2var_epi64(_mm512_castsi256_si512(w0), idx, _mm512_castsi256_si512(w1));
  } else {
    const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + kBytes - 16));
    const __m128i r1 = single ? _mm_setzero_si128() : _mm_loadu_si128(reinterpret_cast<const __m128i*>(b1 + kBytes - 16));
    const __m256i y = _mm256_set_m128i(r1, r0);
    __m512i q = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(y), _mm256_srli_epi16(y, 4), 1),
                                 _mm512_set1_epi8(0x0F));
    if constexpr (kKind == Type::Q5_0 || kKind == Type::Q5_1) {
      constexpr size_t kQh = kKind == Type::Q5_0 ? 2 : 4;
      uint32_t h0, h1 = 0;
      std::memcpy(&h0, b0 + kQh, 4);
      if (!single) std::memcpy(&h1, b1 + kQh, 4);
      const uint64_t bits = (h0 & 0xFFFFu) | (static_cast<uint64_t>(h1 & 0xFFFFu) << 16) |
                            (static_cast<uint64_t>(h0 >> 16) << 32) | (static_cast<uint64_t>(h1 >> 16) << 48);
      q = _mm512_mask_add_epi8(q, _cvtu64_mask64(bits), q, _mm512_set1_epi8(0x10));  // bit 4 is clear: + is |
    }
    if constexpr (kKind == Type::Q4_0) q = _mm512_sub_epi8(q, _mm512_set1_epi8(8));
    if constexpr (kKind == Type::Q5_0) q = _mm512_sub_epi8(q, _mm512_set1_epi8(16));
    return q;
  }
}

// NR weight rows × NT activation rows over every pair of blocks: out[r·NT + t]. Each activation load is
// shared by the NR rows and each unpacked weight pair by the NT tokens; the scale product stays in float
// lanes and the horizontal sum happens once per row at the end.
// Signed weights (Q4_0/Q5_0/Q8_0) meet the activations stored with +128 (unsigned), so one vpdpbusd per
// token gives Σ (x+128)·q; it starts from −128·Σq, computed once per weight pair (exact in i32).
template <int NT, int NR, Type kKind>
void dot_pairs_tile(const uint8_t* wr, size_t stride, const PairAct* const* xs, int64_t nb, float* out) {
  constexpr size_t kBytes = kKind == Type::Q8_0 ? 34 : kKind == Type::Q4_0 ? 18 : kKind == Type::Q4_1 ? 20
                          : kKind == Type::Q5_0 ? 22 : 24;
  constexpr bool kSigned = kKind == Type::Q8_0 || kKind == Type::Q4_0 || kKind == Type::Q5_0;
  constexpr bool kMin = !kSigned;
  // Few chains (small tiles) alternate two accumulator sets: one chain of FMAs would wait on its latency.
  constexpr int kSets = NR * NT >= 8 ? 1 : 2;
  __m512 acc[kSets][NR][NT];
  float accm[NR][NT] = {};
  for (int s = 0; s < kSets; ++s)
    for (int r = 0; r < NR; ++r)
      for (int t = 0; t < NT; ++t) acc[s][r][t] = _mm512_setzero_ps();
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  const int64_t np = (nb + 1) / 2;
  for (int64_t p = 0; p < np; ++p) {
    const bool single = 2 * p + 1 >= nb;
    const int set = kSets == 1 ? 0 : static_cast<int>(p & 1);
    __m512i q[NR], c[NR];
    __m512 dw[NR];
    float fm0[NR], fm1[NR];
    for (int r = 0; r < NR; ++r) {
      const uint8_t* b0 = wr + static_cast<size_t>(r) * stride + 2 * p * kBytes;
      _mm_prefetch(reinterpret_cast<const char*>(b0) + 1024, _MM_HINT_T0);
      if constexpr (2 * kBytes > 64) _mm_prefetch(reinterpret_cast<const char*>(b0) + 1024 + 64, _MM_HINT_T0);
      const uint8_t* b1 = b0 + kBytes;
      q[r] = pair_quants<kKind>(b0, b1, single);
      uint16_t h0, h1 = 0;
      std::memcpy(&h0, b0, 2);
      if (!single) std::memcpy(&h1, b1, 2);
      dw[r] = pair_scales(h0, h1);
      if constexpr (kSigned) {
        c[r] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, q[r]));
      } else {
        uint16_t m0, m1 = 0;
        std::memcpy(&m0, b0 + 2, 2);
        if (!single) std::memcpy(&m1, b1 + 2, 2);
        fm0[r] = h2f(m0);
        fm1[r] = h2f(m1);
      }
    }
    for (int t = 0; t < NT; ++t) {
      const __m512i x = _mm512_loadu_si512(xs[t][p].qs);
      const __m512 xd = _mm512_loadu_ps(xs[t][p].d);
      for (int r = 0; r < NR; ++r) {
        __m512i dot;
        if constexpr (kSigned) {
          dot = _mm512_dpbusd_epi32(c[r], x, q[r]);
        } else {
          dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q[r], x);
          accm[r][t] += fm0[r] * xs[t][p].s[0] + fm1[r] * xs[t][p].s[1];
        }
        acc[set][r][t] = _mm512_fmadd_ps(_mm512_mul_ps(dw[r], xd), _mm512_cvtepi32_ps(dot), acc[set][r][t]);
      }
    }
  }
  for (int r = 0; r < NR; ++r) {
    for (int t = 0; t < NT; ++t) {
      __m512 sum = acc[0][r][t];
      if constexpr (kSets == 2) sum = _mm512_add_ps(sum, acc[kSets - 1][r][t]);
      out[r * NT + t] = _mm512_reduce_add_ps(sum) + accm[r][t];
    }
  }
}

// The pair kinds: two weight rows per call once a token group has 4 or more rows (the activation loads
// are then shared), one row otherwise (a decode GEMV is bound by the weight stream, not by the ALUs).
template <Type kKind>
void run_pairs(const RowsDot& job, int64_t nb) {
  using Kernel = void (*)(const uint8_t*, size_t, const PairAct* const*, int64_t, float*);
  static constexpr Kernel k1[] = {dot_pairs_tile<1, 1, kKind>, dot_pairs_tile<2, 1, kKind>, dot_pairs_tile<3, 1, kKind>,
                                  dot_pairs_tile<4, 1, kKind>, dot_pairs_tile<5, 1, kKind>, dot_pairs_tile<6, 1, kKind>,
                                  dot_pairs_tile<7, 1, kKind>, dot_pairs_tile<8, 1, kKind>};
  static constexpr Kernel k2[] = {nullptr, nullptr, nullptr, dot_pairs_tile<4, 2, kKind>, dot_pairs_tile<5, 2, kKind>,
                                  dot_pairs_tile<6, 2, kKind>, dot_pairs_tile<7, 2, kKind>, dot_pairs_tile<8, 2, kKind>};
  for (int64_t t0 = 0; t0 < job.n_tokens; t0 += kMaxTile) {
    const int nt = static_cast<int>(job.n_tokens - t0 < kMaxTile ? job.n_tokens - t0 : kMaxTile);
    const PairAct* xs[kMaxTile];
    for (int t = 0; t < nt; ++t) {
      xs[t] = reinterpret_cast<const PairAct*>(job.act + static_cast<size_t>(t0 + t) * job.act_stride);
    }
    float out[2 * kMaxTile];
    int64_t r = 0;
    if (k2[nt - 1] != nullptr) {
      for (; r + 2 <= job.n_rows; r += 2) {
        k2[nt - 1](job.w + static_cast<size_t>(r) * job.w_stride, job.w_stride, xs, nb, out);
        for (int t = 0; t < nt; ++t) {
          job.y[(t0 + t) * job.ldy + r] = out[t];
          job.y[(t0 + t) * job.ldy + r + 1] = out[nt + t];
        }
      }
    }
    for (; r < job.n_rows; ++r) {
      k1[nt - 1](job.w + static_cast<size_t>(r) * job.w_stride, job.w_stride, xs, nb, out);
      for (int t = 0; t < nt; ++t) job.y[(t0 + t) * job.ldy + r] = out[t];
    }
  }
}

// K-quants, AVX-512: a zmm holds 64 quants. For Q4_K/Q5_K one load of 64 packed bytes unpacks into the
// groups (4h, 4h+2) (low nibbles) and (4h+1, 4h+3) (high nibbles), so the activation's 256 values are
// stored in that order (permute_q8k_for_k4); Q6_K unpacks in natural order. For Q4_K/Q5_K, bsums[j]
// becomes the sum of the 32 values of group j (j < 8; the mins' granularity) and bsums[8..15] zero.
void permute_q8k_for_k4(BlockQ8_K* blocks, int64_t n_blocks) {
  for (int64_t b = 0; b < n_blocks; ++b) {
    int16_t pairs[16] = {};
    for (int j = 0; j < 8; ++j) pairs[j] = static_cast<int16_t>(blocks[b].bsums[2 * j] + blocks[b].bsums[2 * j + 1]);
    std::memcpy(blocks[b].bsums, pairs, sizeof pairs);
    int8_t tmp[256];
    std::memcpy(tmp, blocks[b].qs, 256);
    for (int h = 0; h < 2; ++h) {
      const int order[4] = {4 * h, 4 * h + 2, 4 * h + 1, 4 * h + 3};
      for (int k = 0; k < 4; ++k) std::memcpy(blocks[b].qs + 128 * h + 32 * k, tmp + 32 * order[k], 32);
    }
  }
}

inline float hsum128(__m128 s) {
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <int NT, bool kFive>
void dot_q45_k_512(const uint8_t* wr, const BlockQ8_K* const* xs, int64_t nb, float* out) {
  constexpr size_t kBytes = kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  // i16 lane → scale index: zmm h, low nibbles: groups 4h | 4h+2; high nibbles: 4h+1 | 4h+3.
  const __m512i idx[4] = {
      _mm512_set_epi16(2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
      _mm512_set_epi16(3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
      _mm512_set_epi16(6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4),
      _mm512_set_epi16(7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5)};
  __m512 acc[NT];
  __m128 accm[NT];  // the mins' term in float lanes: no horizontal sum per block
  for (int t = 0; t < NT; ++t) {
    acc[t] = _mm512_setzero_ps();
    accm[t] = _mm_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = wr + b * kBytes;
    prefetch_ahead<NT>(blk, kBytes);
    uint16_t dh, mh;
    std::memcpy(&dh, blk, 2);
    std::memcpy(&mh, blk + 2, 2);
    const __m128i sm8 = k4_scales_mins(blk + 4);
    const __m128i mins16 = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm8, sm8));
    const __m512i sc16 = _mm512_castsi128_si512(_mm_cvtepu8_epi16(sm8));
    const uint8_t* qs = blk + (kFive ? 48 : 16);
    __m512i q[4], s[4];
    __m512i hb = kFive ? _mm512_broadcast_i64x4(load256(blk + 16)) : _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
      const __m512i raw = _mm512_loadu_si512(qs + 64 * h);
      q[2 * h] = _mm512_and_si512(raw, m4);
      q[2 * h + 1] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), m4);
      if constexpr (kFive) {
        // Bits of groups (4h, 4h+2) for the low nibbles, (4h+1, 4h+3) for the high ones.
        const __m512i lo_bits = _mm512_inserti64x4(_mm512_set1_epi8(static_cast<char>(1 << (4 * h))),
                                                   _mm256_set1_epi8(static_cast<char>(1 << (4 * h + 2))), 1);
        const __m512i hi_bits = _mm512_inserti64x4(_mm512_set1_epi8(static_cast<char>(1 << (4 * h + 1))),
                                                   _mm256_set1_epi8(static_cast<char>(1 << (4 * h + 3))), 1);
        const __m512i bit4 = _mm512_set1_epi8(0x10);
        q[2 * h] = _mm512_mask_add_epi8(q[2 * h], _mm512_test_epi8_mask(hb, lo_bits), q[2 * h], bit4);
        q[2 * h + 1] = _mm512_mask_add_epi8(q[2 * h + 1], _mm512_test_epi8_mask(hb, hi_bits), q[2 * h + 1], bit4);
      }
      s[2 * h] = _mm512_permutexvar_epi16(idx[2 * h], sc16);
      s[2 * h + 1] = _mm512_permutexvar_epi16(idx[2 * h + 1], sc16);
    }
    const float dw = h2f(dh), dmin = h2f(mh);
    for (int t = 0; t < NT; ++t) {
      const BlockQ8_K& x = xs[t][b];
      // Two dpwssd chains: each has a 4-5 cycle latency.
      __m512i sumi0 = _mm512_setzero_si512(), sumi1 = _mm512_setzero_si512();
      sumi0 = _mm512_dpwssd_epi32(sumi0, _mm512_maddubs_epi16(q[0], _mm512_loadu_si512(x.qs)), s[0]);
      sumi1 = _mm512_dpwssd_epi32(sumi1, _mm512_maddubs_epi16(q[1], _mm512_loadu_si512(x.qs + 64)), s[1]);
      sumi0 = _mm512_dpwssd_epi32(sumi0, _mm512_maddubs_epi16(q[2], _mm512_loadu_si512(x.qs + 128)), s[2]);
      sumi1 = _mm512_dpwssd_epi32(sumi1, _mm512_maddubs_epi16(q[3], _mm512_loadu_si512(x.qs + 192)), s[3]);
      const __m512i sumi = _mm512_add_epi32(sumi0, sumi1);
      const __m128i pair_sums = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x.bsums));  // see permute_q8k_for_k4
      accm[t] = _mm_fmadd_ps(_mm_set1_ps(dmin * x.d), _mm_cvtepi32_ps(_mm_madd_epi16(mins16, pair_sums)), accm[t]);
      acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(dw * x.d), _mm512_cvtepi32_ps(sumi), acc[t]);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = _mm512_reduce_add_ps(acc[t]) - hsum128(accm[t]);
}

template <int NT>
void dot_q6_k_512(const uint8_t* wr, const BlockQ8_K* const* xs, int64_t nb, float* out) {
  const auto* w = reinterpret_cast<const BlockQ6_K*>(wr);
  const __m512i m4 = _mm512_set1_epi8(0x0F), m2 = _mm512_set1_epi8(0x03);
  // i16 lane → scale index within the half: lanes 8j..8j+7 hold group j (16 values) of a zmm.
  const __m512i idx_lo = _mm512_set_epi16(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1,
                                          0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i idx_hi = _mm512_add_epi16(idx_lo, _mm512_set1_epi16(4));
  __m512 acc[NT];
  __m256 accc[NT];  // the −32 offset's term in float lanes: no horizontal sum per block
  for (int t = 0; t < NT; ++t) {
    acc[t] = _mm512_setzero_ps();
    accc[t] = _mm256_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    prefetch_ahead<NT>(reinterpret_cast<const uint8_t*>(&w[b]), sizeof(BlockQ6_K));
    const __m256i sc16_256 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].scales)));
    __m512i q[4], s[4];
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = _mm512_loadu_si512(w[b].ql + 64 * h);
      const __m256i qh = load256(w[b].qh + 32 * h);
      // low nibbles: values 0..63 of the half (q1 | q2), high bits from qh bits 0-1 | 2-3.
      const __m512i h_lo = _mm512_inserti64x4(_mm512_castsi256_si512(qh), _mm256_srli_epi16(qh, 2), 1);
      const __m512i h_hi = _mm512_srli_epi16(h_lo, 4);
      q[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_slli_epi16(_mm512_and_si512(h_lo, m2), 4));
      q[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4),
                                     _mm512_slli_epi16(_mm512_and_si512(h_hi, m2), 4));
      const __m512i sc = _mm512_castsi256_si512(h == 0 ? sc16_256 : _mm256_permute2x128_si256(sc16_256, sc16_256, 0x11));
      s[2 * h] = _mm512_permutexvar_epi16(idx_lo, sc);
      s[2 * h + 1] = _mm512_permutexvar_epi16(idx_hi, sc);
    }
    const float dw = h2f(w[b].d);
    for (int t = 0; t < NT; ++t) {
      const BlockQ8_K& x = xs[t][b];
      __m512i sumi0 = _mm512_setzero_si512(), sumi1 = _mm512_setzero_si512();
      sumi0 = _mm512_dpwssd_epi32(sumi0, _mm512_maddubs_epi16(q[0], _mm512_loadu_si512(x.qs)), s[0]);
      sumi1 = _mm512_dpwssd_epi32(sumi1, _mm512_maddubs_epi16(q[1], _mm512_loadu_si512(x.qs + 64)), s[1]);
      sumi0 = _mm512_dpwssd_epi32(sumi0, _mm512_maddubs_epi16(q[2], _mm512_loadu_si512(x.qs + 128)), s[2]);
      sumi1 = _mm512_dpwssd_epi32(sumi1, _mm512_maddubs_epi16(q[3], _mm512_loadu_si512(x.qs + 192)), s[3]);
      const __m512i sumi = _mm512_add_epi32(sumi0, sumi1);
      const __m256i pc = _mm256_madd_epi16(sc16_256, load256(x.bsums));
      const float d = dw * x.d;
      accc[t] = _mm256_fmadd_ps(_mm256_set1_ps(32 * d), _mm256_cvtepi32_ps(pc), accc[t]);
      acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(d), _mm512_cvtepi32_ps(sumi), acc[t]);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = _mm512_reduce_add_ps(acc[t]) - hsum(accc[t]);
}
#endif  // HWY_AVX3_DL

#endif  // HWY_TARGET

// One kernel over a job: token groups of up to kMaxTile outside, rows inside, so that the job's weight
// rows stay in L1/L2 while each group of activation rows streams past them.
template <typename Act, void (*... Ks)(const uint8_t*, const Act* const*, int64_t, float*)>
void run_rows(const RowsDot& job, int64_t n_units) {
  using Kernel = void (*)(const uint8_t*, const Act* const*, int64_t, float*);
  static constexpr Kernel kKernels[] = {Ks...};  // kKernels[n − 1] takes n activation rows
  static_assert(sizeof...(Ks) == kMaxTile);
  for (int64_t t0 = 0; t0 < job.n_tokens; t0 += kMaxTile) {
    const int nt = static_cast<int>(job.n_tokens - t0 < kMaxTile ? job.n_tokens - t0 : kMaxTile);
    const Act* xs[kMaxTile];
    for (int t = 0; t < nt; ++t) {
      xs[t] = reinterpret_cast<const Act*>(job.act + static_cast<size_t>(t0 + t) * job.act_stride);
    }
    const Kernel kernel = kKernels[nt - 1];
    for (int64_t r = 0; r < job.n_rows; ++r) {
      float out[kMaxTile];
      kernel(job.w + static_cast<size_t>(r) * job.w_stride, xs, n_units, out);
      for (int t = 0; t < nt; ++t) job.y[(t0 + t) * job.ldy + r] = out[t];
    }
  }
}

#undef OCCAM_ROWS
#if HWY_TARGET == HWY_AVX3_DL
#define OCCAM_ROWS(Act, kernel, ...)                                                                  \
  run_rows<Act, kernel<1 __VA_ARGS__>, kernel<2 __VA_ARGS__>, kernel<3 __VA_ARGS__>, kernel<4 __VA_ARGS__>, \
           kernel<5 __VA_ARGS__>, kernel<6 __VA_ARGS__>, kernel<7 __VA_ARGS__>, kernel<8 __VA_ARGS__>>
#else
#define OCCAM_ROWS(Act, kernel, ...) \
  run_rows<Act, kernel<1 __VA_ARGS__>, kernel<2 __VA_ARGS__>, kernel<3 __VA_ARGS__>, kernel<4 __VA_ARGS__>>
#endif

}  // namespace

size_t act_bytes_target(Type type, int64_t ne0) {
#if HWY_TARGET == HWY_AVX3_DL
  switch (type) {
    case Type::Q4_0: case Type::Q4_1: case Type::Q5_0: case Type::Q5_1: case Type::Q8_0:
      return static_cast<size_t>(n_pairs(ne0)) * sizeof(PairAct);
    default: break;
  }
#endif
  return act_row_bytes_blocks(type, ne0);
}

void convert_act_target(Type type, const float* x, int64_t ne0, uint8_t* dst) {
#if HWY_TARGET == HWY_AVX3_DL
  switch (type) {
    case Type::Q4_0: case Type::Q5_0: case Type::Q8_0:
      convert_pairs(x, ne0, reinterpret_cast<PairAct*>(dst), false);
      return;
    case Type::Q4_1: case Type::Q5_1:
      convert_pairs(x, ne0, reinterpret_cast<PairAct*>(dst), true);
      return;
    case Type::Q4_K: case Type::Q5_K:
      convert_act_blocks(type, x, ne0, dst);
      permute_q8k_for_k4(reinterpret_cast<BlockQ8_K*>(dst), ne0 / kQKK);
      return;
    default: break;
  }
#endif
  convert_act_blocks(type, x, ne0, dst);
}

void rows_dot_target(const RowsDot& job) {
  const int64_t nb32 = job.ne0 / kQK, nbk = job.ne0 / kQKK;
#if HWY_TARGET == HWY_AVX3_DL
  switch (job.type) {
    case Type::Q8_0: run_pairs<Type::Q8_0>(job, nb32); return;
    case Type::Q4_0: run_pairs<Type::Q4_0>(job, nb32); return;
    case Type::Q4_1: run_pairs<Type::Q4_1>(job, nb32); return;
    case Type::Q5_0: run_pairs<Type::Q5_0>(job, nb32); return;
    case Type::Q5_1: run_pairs<Type::Q5_1>(job, nb32); return;
    case Type::Q4_K: OCCAM_ROWS(BlockQ8_K, dot_q45_k_512, , false)(job, nbk); return;
    case Type::Q5_K: OCCAM_ROWS(BlockQ8_K, dot_q45_k_512, , true)(job, nbk); return;
    case Type::Q6_K: OCCAM_ROWS(BlockQ8_K, dot_q6_k_512)(job, nbk); return;
    default: break;
  }
#endif
  switch (job.type) {
    case Type::Q8_0: OCCAM_ROWS(ActQ8, dot_q8_0)(job, nb32); break;
    case Type::Q4_0: OCCAM_ROWS(ActQ8, dot_q4q5, , false, false)(job, nb32); break;
    case Type::Q4_1: OCCAM_ROWS(ActQ8, dot_q4q5, , false, true)(job, nb32); break;
    case Type::Q5_0: OCCAM_ROWS(ActQ8, dot_q4q5, , true, false)(job, nb32); break;
    case Type::Q5_1: OCCAM_ROWS(ActQ8, dot_q4q5, , true, true)(job, nb32); break;
    case Type::Q4_K: OCCAM_ROWS(BlockQ8_K, dot_q45_k, , false)(job, nbk); break;
    case Type::Q5_K: OCCAM_ROWS(BlockQ8_K, dot_q45_k, , true)(job, nbk); break;
    case Type::Q6_K: OCCAM_ROWS(BlockQ8_K, dot_q6_k)(job, nbk); break;
    case Type::F16: OCCAM_ROWS(float, dot_f16)(job, job.ne0); break;
    case Type::BF16: OCCAM_ROWS(float, dot_bf16)(job, job.ne0); break;
    case Type::F32: OCCAM_ROWS(float, dot_f32)(job, job.ne0); break;
    default: break;  // matmul.cpp handles the other types without this table
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace occam::kernels::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace occam::kernels::detail {
HWY_EXPORT(rows_dot_target);
HWY_EXPORT(act_bytes_target);
HWY_EXPORT(convert_act_target);
void rows_dot(const RowsDot& job) { HWY_DYNAMIC_DISPATCH(rows_dot_target)(job); }
size_t act_row_bytes(Type type, int64_t ne0) { return HWY_DYNAMIC_DISPATCH(act_bytes_target)(type, ne0); }
void convert_act(Type type, const float* x, int64_t ne0, uint8_t* dst) {
  HWY_DYNAMIC_DISPATCH(convert_act_target)(type, x, ne0, dst);
}
}  // namespace occam::kernels::detail
#endif
