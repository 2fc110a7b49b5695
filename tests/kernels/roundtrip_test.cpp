// quantize_row → dequantize_row on synthetic data: error bounds per type, and degenerate blocks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/kernels.h"
#include "kernels_test_util.h"

namespace occam::kernels {
namespace {

struct Bound {
  Type type;
  double rms;  // RMS error / RMS value, N(0, 1) data with outliers
};

const Bound kBounds[] = {
    {Type::F16, 3e-4},  {Type::BF16, 3e-3}, {Type::Q8_0, 8e-3}, {Type::Q8_1, 8e-3}, {Type::Q8_K, 1.5e-2},
    {Type::Q6_K, 2.5e-2}, {Type::Q5_0, 6e-2}, {Type::Q5_1, 6e-2}, {Type::Q5_K, 6e-2}, {Type::Q4_0, 1.2e-1},
    {Type::Q4_1, 1.2e-1}, {Type::Q4_K, 1.2e-1},
};

TEST(RoundTrip, ErrorWithinTheFormatsStep) {
  constexpr int64_t n = 256 * 24;
  const std::vector<float> x = testing::random_values(n, 7);
  for (const Bound& bound : kBounds) {
    const TypeTraits& t = traits(bound.type);
    SCOPED_TRACE(t.name);
    std::vector<uint8_t> q(row_bytes(bound.type, n));
    std::vector<float> y(n);
    ASSERT_TRUE(quantize_row(bound.type, x.data(), q.data(), n).ok());
    dequantize_row(bound.type, q.data(), y.data(), n);
    double err2 = 0;
    for (int64_t i = 0; i < n; ++i) err2 += (static_cast<double>(y[i]) - x[i]) * (y[i] - x[i]);
    const double rel = std::sqrt(err2 / n) / testing::rms(x);
    EXPECT_LE(rel, bound.rms);
    EXPECT_GT(rel, bound.rms / 50) << "suspiciously exact: is the row really quantized?";
  }
}

TEST(RoundTrip, ZeroAndConstantBlocks) {
  constexpr int64_t n = 512;
  for (const Bound& bound : kBounds) {
    SCOPED_TRACE(traits(bound.type).name);
    std::vector<uint8_t> q(row_bytes(bound.type, n));
    std::vector<float> y(n, 1.0f);
    const std::vector<float> zeros(n, 0.0f);
    ASSERT_TRUE(quantize_row(bound.type, zeros.data(), q.data(), n).ok());
    dequantize_row(bound.type, q.data(), y.data(), n);
    for (float v : y) ASSERT_EQ(v, 0.0f);
    const std::vector<float> constant(n, -0.75f);
    ASSERT_TRUE(quantize_row(bound.type, constant.data(), q.data(), n).ok());
    dequantize_row(bound.type, q.data(), y.data(), n);
    for (float v : y) ASSERT_NEAR(v, -0.75f, 0.75f * 0.02f);
  }
}

// Q2_K and Q3_K are read-only here: a hand-built block must decode to the documented formula.
TEST(RoundTrip, Q2KAndQ3KDecodeTheirLayout) {
  std::vector<uint8_t> q2(84, 0);
  for (int i = 0; i < 16; ++i) q2[i] = static_cast<uint8_t>((i % 16) | (1 << 4));  // scale i, min 1
  for (int i = 0; i < 64; ++i) q2[16 + i] = 0xE4;  // 2-bit values 0,1,2,3 at shifts 0,2,4,6
  const uint16_t one = fp32_to_fp16(1.0f), half = fp32_to_fp16(0.5f);
  std::memcpy(&q2[80], &one, 2);
  std::memcpy(&q2[82], &half, 2);
  std::vector<float> y(256);
  dequantize_row(Type::Q2_K, q2.data(), y.data(), 256);
  // Element 0: group 0 (scale 0): 0·0 − 0.5 ; element 16..31 group 1 (scale 1), shift 0 → q = 0.
  EXPECT_EQ(y[0], -0.5f);
  EXPECT_EQ(y[16], -0.5f);
  // Elements 32..47: shift 2 → q = 1, group 2 (scale 2): 2·1 − 0.5.
  EXPECT_EQ(y[32], 1.5f);
  // Elements 224..239: second half, shift 6 → q = 3, group 14: 14·3 − 0.5.
  EXPECT_EQ(y[224], 41.5f);

  std::vector<uint8_t> q3(110, 0);
  std::fill(q3.begin(), q3.begin() + 32, 0xFF);  // every high bit set: no −4
  for (int i = 0; i < 64; ++i) q3[32 + i] = 0xE4;
  for (int i = 0; i < 8; ++i) q3[96 + i] = 0x11;  // low 4 bits of scales: 1
  for (int i = 8; i < 12; ++i) q3[96 + i] = 0xAA;  // high 2 bits: 2 → scale = 33 − 32 = 1
  std::memcpy(&q3[108], &one, 2);
  dequantize_row(Type::Q3_K, q3.data(), y.data(), 256);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[32], 1.0f);
  EXPECT_EQ(y[96], 3.0f);
  q3[0] = 0xFE;  // element 0 loses its high bit at shift 0 → q − 4
  dequantize_row(Type::Q3_K, q3.data(), y.data(), 256);
  EXPECT_EQ(y[0], -4.0f);
}

}  // namespace
}  // namespace occam::kernels
