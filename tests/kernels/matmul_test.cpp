// matmul against float64 references, for every weight type, token count, odd shape and SIMD target.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/detail/blocks.h"
#include "kernels/kernels.h"
#include "kernels_test_util.h"

namespace occam::kernels {
namespace {

// The activations exactly as matmul converts them (white box: the same detail functions), so that the
// float64 reference differs from matmul only by float accumulation order.
std::vector<float> converted_activation(Type type, const float* x, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  switch (type) {
    case Type::Q4_0: case Type::Q5_0: case Type::Q8_0: case Type::Q4_1: case Type::Q5_1: {
      std::vector<detail::ActQ8> a(static_cast<size_t>(n / 32));
      detail::quantize_act_q8(x, a.data(), n, false);
      for (int64_t i = 0; i < n; ++i) out[i] = a[i / 32].d * static_cast<float>(a[i / 32].qs[i % 32]);
      break;
    }
    case Type::Q4_K: case Type::Q5_K: case Type::Q6_K: {
      std::vector<detail::BlockQ8_K> a(static_cast<size_t>(n / 256));
      detail::quantize_act_q8_k(x, a.data(), n);
      for (int64_t i = 0; i < n; ++i) out[i] = a[i / 256].d * static_cast<float>(a[i / 256].qs[i % 256]);
      break;
    }
    case Type::F16:
      for (int64_t i = 0; i < n; ++i) out[i] = fp16_to_fp32(fp32_to_fp16(x[i]));
      break;
    case Type::BF16:
      for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_fp32(fp32_to_bf16(x[i]));
      break;
    default:
      std::memcpy(out.data(), x, static_cast<size_t>(n) * sizeof(float));
  }
  return out;
}

struct Weights {
  Type type;
  int64_t ne0, n_rows;
  std::vector<uint8_t> bytes;
  std::vector<float> dequantized;
};

Weights make_weights(Type type, int64_t ne0, int64_t n_rows, uint32_t seed) {
  Weights w{type, ne0, n_rows, std::vector<uint8_t>(row_bytes(type, ne0) * n_rows),
            std::vector<float>(static_cast<size_t>(ne0 * n_rows))};
  const size_t rb = row_bytes(type, ne0);
  if (traits(type).can_quantize) {
    const std::vector<float> v = testing::random_values(static_cast<size_t>(ne0 * n_rows), seed, 0.05f);
    for (int64_t r = 0; r < n_rows; ++r) {
      EXPECT_TRUE(quantize_row(type, v.data() + r * ne0, w.bytes.data() + r * rb, ne0).ok());
    }
  } else {  // Q2_K / Q3_K: random bits with small, finite f16 scales
    std::mt19937 rng(seed);
    for (uint8_t& b : w.bytes) b = static_cast<uint8_t>(rng());
    const size_t bb = traits(type).block_bytes;
    const uint16_t d = fp32_to_fp16(0.01f), dmin = fp32_to_fp16(0.005f);
    for (size_t off = 0; off < w.bytes.size(); off += bb) {
      if (type == Type::Q2_K) {
        std::memcpy(&w.bytes[off + 80], &d, 2);
        std::memcpy(&w.bytes[off + 82], &dmin, 2);
      } else {
        std::memcpy(&w.bytes[off + 108], &d, 2);
      }
    }
  }
  for (int64_t r = 0; r < n_rows; ++r) dequantize_row(type, w.bytes.data() + r * rb, w.dequantized.data() + r * ne0, ne0);
  return w;
}

// Q4_1/Q5_1 products take Σ x of a block from the activation's f16 field s = f16(d·Σq), as llama.cpp
// does (m_w·s), not from d·Σq: the difference, per row.
double q8_1_sum_correction(const Weights& w, int64_t r, const float* x) {
  if (w.type != Type::Q4_1 && w.type != Type::Q5_1) return 0;
  std::vector<detail::ActQ8> a(static_cast<size_t>(w.ne0 / 32));
  detail::quantize_act_q8(x, a.data(), w.ne0, true);
  const size_t bb = traits(w.type).block_bytes;
  double c = 0;
  for (int64_t b = 0; b < w.ne0 / 32; ++b) {
    uint16_t mh;
    std::memcpy(&mh, w.bytes.data() + r * row_bytes(w.type, w.ne0) + b * bb + 2, 2);
    int sum = 0;
    for (int8_t q : a[b].qs) sum += q;
    c += static_cast<double>(fp16_to_fp32(mh)) * (a[b].s - static_cast<double>(a[b].d) * sum);
  }
  return c;
}

// max |got − ref| / (Σ |w|·|x| of the row), the scale of float accumulation error.
double compare(const Weights& w, const std::vector<float>& x, int64_t n_tokens, const std::vector<float>& y,
               bool converted) {
  double worst = 0;
  for (int64_t t = 0; t < n_tokens; ++t) {
    const std::vector<float> xt =
        converted ? converted_activation(w.type, x.data() + t * w.ne0, w.ne0)
                  : std::vector<float>(x.begin() + t * w.ne0, x.begin() + (t + 1) * w.ne0);
    for (int64_t r = 0; r < w.n_rows; ++r) {
      double ref = converted ? q8_1_sum_correction(w, r, x.data() + t * w.ne0) : 0, mag = 0;
      for (int64_t c = 0; c < w.ne0; ++c) {
        const double p = static_cast<double>(w.dequantized[r * w.ne0 + c]) * xt[c];
        ref += p;
        mag += std::fabs(p);
      }
      worst = std::max(worst, std::fabs(y[t * w.n_rows + r] - ref) / std::max(mag, 1e-30));
    }
  }
  return worst;
}

const Type kTypes[] = {Type::F32, Type::F16,  Type::BF16, Type::Q4_0, Type::Q4_1, Type::Q5_0, Type::Q5_1,
                       Type::Q8_0, Type::Q2_K, Type::Q3_K, Type::Q4_K, Type::Q5_K, Type::Q6_K};

struct Shape {
  int64_t ne0_blocks;  // row length in blocks of the type (F32/F16/BF16: elements / 32, plus odd below)
  int64_t n_rows;
};

class MatmulTargets : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_TRUE(force_simd_target(GetParam()).ok()); }
  void TearDown() override { ASSERT_TRUE(force_simd_target("").ok()); }
};

TEST_P(MatmulTargets, MatchesFloat64Reference) {
  ThreadPool pool(3);
  const Shape shapes[] = {{1, 1}, {3, 7}, {2, 37}, {5, 64}};
  uint32_t seed = 1;
  for (Type type : kTypes) {
    const int64_t bs = traits(type).block_size == 1 ? 32 : traits(type).block_size;
    for (const Shape& shape : shapes) {
      for (int64_t ne0 : {shape.ne0_blocks * bs, traits(type).block_size == 1 ? shape.ne0_blocks * bs + 5 : 0}) {
        if (ne0 == 0) continue;
        const Weights w = make_weights(type, ne0, shape.n_rows, seed++);
        for (int64_t n_tokens : {1, 2, 3, 4, 6, 8, 64}) {
          SCOPED_TRACE(std::string(traits(type).name) + " ne0=" + std::to_string(ne0) + " rows=" +
                       std::to_string(shape.n_rows) + " tokens=" + std::to_string(n_tokens));
          const std::vector<float> x = testing::random_values(static_cast<size_t>(ne0 * n_tokens), seed++);
          std::vector<float> y(static_cast<size_t>(w.n_rows * n_tokens), NAN);
          matmul({type, w.bytes.data(), ne0, w.n_rows, 0}, x.data(), n_tokens, y.data(), pool);
          const bool integer_act = type != Type::Q2_K && type != Type::Q3_K;
          // Against the exactly converted activations: only float rounding of the sums remains.
          EXPECT_LE(compare(w, x, n_tokens, y, integer_act), 2e-5);
          // Against the raw F32 activations: the activation quantization error of llama.cpp (8 bits).
          EXPECT_LE(compare(w, x, n_tokens, y, false), type == Type::F32 ? 2e-5 : 2e-2);
          // The pool-less overload computes the same values.
          std::vector<float> y1(y.size(), NAN);
          matmul({type, w.bytes.data(), ne0, w.n_rows, 0}, x.data(), n_tokens, y1.data());
          for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y1[i], y[i], 1e-5 * (1 + std::fabs(y[i])));
        }
      }
    }
  }
}

TEST_P(MatmulTargets, RowStrideSelectsRows) {
  // A view of every other row of a larger matrix (e.g. a slice of a fused tensor).
  const Weights w = make_weights(Type::Q8_0, 64, 10, 99);
  const size_t rb = row_bytes(Type::Q8_0, 64);
  const std::vector<float> x = testing::random_values(64, 5);
  std::vector<float> strided(5), direct(1);
  ThreadPool pool(2);
  matmul({Type::Q8_0, w.bytes.data(), 64, 5, 2 * rb}, x.data(), 1, strided.data(), pool);
  for (int r = 0; r < 5; ++r) {
    matmul({Type::Q8_0, w.bytes.data() + 2 * r * rb, 64, 1, 0}, x.data(), 1, direct.data());
    EXPECT_EQ(strided[r], direct[0]);
  }
}

std::vector<std::string> target_names() { return simd_targets(); }

INSTANTIATE_TEST_SUITE_P(Kernels, MatmulTargets, ::testing::ValuesIn(target_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Every SIMD target against the portable twin, on shapes of a real model (Qwen2.5-0.5B rows).
TEST(MatmulTargetsAgree, SameResultsOnEveryTarget) {
  const std::vector<std::string> targets = simd_targets();
  ASSERT_GE(targets.size(), 2u) << "expected at least one SIMD target and the portable twin";
  ThreadPool pool(2);
  for (Type type : {Type::Q8_0, Type::Q5_0, Type::Q4_K, Type::Q6_K, Type::F16}) {
    const int64_t ne0 = type == Type::Q8_0 || type == Type::Q5_0 || type == Type::F16 ? 896 : 4864;
    const Weights w = make_weights(type, ne0, 24, 3);
    const std::vector<float> x = testing::random_values(static_cast<size_t>(ne0 * 5), 4);
    std::vector<std::vector<float>> results;
    for (const std::string& target : targets) {
      ASSERT_TRUE(force_simd_target(target).ok());
      EXPECT_EQ(current_simd_target(), target);
      results.emplace_back(static_cast<size_t>(24 * 5));
      matmul({type, w.bytes.data(), ne0, 24, 0}, x.data(), 5, results.back().data(), pool);
    }
    ASSERT_TRUE(force_simd_target("").ok());
    for (size_t k = 0; k + 1 < results.size(); ++k) {
      for (size_t i = 0; i < results[k].size(); ++i) {
        ASSERT_NEAR(results[k][i], results.back()[i], 1e-4 * (1 + std::fabs(results.back()[i])))
            << traits(type).name << " " << targets[k] << " vs " << targets.back() << " at " << i;
      }
    }
  }
  EXPECT_FALSE(force_simd_target("NEON").ok());
}

}  // namespace
}  // namespace occam::kernels
