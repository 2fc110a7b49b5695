// Loading: refused files (missing tensor, wrong shape, unknown architecture) with errors that name
// the problem; weights mapped, not copied (resident memory); random-weight models of bench shapes.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <fstream>

#include "engine/engine.h"
#include "engine/random_model.h"
#include "gguf/gguf.h"
#include "test_support.h"

namespace occam::engine {
namespace {

// Writes a copy of `source` with tensor `drop` removed, `reshape` given shape `shape`, and metadata
// overrides.
Status write_variant(const std::filesystem::path& source, const std::filesystem::path& out, std::string_view drop,
                     std::string_view reshape, std::vector<uint64_t> shape,
                     std::vector<std::pair<std::string, gguf::MetaValue>> meta) {
  OCCAM_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(source));
  gguf::Writer w;
  OCCAM_TRY(w.copy_metadata(file));
  for (auto& [key, value] : meta) w.set(key, value);
  for (const gguf::TensorInfo& t : file.tensors()) {
    if (t.name == drop) continue;
    if (t.name == reshape) {
      uint64_t n = 1;
      for (uint64_t d : shape) n *= d;
      OCCAM_TRY(w.add_tensor_owned(t.name, gguf::TensorType::F32, shape, std::vector<uint8_t>(n * 4, 0)));
      continue;
    }
    OCCAM_TRY(w.add_tensor(t));
  }
  // The writer reads the source mapping while writing.
  return w.write(out);
}

struct ErrorCase {
  const char* name;
  const char* model;
  const char* drop;
  const char* reshape;
  std::vector<uint64_t> shape;
  std::vector<std::pair<std::string, gguf::MetaValue>> meta;
  std::vector<std::string> expect;  // substrings of the error message
};

TEST(ModelLoad, RefusesBrokenFilesNamingTheProblem) {
  const std::vector<ErrorCase> cases = {
      {"missing tensor", "models/tiny/llama-F32.gguf", "blk.1.ffn_down.weight", "", {}, {},
       {"missing tensor 'blk.1.ffn_down.weight'", "[512, 256]"}},
      {"wrong shape", "models/tiny/qwen2-F32.gguf", "", "blk.0.attn_k.weight", {256, 64}, {},
       {"tensor 'blk.0.attn_k.weight'", "expected shape [256, 128]", "found [256, 64]"}},
      {"missing bias (qwen2)", "models/tiny/qwen2-F32.gguf", "blk.0.attn_v.bias", "", {}, {},
       {"missing tensor 'blk.0.attn_v.bias'"}},
      {"wrong norm", "models/tiny/gemma2-F32.gguf", "", "blk.3.post_ffw_norm.weight", {32}, {},
       {"tensor 'blk.3.post_ffw_norm.weight'", "expected shape [64]", "found [32]"}},
      {"phi3 fused qkv", "models/tiny/phi3-F32.gguf", "", "blk.1.attn_qkv.weight", {256, 256}, {},
       {"blk.1.attn_qkv.weight", "[256, 512]"}},
      {"bert position table", "models/tiny/bert-F32.gguf", "position_embd.weight", "", {}, {},
       {"missing tensor 'position_embd.weight'"}},
      {"unknown architecture", "models/tiny/llama-F32.gguf", "", "", {}, {{"general.architecture", "mamba9"}},
       {"unknown architecture 'mamba9'", "llama"}},
      {"missing hyperparameter", "models/tiny/llama-F32.gguf", "", "", {}, {{"general.architecture", "qwen2"}},
       {"qwen2.block_count"}},
  };
  occam::testing::TempDir dir;
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    const auto path = dir.path() / "broken.gguf";
    Status written = write_variant(occam::testing::shared_file(c.model), path, c.drop, c.reshape, c.shape, c.meta);
    ASSERT_TRUE(written.ok()) << written.error().message();
    auto model = Model::load(path);
    ASSERT_FALSE(model.ok());
    const std::string& message = model.error().message();
    EXPECT_NE(message.find("broken.gguf"), std::string::npos) << message;
    for (const std::string& part : c.expect) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// ~85 MB of F16 weights: copying or dequantizing them at load would show in the resident set.
TEST(ModelLoad, WeightsAreMappedNotCopied) {
  occam::testing::TempDir dir;
  RandomModelSpec spec;
  spec.n_layer = 3;
  spec.n_embd = 1024;
  spec.n_ff = 2048;
  spec.n_head = 16;
  spec.n_head_kv = 4;
  spec.n_vocab = 8192;
  spec.type = "F16";
  spec.tied_embeddings = false;
  const auto path = dir.path() / "random-f16.gguf";
  ASSERT_TRUE(write_random_model(spec, path).ok());
  const uint64_t file_bytes = std::filesystem::file_size(path);
  ASSERT_GT(file_bytes, 64u << 20);

  const size_t before = resident_bytes();
  auto start = std::chrono::steady_clock::now();
  auto model = Model::load(path);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(model.ok()) << model.error().message();
  const size_t after_load = resident_bytes();
  std::printf("[ memory ] file %.1f MiB, load %.3f s, RSS +%.1f MiB after load\n", file_bytes / 1048576.0, load_s,
              (after_load - before) / 1048576.0);
  // Loading reads metadata and the tensor table only.
  EXPECT_LT(after_load - before, 16u << 20);

  ContextOptions options;
  options.n_ctx = 512;
  options.threads = 1;
  auto ctx = Context::create(*model, options);
  ASSERT_TRUE(ctx.ok());
  Batch batch;
  for (int i = 0; i < 16; ++i) batch.add(i + 1, i, 0, i == 15);
  ASSERT_TRUE((*ctx)->decode(batch).ok());
  const size_t after_decode = resident_bytes();
  const size_t kv_bytes = 3ull * 512 * 2 * 256 * 2;  // layers × n_ctx × (K+V) × kv_dim × f16
  std::printf("[ memory ] RSS +%.1f MiB after a decode (limit file + KV + 64 MiB = %.1f MiB)\n",
              (after_decode - before) / 1048576.0, (file_bytes + kv_bytes + (64u << 20)) / 1048576.0);
  EXPECT_LE(after_decode - before, file_bytes + kv_bytes + (64u << 20));
}

TEST(ModelLoad, InfoAndRegistry) {
  auto model = Model::load(occam::testing::shared_file("models/tiny/qwen2-Q4_K_M.gguf"));
  ASSERT_TRUE(model.ok());
  const ModelInfo& info = (*model)->info();
  EXPECT_EQ(info.architecture, "qwen2");
  EXPECT_EQ(info.n_vocab, 512u);
  EXPECT_EQ(info.n_layer, 2u);
  EXPECT_EQ(info.n_head_kv, 2u);
  EXPECT_EQ(info.eos_token, 2);
  EXPECT_FALSE(info.is_encoder);
  const std::vector<std::string> archs = Model::architectures();
  for (const char* a : {"bert", "gemma2", "llama", "phi3", "qwen2"}) {
    EXPECT_NE(std::find(archs.begin(), archs.end(), a), archs.end()) << a;
  }
  auto bert = Model::load(occam::testing::shared_file("models/tiny/bert-F32.gguf"));
  ASSERT_TRUE(bert.ok());
  EXPECT_TRUE((*bert)->info().is_encoder);
  auto ctx = Context::create(*bert, {});
  ASSERT_TRUE(ctx.ok());
  Batch batch;
  batch.add(2, 0, 0, true);
  EXPECT_FALSE((*ctx)->decode(batch).ok());  // encoders embed, they do not decode
}

// A random model of a bench shape (narrow, few layers) loads and runs in every bench weight type.
TEST(RandomModel, BenchShapesLoadAndRun) {
  occam::testing::TempDir dir;
  for (const char* type : {"F16", "Q8_0", "Q4_K_M"}) {
    for (RandomModelSpec spec : {smollm2_135m_shape(), qwen25_05b_shape()}) {
      SCOPED_TRACE(spec.arch + " " + type);
      spec.n_layer = 2;
      spec.n_vocab = 1024;
      spec.n_ff = 768;  // keeps the narrow rows (576 / 896) that drive the fallbacks; 768 = 3·256
      spec.type = type;
      spec.threads = 2;
      const auto path = dir.path() / "m.gguf";
      ASSERT_TRUE(write_random_model(spec, path).ok());
      auto model = Model::load(path);
      ASSERT_TRUE(model.ok()) << model.error().message();
      ContextOptions options;
      options.n_ctx = 64;
      options.threads = 1;
      auto ctx = Context::create(*model, options);
      ASSERT_TRUE(ctx.ok());
      Batch batch;
      for (int i = 0; i < 8; ++i) batch.add(i * 7, i, 0, i == 7);
      ASSERT_TRUE((*ctx)->decode(batch).ok());
      std::span<const float> logits = (*ctx)->logits(0);
      ASSERT_EQ(logits.size(), 1024u);
      for (float l : logits) ASSERT_TRUE(std::isfinite(l));
    }
  }
}

}  // namespace
}  // namespace occam::engine
