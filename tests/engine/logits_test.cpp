// Every case of reference/logits/manifest.json against llama.cpp's outputs, with the tolerances of
// shared/README.md §3 (quantized: same top-1 where the margin is clear, rel ≤ 3e-2 / 8e-2 gemma2).
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "engine/engine.h"
#include "gguf/gguf.h"
#include "reference.h"
#include "test_support.h"

namespace occam::engine {
namespace {

using testing::ReferenceCase;

std::shared_ptr<const Model> load_cached(const std::string& relative) {
  static std::map<std::string, std::shared_ptr<const Model>> cache;
  auto it = cache.find(relative);
  if (it != cache.end()) return it->second;
  auto model = Model::load(occam::testing::shared_file(relative));
  EXPECT_TRUE(model.ok()) << model.error().message();
  if (!model.ok()) return nullptr;
  cache[relative] = *model;
  return *model;
}

struct Tolerance {
  double rel;
  double margin;  // compare top-1 where the reference margin exceeds this
};

Tolerance tolerance_for(const ReferenceCase& c) {
  const bool gemma = c.arch == "gemma2";
  if (c.kind == "embedding") return {c.weights == "F32" ? 1e-4 : 5e-3, 0};
  if (c.weights == "F32") return {gemma ? 1e-3 : 1e-4, 1e-3};
  if (c.weights == "F16") return {gemma ? 5e-3 : 2e-3, 0.02};
  return {gemma ? 8e-2 : 3e-2, 0.02};
}

class LogitsTest : public ::testing::TestWithParam<ReferenceCase> {};

TEST_P(LogitsTest, MatchesLlamaCpp) {
  const ReferenceCase& c = GetParam();
  auto model = load_cached(c.model);
  ASSERT_NE(model, nullptr);
  ContextOptions options;
  options.n_ctx = 256;
  options.kv_type = KvType::f32;  // as the references were computed
  options.threads = 2;
  auto ctx = Context::create(model, options);
  ASSERT_TRUE(ctx.ok()) << ctx.error().message();
  const Tolerance tol = tolerance_for(c);
  const std::vector<float> ref = testing::read_f32(c.file);
  ASSERT_FALSE(ref.empty()) << c.file;

  if (c.kind == "embedding") {
    auto got = (*ctx)->embed(c.tokens);
    ASSERT_TRUE(got.ok()) << got.error().message();
    ASSERT_EQ(got->size(), ref.size());
    double max_diff = 0, max_ref = 0, dot = 0, n_got = 0, n_ref = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      max_diff = std::max(max_diff, std::abs(static_cast<double>((*got)[i]) - ref[i]));
      max_ref = std::max(max_ref, std::abs(static_cast<double>(ref[i])));
      dot += static_cast<double>((*got)[i]) * ref[i];
      n_got += static_cast<double>((*got)[i]) * (*got)[i];
      n_ref += static_cast<double>(ref[i]) * ref[i];
    }
    const double cosine = dot / std::sqrt(n_got * n_ref);
    const double rel = max_diff / max_ref;
    std::printf("[ case ] %-20s rel %.3e cosine %.7f\n", c.id.c_str(), rel, cosine);
    EXPECT_GE(cosine, 0.9999);
    EXPECT_LE(rel, tol.rel);
    return;
  }

  Batch batch;
  for (size_t i = 0; i < c.tokens.size(); ++i) batch.add(c.tokens[i], static_cast<int32_t>(i), 0, true);
  ASSERT_TRUE((*ctx)->decode(batch).ok());
  ASSERT_EQ((*ctx)->n_outputs(), c.tokens.size());
  ASSERT_EQ(ref.size(), c.tokens.size() * c.width);
  double max_diff = 0, max_ref = 0;
  int top1_checked = 0, top1_same = 0;
  for (size_t t = 0; t < c.tokens.size(); ++t) {
    std::span<const float> got = (*ctx)->logits(t);
    ASSERT_EQ(got.size(), c.width);
    const float* r = ref.data() + t * c.width;
    for (size_t i = 0; i < c.width; ++i) {
      max_diff = std::max(max_diff, std::abs(static_cast<double>(got[i]) - r[i]));
      max_ref = std::max(max_ref, std::abs(static_cast<double>(r[i])));
    }
    if (c.top1_margin[t] > tol.margin) {
      ++top1_checked;
      const int32_t argmax = static_cast<int32_t>(std::max_element(got.begin(), got.end()) - got.begin());
      top1_same += argmax == c.top1[t];
      EXPECT_EQ(argmax, c.top1[t]) << "position " << t << " (reference margin " << c.top1_margin[t] << ")";
    }
  }
  const double rel = max_diff / max_ref;
  std::printf("[ case ] %-20s rel %.3e top-1 %d/%d\n", c.id.c_str(), rel, top1_same, top1_checked);
  EXPECT_LE(rel, tol.rel);
}

std::string case_name(const ::testing::TestParamInfo<ReferenceCase>& info) {
  std::string name = info.param.id;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Manifest, LogitsTest, ::testing::ValuesIn(testing::reference_cases()), case_name);

TEST(LogitsManifest, HasCases) { EXPECT_GE(testing::reference_cases().size(), 45u); }

}  // namespace
}  // namespace occam::engine

namespace occam::engine {
namespace {

// CLS pooling (pooling_type 2, e.g. BGE): the first token's final hidden state, which the reference
// gives per token.
TEST(Embedding, ClsPoolingIsTheFirstTokensHiddenState) {
  occam::testing::TempDir dir;
  const auto path = dir.path() / "bert-cls.gguf";
  {
    auto source = gguf::File::open(occam::testing::shared_file("models/tiny/bert-F32.gguf"));
    ASSERT_TRUE(source.ok());
    gguf::Writer w;
    ASSERT_TRUE(w.copy_metadata(*source).ok());
    w.set("bert.pooling_type", uint32_t{2});
    ASSERT_TRUE(w.copy_tensors(*source).ok());
    ASSERT_TRUE(w.write(path).ok());
  }
  auto model = Model::load(path);
  ASSERT_TRUE(model.ok()) << model.error().message();
  auto ctx = Context::create(*model, {.n_ctx = 256, .threads = 1});
  ASSERT_TRUE(ctx.ok());
  for (const ReferenceCase& c : testing::reference_cases()) {
    if (c.model != "models/tiny/bert-F32.gguf") continue;
    SCOPED_TRACE(c.id);
    std::string per_token = c.file;
    per_token.replace(per_token.find(".pooled."), 8, ".tokens.");
    const std::vector<float> ref = testing::read_f32(per_token);
    ASSERT_GE(ref.size(), c.width);
    auto got = (*ctx)->embed(c.tokens);
    ASSERT_TRUE(got.ok());
    double max_diff = 0, max_ref = 0;
    for (size_t i = 0; i < c.width; ++i) {
      max_diff = std::max(max_diff, std::abs(static_cast<double>((*got)[i]) - ref[i]));
      max_ref = std::max(max_ref, std::abs(static_cast<double>(ref[i])));
    }
    EXPECT_LE(max_diff / max_ref, 1e-4);  // as for mean pooling; one token is not averaged, so no tighter
  }
}

}  // namespace
}  // namespace occam::engine
