// Element-wise and reduction ops of the model graphs, in portable Highway ops (one pass per target,
// dispatched at run time). Reductions that llama.cpp does in double (norms) are done in double.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/vec_ops.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "kernels/detail/blocks.h"
#include "kernels/kernels.h"

#ifndef OCCAM_KERNELS_VEC_OPS_CONSTANTS
#define OCCAM_KERNELS_VEC_OPS_CONSTANTS
namespace occam::kernels::detail {
constexpr float kGeluA = 0.044715f;
constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
}  // namespace occam::kernels::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace occam::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using detail::kGeluA;
using detail::kSqrt2OverPi;

namespace {
using DF = hn::ScalableTag<float>;

// Σ a·b in double lanes (llama.cpp's norms sum in ggml_float = double).
double sum_products_f64(const float* a, const float* b, int64_t n) {
#if HWY_TARGET == HWY_SCALAR
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(a[i] * b[i]);
  return sum;
#else
  const DF d;
  const hn::Repartition<double, DF> dd;
  const hn::Half<DF> dh;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  auto acc = hn::Zero(dd);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    const auto p = hn::Mul(hn::LoadU(d, a + i), hn::LoadU(d, b + i));
    acc = hn::Add(acc, hn::PromoteTo(dd, hn::LowerHalf(dh, p)));
    acc = hn::Add(acc, hn::PromoteTo(dd, hn::UpperHalf(dh, p)));
  }
  double sum = hn::GetLane(hn::SumOfLanes(dd, acc));
  for (; i < n; ++i) sum += static_cast<double>(a[i] * b[i]);
  return sum;
#endif
}

}  // namespace

void rmsnorm_t(const float* x, const float* w, float* y, int64_t n, float eps) {
  const float mean = static_cast<float>(sum_products_f64(x, x, n) / static_cast<double>(n));
  const float s = 1.0f / std::sqrt(mean + eps);
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto vs = hn::Set(d, s);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    auto v = hn::Mul(hn::LoadU(d, x + i), vs);
    if (w) v = hn::Mul(v, hn::LoadU(d, w + i));
    hn::StoreU(v, d, y + i);
  }
  for (; i < n; ++i) y[i] = w ? (x[i] * s) * w[i] : x[i] * s;
}

void layernorm_t(const float* x, const float* w, const float* b, float* y, int64_t n, float eps) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto vm = hn::Set(d, mean);
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Sub(hn::LoadU(d, x + i), vm), d, y + i);
  for (; i < n; ++i) y[i] = x[i] - mean;
  const float variance = static_cast<float>(sum_products_f64(y, y, n) / static_cast<double>(n));
  const float s = 1.0f / std::sqrt(variance + eps);
  const auto vs = hn::Set(d, s);
  for (i = 0; i + N <= n; i += N) {
    auto v = hn::Mul(hn::LoadU(d, y + i), vs);
    if (w) v = hn::Mul(v, hn::LoadU(d, w + i));
    if (b) v = hn::Add(v, hn::LoadU(d, b + i));
    hn::StoreU(v, d, y + i);
  }
  for (; i < n; ++i) {
    float v = y[i] * s;
    if (w) v *= w[i];
    if (b) v += b[i];
    y[i] = v;
  }
}

void softmax_t(float* x, int64_t n) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  float max = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
  if (n >= N) {
    auto vmax = hn::LoadU(d, x);
    for (i = N; i + N <= n; i += N) vmax = hn::Max(vmax, hn::LoadU(d, x + i));
    max = hn::GetLane(hn::MaxOfLanes(d, vmax));
  }
  for (; i < n; ++i) max = std::fmax(max, x[i]);
  if (max == -std::numeric_limits<float>::infinity()) {  // everything masked
    std::memset(x, 0, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  const auto vmax = hn::Set(d, max);
  auto vsum = hn::Zero(d);
  for (i = 0; i + N <= n; i += N) {
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), vmax));
    vsum = hn::Add(vsum, e);
    hn::StoreU(e, d, x + i);
  }
  double sum = hn::GetLane(hn::SumOfLanes(d, vsum));
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const auto inv = hn::Set(d, static_cast<float>(1.0 / sum));
  for (i = 0; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, x + i), inv), d, x + i);
  for (; i < n; ++i) x[i] *= static_cast<float>(1.0 / sum);
}

namespace {
// x · sigmoid(x); the exponent is clamped so that exp never overflows (the result is ≈ 0 or x there).
template <class V>
V silu_v(DF d, V x) {
  const V e = hn::Exp(d, hn::Min(hn::Neg(x), hn::Set(d, 88.0f)));
  return hn::Div(x, hn::Add(hn::Set(d, 1.0f), e));
}
float silu_s(float x) { return x / (1.0f + std::exp(std::fmin(-x, 88.0f))); }

template <class V>
V gelu_v(DF d, V x) {
  const V inner = hn::Mul(hn::Mul(hn::Set(d, kSqrt2OverPi), x),
                          hn::MulAdd(hn::Mul(hn::Set(d, kGeluA), x), x, hn::Set(d, 1.0f)));
  return hn::Mul(hn::Mul(hn::Set(d, 0.5f), x), hn::Add(hn::Set(d, 1.0f), hn::Tanh(d, inner)));
}
float gelu_s(float x) { return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + kGeluA * x * x))); }
}  // namespace

void silu_t(const float* x, float* y, int64_t n) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(silu_v(d, hn::LoadU(d, x + i)), d, y + i);
  for (; i < n; ++i) y[i] = silu_s(x[i]);
}

void swiglu_t(const float* g, const float* u, float* y, int64_t n) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(silu_v(d, hn::LoadU(d, g + i)), hn::LoadU(d, u + i)), d, y + i);
  for (; i < n; ++i) y[i] = silu_s(g[i]) * u[i];
}

void gelu_t(const float* x, float* y, int64_t n) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(gelu_v(d, hn::LoadU(d, x + i)), d, y + i);
  for (; i < n; ++i) y[i] = gelu_s(x[i]);
}

void softcap_t(const float* x, float* y, int64_t n, float c) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto vc = hn::Set(d, c);
  const auto vic = hn::Set(d, 1.0f / c);
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(vc, hn::Tanh(d, hn::Mul(hn::LoadU(d, x + i), vic))), d, y + i);
  for (; i < n; ++i) y[i] = c * std::tanh(x[i] * (1.0f / c));
}

void add_t(const float* a, const float* b, float* y, int64_t n) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Add(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, y + i);
  for (; i < n; ++i) y[i] = a[i] + b[i];
}

void mul_t(const float* a, const float* b, float* y, int64_t n) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, y + i);
  for (; i < n; ++i) y[i] = a[i] * b[i];
}

void scale_t(const float* x, float s, float* y, int64_t n) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto vs = hn::Set(d, s);
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, x + i), vs), d, y + i);
  for (; i < n; ++i) y[i] = x[i] * s;
}

void axpy_t(float a, const float* x, float* y, int64_t n) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto va = hn::Set(d, a);
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::MulAdd(va, hn::LoadU(d, x + i), hn::LoadU(d, y + i)), d, y + i);
  for (; i < n; ++i) y[i] += a * x[i];
}

float dot_f32_t(const float* a, const float* b, int64_t n) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  auto acc0 = hn::Zero(d), acc1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    acc0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), acc0);
    acc1 = hn::MulAdd(hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N), acc1);
  }
  for (; i + N <= n; i += N) acc0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), acc0);
  float sum = hn::GetLane(hn::SumOfLanes(d, hn::Add(acc0, acc1)));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

}  // namespace HWY_NAMESPACE
}  // namespace occam::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace occam::kernels {

HWY_EXPORT(rmsnorm_t);
HWY_EXPORT(layernorm_t);
HWY_EXPORT(softmax_t);
HWY_EXPORT(silu_t);
HWY_EXPORT(swiglu_t);
HWY_EXPORT(gelu_t);
HWY_EXPORT(softcap_t);
HWY_EXPORT(add_t);
HWY_EXPORT(mul_t);
HWY_EXPORT(scale_t);
HWY_EXPORT(axpy_t);
HWY_EXPORT(dot_f32_t);

void rmsnorm(const float* x, const float* w, float* y, int64_t n, float eps) {
  HWY_DYNAMIC_DISPATCH(rmsnorm_t)(x, w, y, n, eps);
}
void layernorm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps) {
  HWY_DYNAMIC_DISPATCH(layernorm_t)(x, w, b, y, n, eps);
}
void softmax(float* x, int64_t n) { HWY_DYNAMIC_DISPATCH(softmax_t)(x, n); }
void silu(const float* x, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(silu_t)(x, y, n); }
void swiglu(const float* g, const float* u, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(swiglu_t)(g, u, y, n); }
void gelu(const float* x, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(gelu_t)(x, y, n); }
void softcap(const float* x, float* y, int64_t n, float c) { HWY_DYNAMIC_DISPATCH(softcap_t)(x, y, n, c); }
void add(const float* a, const float* b, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(add_t)(a, b, y, n); }
void mul(const float* a, const float* b, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(mul_t)(a, b, y, n); }
void scale(const float* x, float s, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(scale_t)(x, s, y, n); }
void axpy(float a, const float* x, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(axpy_t)(a, x, y, n); }
float dot_f32(const float* a, const float* b, int64_t n) { return HWY_DYNAMIC_DISPATCH(dot_f32_t)(a, b, n); }

// ggml's GELU table: for every f16 input h, f16(gelu_f32(h)) computed in float with tanhf.
void gelu_f16(const float* x, float* y, int64_t n) {
  static const std::unique_ptr<uint16_t[]> table = [] {
    auto t = std::make_unique<uint16_t[]>(1 << 16);
    for (uint32_t h = 0; h < (1u << 16); ++h) {
      const float f = detail::h2f(static_cast<uint16_t>(h));
      // ggml is built with FP contraction, which fuses 1 + a·x·x into one fma.
      const float inner = detail::kSqrt2OverPi * f * std::fma(detail::kGeluA * f, f, 1.0f);
      t[h] = detail::f2h(0.5f * f * (1.0f + std::tanh(inner)));
    }
    return t;
  }();
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (v <= -10.0f) {
      y[i] = 0.0f;
    } else if (v >= 10.0f) {
      y[i] = v;
    } else {
      y[i] = detail::h2f(table[detail::f2h(v)]);
    }
  }
}

}  // namespace occam::kernels
#endif
