// Every tensor of the shared quantized tiny models, dequantized, against the same tensor of the F32
// model; and the F32 tensors re-quantized, against the bytes llama-quantize wrote.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "kernels/kernels.h"
#include "test_support.h"

namespace occam::kernels {
namespace {

struct ModelPair {
  const char* quantized;
  const char* f32;
};

const ModelPair kPairs[] = {
    {"models/tiny/llama-Q4_0.gguf", "models/tiny/llama-F32.gguf"},
    {"models/tiny/llama-Q4_K_M.gguf", "models/tiny/llama-F32.gguf"},
    {"models/tiny/llama-Q6_K.gguf", "models/tiny/llama-F32.gguf"},
    {"models/tiny/llama-Q8_0.gguf", "models/tiny/llama-F32.gguf"},
    {"models/tiny/llama-F16.gguf", "models/tiny/llama-F32.gguf"},
    {"models/tiny/qwen2-Q8_0.gguf", "models/tiny/qwen2-F32.gguf"},
    {"models/tiny/qwen2-Q4_K_M.gguf", "models/tiny/qwen2-F32.gguf"},
    {"models/tiny/phi3-Q4_K_M.gguf", "models/tiny/phi3-F32.gguf"},
    {"models/tiny/bert-Q8_0.gguf", "models/tiny/bert-F32.gguf"},
};

// Largest error allowed per element, as a fraction of the largest |x| of its quantization block (the
// step of each format, with margin for the rounded scales and K-quant sub-block scales).
double step_fraction(Type type) {
  switch (type) {
    case Type::F16: return 1.0 / 1024;
    case Type::Q8_0: return 1.0 / 127;
    case Type::Q6_K: return 1.0 / 16;
    case Type::Q5_0: return 1.01 / 16;  // the top level is clamped: one full step, plus f16 rounding of d
    case Type::Q5_K: return 1.0 / 8;
    case Type::Q4_0: return 1.01 / 8;
    case Type::Q4_K: return 1.0 / 4;
    default: return 1.0;
  }
}

// RMS error / RMS value of a whole tensor.
double rms_fraction(Type type) {
  switch (type) {
    case Type::F16: return 5e-4;
    case Type::Q8_0: return 6e-3;
    case Type::Q6_K: return 2e-2;
    case Type::Q5_0: return 4e-2;
    case Type::Q5_K: return 4e-2;
    case Type::Q4_0: return 1e-1;
    case Type::Q4_K: return 1e-1;
    default: return 1.0;
  }
}

std::vector<float> f32_tensor(const gguf::TensorInfo& t) {
  std::vector<float> v(t.n_elements);
  std::memcpy(v.data(), t.data, t.n_elements * sizeof(float));
  return v;
}

TEST(ModelTensors, DequantizedTensorsMatchTheF32Model) {
  std::map<std::string, int> checked_per_type;
  for (const ModelPair& pair : kPairs) {
    SCOPED_TRACE(pair.quantized);
    auto quantized = gguf::File::open(occam::testing::shared_file(pair.quantized));
    auto f32 = gguf::File::open(occam::testing::shared_file(pair.f32));
    ASSERT_TRUE(quantized.ok()) << quantized.error().message();
    ASSERT_TRUE(f32.ok()) << f32.error().message();
    for (const gguf::TensorInfo& tq : quantized->tensors()) {
      SCOPED_TRACE(std::string(tq.name));
      const TypeTraits* traits = find_type(static_cast<uint32_t>(tq.type));
      ASSERT_NE(traits, nullptr) << "type id " << static_cast<uint32_t>(tq.type);
      const gguf::TensorInfo* tf = f32->find_tensor(tq.name);
      ASSERT_NE(tf, nullptr);
      ASSERT_EQ(tf->n_elements, tq.n_elements);
      const int64_t ne0 = static_cast<int64_t>(tq.row_length());
      ASSERT_TRUE(check_row(traits->type, ne0, Op::dequantize).ok());
      ASSERT_EQ(row_bytes(traits->type, ne0) * tq.n_rows(), tq.n_bytes);
      std::vector<float> got(tq.n_elements);
      for (uint64_t r = 0; r < tq.n_rows(); ++r) {
        dequantize_row(traits->type, tq.data + r * row_bytes(traits->type, ne0), got.data() + r * ne0, ne0);
      }
      const std::vector<float> want = f32_tensor(*tf);
      if (traits->type == Type::F32) {
        EXPECT_EQ(got, want);
        continue;
      }
      // Per element against its block's largest value; and over the tensor, RMS error against RMS value.
      const int64_t block = traits->block_size == 1 ? 32 : traits->block_size;
      double err2 = 0, ref2 = 0, worst = 0;
      for (size_t b = 0; b < want.size(); b += static_cast<size_t>(block)) {
        const size_t end = std::min(want.size(), b + static_cast<size_t>(block));
        double amax = 0;
        for (size_t i = b; i < end; ++i) amax = std::max(amax, std::fabs(static_cast<double>(want[i])));
        for (size_t i = b; i < end; ++i) {
          const double e = std::fabs(static_cast<double>(got[i]) - want[i]);
          err2 += e * e;
          ref2 += static_cast<double>(want[i]) * want[i];
          if (amax > 0) worst = std::max(worst, e / amax);
        }
      }
      EXPECT_LE(worst, step_fraction(traits->type)) << traits->name;
      EXPECT_LE(std::sqrt(err2 / ref2), rms_fraction(traits->type)) << traits->name;
      ++checked_per_type[traits->name];
    }
  }
  for (const char* name : {"F16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"}) {
    EXPECT_GT(checked_per_type[name], 0) << "no " << name << " tensor was checked";
  }
}

// Re-quantizes the F32 tensors and compares bytes with llama-quantize's output: whole rows.
struct MatchCount {
  uint64_t rows = 0, same_rows = 0, blocks = 0, same_blocks = 0;
};

std::map<std::string, MatchCount> requantize_all() {
  std::map<std::string, MatchCount> counts;
  for (const ModelPair& pair : kPairs) {
    auto quantized = gguf::File::open(occam::testing::shared_file(pair.quantized));
    auto f32 = gguf::File::open(occam::testing::shared_file(pair.f32));
    if (!quantized.ok() || !f32.ok()) {
      ADD_FAILURE() << pair.quantized << ": cannot open";
      continue;
    }
    for (const gguf::TensorInfo& tq : quantized->tensors()) {
      const TypeTraits* traits = find_type(static_cast<uint32_t>(tq.type));
      if (traits == nullptr || traits->type == Type::F32 || !traits->can_quantize) continue;
      const gguf::TensorInfo* tf = f32->find_tensor(tq.name);
      if (tf == nullptr) continue;
      const int64_t ne0 = static_cast<int64_t>(tq.row_length());
      const size_t rb = row_bytes(traits->type, ne0);
      const size_t bb = traits->block_bytes;
      std::vector<uint8_t> row(rb);
      const std::vector<float> x = f32_tensor(*tf);
      MatchCount& c = counts[traits->name];
      for (uint64_t r = 0; r < tq.n_rows(); ++r) {
        EXPECT_TRUE(quantize_row(traits->type, x.data() + r * ne0, row.data(), ne0).ok());
        const uint8_t* want = tq.data + r * rb;
        ++c.rows;
        c.same_rows += std::memcmp(row.data(), want, rb) == 0;
        for (size_t b = 0; b < rb; b += bb) {
          ++c.blocks;
          c.same_blocks += std::memcmp(row.data() + b, want + b, bb) == 0;
        }
      }
    }
  }
  return counts;
}

TEST(ModelTensors, QuantizersReproduceLlamaQuantizeBytes) {
  const auto counts = requantize_all();
  for (const auto& [name, c] : counts) {
    std::printf("[ requantize ] %-5s %6llu / %6llu blocks identical (%.4f %%), %llu / %llu rows\n", name.c_str(),
                static_cast<unsigned long long>(c.same_blocks), static_cast<unsigned long long>(c.blocks),
                100.0 * static_cast<double>(c.same_blocks) / static_cast<double>(c.blocks),
                static_cast<unsigned long long>(c.same_rows), static_cast<unsigned long long>(c.rows));
  }
  // Byte for byte, including the K-quant scale searches (same float arithmetic in the same order).
  for (const char* name : {"F16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"}) {
    ASSERT_TRUE(counts.count(name)) << name;
    EXPECT_EQ(counts.at(name).same_blocks, counts.at(name).blocks) << name;
  }
}

}  // namespace
}  // namespace occam::kernels
