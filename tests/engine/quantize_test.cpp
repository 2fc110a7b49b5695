// `occam quantize` against llama-quantize: the shipped quantized test models were made from the F32
// ones with llama-quantize, so quantizing the same F32 file must give the same tensor types (the
// Q4_K_M mixture and fallbacks) and, with llama.cpp's reference quantizers, the same bytes.
#include <gtest/gtest.h>

#include <cstring>

#include "engine/quantize.h"
#include "gguf/gguf.h"
#include "test_support.h"

namespace occam::engine {
namespace {

struct QuantCase {
  const char* f32;
  const char* reference;
  const char* scheme;
};

void PrintTo(const QuantCase& c, std::ostream* os) { *os << c.reference << ' ' << c.scheme; }

class QuantizeTest : public ::testing::TestWithParam<QuantCase> {};

TEST_P(QuantizeTest, SameTypesAndBytesAsLlamaQuantize) {
  const QuantCase& c = GetParam();
  occam::testing::TempDir dir;
  const auto out_path = dir.path() / "out.gguf";
  auto stats = quantize_model(occam::testing::shared_file(c.f32), out_path, c.scheme, 2);
  ASSERT_TRUE(stats.ok()) << stats.error().message();
  auto got = gguf::File::open(out_path);
  auto ref = gguf::File::open(occam::testing::shared_file(c.reference));
  ASSERT_TRUE(got.ok() && ref.ok());
  ASSERT_EQ(got->tensors().size(), ref->tensors().size());
  int identical = 0;
  for (const gguf::TensorInfo& r : ref->tensors()) {
    const gguf::TensorInfo* g = got->find_tensor(r.name);
    ASSERT_NE(g, nullptr) << r.name;
    EXPECT_EQ(gguf::to_string(g->type), gguf::to_string(r.type)) << r.name;
    if (g->type != r.type || g->n_bytes != r.n_bytes) continue;
    const bool same = std::memcmp(g->data, r.data, r.n_bytes) == 0;
    EXPECT_TRUE(same) << r.name << " (" << gguf::to_string(r.type) << ") differs from llama-quantize's bytes";
    identical += same;
  }
  EXPECT_EQ(identical, static_cast<int>(ref->tensors().size()));
  auto file_type = got->get_integer<uint32_t>("general.file_type");
  auto ref_type = ref->get_integer<uint32_t>("general.file_type");
  ASSERT_TRUE(file_type.ok() && ref_type.ok());
  EXPECT_EQ(*file_type, *ref_type);
}

INSTANTIATE_TEST_SUITE_P(
    Shipped, QuantizeTest,
    ::testing::Values(QuantCase{"models/tiny/llama-F32.gguf", "models/tiny/llama-Q8_0.gguf", "Q8_0"},
                      QuantCase{"models/tiny/llama-F32.gguf", "models/tiny/llama-Q4_0.gguf", "Q4_0"},
                      QuantCase{"models/tiny/llama-F32.gguf", "models/tiny/llama-Q6_K.gguf", "Q6_K"},
                      QuantCase{"models/tiny/llama-F32.gguf", "models/tiny/llama-Q4_K_M.gguf", "Q4_K_M"},
                      QuantCase{"models/tiny/llama-F32.gguf", "models/tiny/llama-F16.gguf", "F16"},
                      QuantCase{"models/tiny/qwen2-F32.gguf", "models/tiny/qwen2-Q4_K_M.gguf", "Q4_K_M"},
                      QuantCase{"models/tiny/qwen2-F32.gguf", "models/tiny/qwen2-Q8_0.gguf", "Q8_0"},
                      QuantCase{"models/tiny/phi3-F32.gguf", "models/tiny/phi3-Q4_K_M.gguf", "Q4_K_M"},
                      QuantCase{"models/tiny/bert-F32.gguf", "models/tiny/bert-Q8_0.gguf", "Q8_0"}),
    [](const ::testing::TestParamInfo<QuantCase>& info) {
      std::string name = std::string(info.param.reference).substr(12);
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

// Rows that are not a multiple of 256 (SmolLM2: 576, Qwen2.5-0.5B: 896) fall back as llama.cpp does.
TEST(QuantizeRules, Q4KMFallbacksForNarrowRows) {
  auto scheme = parse_quant_scheme("Q4_K_M");
  ASSERT_TRUE(scheme.ok());
  const QuantLayout tied{24, false};
  using gguf::TensorType;
  EXPECT_EQ(choose_tensor_type(*scheme, "token_embd.weight", 896, tied), TensorType::Q8_0);
  EXPECT_EQ(choose_tensor_type(*scheme, "blk.5.attn_q.weight", 896, tied), TensorType::Q5_0);
  EXPECT_EQ(choose_tensor_type(*scheme, "blk.0.attn_v.weight", 896, tied), TensorType::Q8_0);   // more bits
  EXPECT_EQ(choose_tensor_type(*scheme, "blk.4.attn_v.weight", 896, tied), TensorType::Q5_0);
  EXPECT_EQ(choose_tensor_type(*scheme, "blk.0.ffn_down.weight", 4864, tied), TensorType::Q6_K);
  EXPECT_EQ(choose_tensor_type(*scheme, "blk.4.ffn_down.weight", 4864, tied), TensorType::Q4_K);
  EXPECT_EQ(choose_tensor_type(*scheme, "blk.5.ffn_down.weight", 4864, tied), TensorType::Q6_K);  // (5-3)%3==2
  EXPECT_FALSE(is_quantizable("blk.0.attn_norm.weight", 1));
  EXPECT_FALSE(is_quantizable("position_embd.weight", 2));
  EXPECT_FALSE(parse_quant_scheme("Q3_XYZ").ok());
}

}  // namespace
}  // namespace occam::engine
