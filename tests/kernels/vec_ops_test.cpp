// Vector ops against double-precision formulas, on every SIMD target, with lengths that leave tails.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "kernels_test_util.h"

namespace occam::kernels {
namespace {

class VecOps : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_TRUE(force_simd_target(GetParam()).ok()); }
  void TearDown() override { ASSERT_TRUE(force_simd_target("").ok()); }
};

const int64_t kLengths[] = {1, 7, 16, 33, 896, 4865};

double gelu_ref(double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }

TEST_P(VecOps, ElementWise) {
  for (int64_t n : kLengths) {
    SCOPED_TRACE(n);
    const std::vector<float> a = testing::random_values(static_cast<size_t>(n), 11, 3.0f);
    const std::vector<float> b = testing::random_values(static_cast<size_t>(n), 12);
    std::vector<float> y(static_cast<size_t>(n));
    silu(a.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], a[i] / (1 + std::exp(-static_cast<double>(a[i]))), 1e-5 * (1 + std::fabs(a[i])));
    swiglu(a.data(), b.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_NEAR(y[i], a[i] / (1 + std::exp(-static_cast<double>(a[i]))) * b[i], 1e-5 * (1 + std::fabs(a[i] * b[i])));
    }
    gelu(a.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], gelu_ref(a[i]), 1e-5 * (1 + std::fabs(a[i])));
    softcap(a.data(), y.data(), n, 2.5f);
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], 2.5 * std::tanh(a[i] / 2.5), 1e-5);
    add(a.data(), b.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], a[i] + b[i]);
    mul(a.data(), b.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], a[i] * b[i]);
    scale(a.data(), 0.125f, y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], a[i] * 0.125f);
    y = b;
    axpy(-1.5f, a.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], b[i] - 1.5 * a[i], 1e-6 * (1 + std::fabs(a[i])));
    double dot = 0, mag = 0;
    for (int64_t i = 0; i < n; ++i) {
      dot += static_cast<double>(a[i]) * b[i];
      mag += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    ASSERT_NEAR(dot_f32(a.data(), b.data(), n), dot, 1e-6 * mag + 1e-30);
    // In place.
    y = a;
    silu(y.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], a[i] / (1 + std::exp(-static_cast<double>(a[i]))), 1e-5 * (1 + std::fabs(a[i])));
  }
  // Extremes: no NaN or overflow.
  const std::vector<float> big = {-1000.f, -100.f, -88.5f, 88.5f, 100.f, 1000.f, 0.f, -0.f};
  std::vector<float> y(big.size());
  silu(big.data(), y.data(), static_cast<int64_t>(big.size()));
  for (size_t i = 0; i < big.size(); ++i) EXPECT_NEAR(y[i], big[i] > 0 ? big[i] : 0.0f, 1e-3) << big[i];
  gelu(big.data(), y.data(), static_cast<int64_t>(big.size()));
  for (size_t i = 0; i < big.size(); ++i) EXPECT_NEAR(y[i], big[i] > 0 ? big[i] : 0.0f, 1e-3) << big[i];
}

TEST_P(VecOps, Norms) {
  for (int64_t n : kLengths) {
    SCOPED_TRACE(n);
    const std::vector<float> x = testing::random_values(static_cast<size_t>(n), 21, 2.0f);
    const std::vector<float> w = testing::random_values(static_cast<size_t>(n), 22);
    const std::vector<float> b = testing::random_values(static_cast<size_t>(n), 23);
    std::vector<float> y(static_cast<size_t>(n));
    double ss = 0, sum = 0;
    for (float v : x) {
      ss += static_cast<double>(v) * v;
      sum += v;
    }
    const double rs = 1 / std::sqrt(ss / n + 1e-5);
    rmsnorm(x.data(), w.data(), y.data(), n, 1e-5f);
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], x[i] * rs * w[i], 1e-5 * (1 + std::fabs(x[i] * rs * w[i])));
    rmsnorm(x.data(), nullptr, y.data(), n, 1e-5f);
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], x[i] * rs, 1e-5 * (1 + std::fabs(x[i] * rs)));
    const double mean = sum / n;
    double var = 0;
    for (float v : x) var += (v - mean) * (v - mean);
    var /= n;
    const double ls = 1 / std::sqrt(var + 1e-12);
    y = x;  // in place
    layernorm(y.data(), w.data(), b.data(), y.data(), n, 1e-12f);
    for (int64_t i = 0; i < n; ++i) {
      const double want = (x[i] - mean) * ls * w[i] + b[i];
      ASSERT_NEAR(y[i], want, 1e-5 * (1 + std::fabs(want)));
    }
  }
}

TEST_P(VecOps, SoftmaxWithMaskedEntries) {
  for (int64_t n : kLengths) {
    SCOPED_TRACE(n);
    std::vector<float> x = testing::random_values(static_cast<size_t>(n), 31, 5.0f);
    for (int64_t i = 1; i < n; i += 3) x[i] = -std::numeric_limits<float>::infinity();
    x[0] += 500.0f;  // large logits must not overflow
    double max = -INFINITY;
    for (float v : x) max = std::max(max, static_cast<double>(v));
    std::vector<double> e(x.size());
    double sum = 0;
    for (size_t i = 0; i < x.size(); ++i) sum += e[i] = std::exp(x[i] - max);
    std::vector<float> y = x;
    softmax(y.data(), n);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_NEAR(y[i], e[i] / sum, 1e-6);
      total += y[i];
      if (i % 3 == 1) {
        ASSERT_EQ(y[i], 0.0f);
      }
    }
    EXPECT_NEAR(total, 1.0, 1e-5);
  }
  std::vector<float> masked(5, -std::numeric_limits<float>::infinity());
  softmax(masked.data(), 5);
  for (float v : masked) EXPECT_EQ(v, 0.0f);
}

INSTANTIATE_TEST_SUITE_P(Kernels, VecOps, ::testing::ValuesIn(simd_targets()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// llama.cpp's GELU: f16 input, f16 output, clamped outside ±10.
TEST(GeluF16, ReproducesTheF16Table) {
  std::vector<float> x;
  for (float v = -12.0f; v <= 12.0f; v += 0.01237f) x.push_back(v);
  x.push_back(-10.0f);
  x.push_back(10.0f);
  std::vector<float> y(x.size());
  gelu_f16(x.data(), y.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const float v = x[i];
    if (v <= -10.0f) {
      ASSERT_EQ(y[i], 0.0f);
    } else if (v >= 10.0f) {
      ASSERT_EQ(y[i], v);
    } else {
      const double xin = fp16_to_fp32(fp32_to_fp16(v));
      EXPECT_EQ(fp16_to_fp32(fp32_to_fp16(y[i])), y[i]) << "output is an f16 value";
      ASSERT_NEAR(y[i], gelu_ref(xin), 1e-3 * (1 + std::fabs(xin))) << v;
      // The input is rounded to f16 first: every input in the same f16 bucket gives the same output.
      float same = fp16_to_fp32(fp32_to_fp16(v)), out;
      gelu_f16(&same, &out, 1);
      ASSERT_EQ(out, y[i]);
    }
  }
}

}  // namespace
}  // namespace occam::kernels
