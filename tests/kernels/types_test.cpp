// Type table, row sizes, argument checks and the fp16/bf16 conversions.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernels/kernels.h"

namespace occam::kernels {
namespace {

TEST(Types, TableMatchesGgml) {
  struct Row {
    uint32_t id;
    const char* name;
    int64_t block_size;
    size_t block_bytes;
  };
  const Row rows[] = {
      {0, "F32", 1, 4},       {1, "F16", 1, 2},       {2, "Q4_0", 32, 18},    {3, "Q4_1", 32, 20},
      {6, "Q5_0", 32, 22},    {7, "Q5_1", 32, 24},    {8, "Q8_0", 32, 34},    {9, "Q8_1", 32, 36},
      {10, "Q2_K", 256, 84},  {11, "Q3_K", 256, 110}, {12, "Q4_K", 256, 144}, {13, "Q5_K", 256, 176},
      {14, "Q6_K", 256, 210}, {15, "Q8_K", 256, 292}, {30, "BF16", 1, 2},
  };
  for (const Row& row : rows) {
    const TypeTraits* t = find_type(row.id);
    ASSERT_NE(t, nullptr) << row.name;
    EXPECT_STREQ(t->name, row.name);
    EXPECT_EQ(t->block_size, row.block_size) << row.name;
    EXPECT_EQ(t->block_bytes, row.block_bytes) << row.name;
    EXPECT_EQ(static_cast<uint32_t>(t->type), row.id);
  }
  for (uint32_t id : {4u, 5u, 16u, 29u, 31u, 1000u}) EXPECT_EQ(find_type(id), nullptr) << id;
  EXPECT_EQ(row_bytes(Type::Q4_K, 4864), 19u * 144u);
  EXPECT_EQ(row_bytes(Type::Q8_0, 896), 28u * 34u);
  EXPECT_EQ(row_bytes(Type::F16, 7), 14u);
}

TEST(Types, CheckRowRejectsBadLengthsAndOperations) {
  EXPECT_TRUE(check_row(Type::Q4_K, 512, Op::matmul).ok());
  const Status bad_len = check_row(Type::Q4_K, 896, Op::dequantize);
  ASSERT_FALSE(bad_len.ok());
  EXPECT_EQ(bad_len.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(bad_len.error().message().find("Q4_K"), std::string::npos);
  EXPECT_FALSE(check_row(Type::F32, 0, Op::dequantize).ok());
  const Status no_quant = check_row(Type::Q3_K, 256, Op::quantize);
  ASSERT_FALSE(no_quant.ok());
  EXPECT_EQ(no_quant.error().code(), ErrorCode::unsupported);
  EXPECT_FALSE(check_row(Type::Q8_K, 256, Op::matmul).ok());
  EXPECT_FALSE(check_row(static_cast<Type>(4), 32, Op::dequantize).ok());
  std::vector<uint8_t> out(1000);
  std::vector<float> in(64, 1.0f);
  EXPECT_FALSE(quantize_row(Type::Q8_0, in.data(), out.data(), 33).ok());
}

TEST(Types, CheckWeight) {
  std::vector<uint8_t> data(34 * 4);
  EXPECT_TRUE(check_weight({Type::Q8_0, data.data(), 64, 2, 0}).ok());
  EXPECT_FALSE(check_weight({Type::Q8_0, data.data(), 64, 0, 0}).ok());
  EXPECT_FALSE(check_weight({Type::Q8_0, nullptr, 64, 2, 0}).ok());
  EXPECT_FALSE(check_weight({Type::Q8_0, data.data(), 64, 2, 10}).ok());
  EXPECT_FALSE(check_weight({Type::Q8_0, data.data(), 65, 2, 0}).ok());
}

TEST(Fp16, KnownValuesAndRounding) {
  EXPECT_EQ(fp32_to_fp16(1.0f), 0x3C00);
  EXPECT_EQ(fp32_to_fp16(-2.0f), 0xC000);
  EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7BFF);
  EXPECT_EQ(fp32_to_fp16(1e6f), 0x7C00);                   // overflow → inf
  EXPECT_EQ(fp32_to_fp16(1.0f + 1.0f / 2048), 0x3C00);     // tie → even
  EXPECT_EQ(fp32_to_fp16(1.0f + 3.0f / 2048), 0x3C02);     // tie → even (up)
  EXPECT_EQ(fp16_to_fp32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  for (uint32_t h = 0; h < 0x7C00; ++h) {                  // every finite positive half round-trips
    ASSERT_EQ(fp32_to_fp16(fp16_to_fp32(static_cast<uint16_t>(h))), h);
  }
  std::vector<float> in = {0.1f, -3.5f, 1e-8f, 2.0e4f, 0.333f, 7.0f, -0.0f, 1.5f, 9.75f};
  std::vector<uint16_t> h(in.size());
  std::vector<float> back(in.size());
  fp32_to_fp16_row(in.data(), h.data(), static_cast<int64_t>(in.size()));
  fp16_to_fp32_row(h.data(), back.data(), static_cast<int64_t>(in.size()));
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(h[i], fp32_to_fp16(in[i]));
    EXPECT_EQ(back[i], fp16_to_fp32(h[i]));
  }
}

TEST(Bf16, RoundsToNearestEvenAndKeepsNan) {
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(bf16_to_fp32(0x3F80), 1.0f);
  EXPECT_EQ(fp32_to_bf16(1.0f + 1.0f / 256), 0x3F80);      // tie → even
  EXPECT_EQ(fp32_to_bf16(1.0f + 3.0f / 256), 0x3F82);      // tie → even (up)
  EXPECT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(fp32_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
}

}  // namespace
}  // namespace occam::kernels
