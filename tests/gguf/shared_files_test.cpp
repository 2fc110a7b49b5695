// Every shared GGUF opens and validates, and what it says agrees with reference/logits/manifest.json
// and with the model table of ../shared/README.md.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/shared_data.h"
#include "gguf/gguf.h"
#include "gguf_test_util.h"
#include "test_support.h"

namespace occam::gguf {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::shared_ggufs;

std::vector<fs::path> all_shared_ggufs() {
  std::vector<fs::path> out;
  for (const char* dir : {"models", "models/tiny", "reference/tokenizer"}) {
    auto files = shared_ggufs(dir);
    out.insert(out.end(), files.begin(), files.end());
  }
  return out;
}

TEST(GgufSharedFiles, EveryFileOpensAndValidates) {
  auto files = all_shared_ggufs();
  ASSERT_GE(files.size(), 27u) << "expected 1 + 14 models and 12 vocab files under shared/";
  for (const fs::path& path : files) {
    SCOPED_TRACE(path.string());
    auto file = File::open(path);
    ASSERT_TRUE(file.ok()) << file.error().message();
    EXPECT_EQ(file->size(), fs::file_size(path));
    EXPECT_EQ(file->version(), 3u);
    EXPECT_EQ(file->alignment(), 32u);
    EXPECT_EQ(file->data_offset() % file->alignment(), 0u);
    EXPECT_FALSE(file->architecture().empty());
    auto tokens = file->get_array("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.error().message();
    EXPECT_EQ(tokens->element_type(), ValueType::string);
    EXPECT_GT(tokens->size(), 0u);
    uint64_t params = 0;
    for (const TensorInfo& t : file->tensors()) {
      EXPECT_EQ(file->find_tensor(t.name), &t);
      EXPECT_EQ(t.file_offset % file->alignment(), 0u) << t.name;
      EXPECT_LE(t.file_offset + t.n_bytes, file->size()) << t.name;
      EXPECT_EQ(t.data, file->bytes().data() + t.file_offset);
      params += t.n_elements;
    }
    EXPECT_EQ(file->parameter_count(), params);
  }
}

// The vocab-only files hold the big arrays (Llama 3: 128,256 tokens and 280,147 merges).
TEST(GgufSharedFiles, LargeVocabulariesOpenFastWithO1Access) {
  fs::path path = occam::testing::shared_file("reference/tokenizer/ggml-vocab-llama-bpe.gguf");
  auto start = std::chrono::steady_clock::now();
  auto file = File::open(path);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(file.ok()) << file.error().message();
  RecordProperty("open_ms", std::to_string(ms));
#if defined(OCCAM_SANITIZE)
  EXPECT_LT(ms, 2000.0);
#else
  EXPECT_LT(ms, 100.0) << "opening a 7.8 MB vocabulary should take a few ms";
#endif
  auto tokens = file->get_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens->size(), 128256u);
  EXPECT_EQ(tokens->string(128000), "<|begin_of_text|>");
  EXPECT_EQ(tokens->string(128001), "<|end_of_text|>");
  auto merges = file->get_array("tokenizer.ggml.merges");
  ASSERT_TRUE(merges.ok());
  EXPECT_EQ(merges->size(), 280147u);
  auto types = file->get_array("tokenizer.ggml.token_type");
  ASSERT_TRUE(types.ok());
  auto type_vec = types->to_vector<int32_t>();
  ASSERT_TRUE(type_vec.ok()) << type_vec.error().message();
  EXPECT_EQ(type_vec->size(), 128256u);
  EXPECT_EQ((*type_vec)[128000], 3);  // CONTROL
  EXPECT_EQ(file->get_integer<uint32_t>("tokenizer.ggml.bos_token_id").value_or(0), 128000u);
  EXPECT_EQ(file->get_string("tokenizer.ggml.pre").value_or(""), "llama-bpe");
  EXPECT_TRUE(file->contains("tokenizer.chat_template"));

  auto qwen = File::open(occam::testing::shared_file("reference/tokenizer/ggml-vocab-qwen2.gguf"));
  ASSERT_TRUE(qwen.ok()) << qwen.error().message();
  auto qwen_tokens = qwen->get_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(qwen_tokens.ok());
  EXPECT_EQ(qwen_tokens->size(), 151936u);
  EXPECT_EQ(qwen_tokens->string(151645), "<|im_end|>");
  EXPECT_EQ(qwen->get_integer<int64_t>("tokenizer.ggml.eos_token_id").value_or(0), 151645);
}

// stories260K as described in ../shared/README.md §1.
TEST(GgufSharedFiles, Stories260KMetadata) {
  auto file = File::open(occam::testing::shared_file("models/stories260K.gguf"));
  ASSERT_TRUE(file.ok()) << file.error().message();
  EXPECT_EQ(file->architecture(), "llama");
  EXPECT_EQ(file->get_integer<uint32_t>("{arch}.block_count").value_or(0), 5u);
  EXPECT_EQ(file->get_integer<uint32_t>("{arch}.embedding_length").value_or(0), 64u);
  EXPECT_EQ(file->get_integer<uint32_t>("{arch}.attention.head_count").value_or(0), 8u);
  EXPECT_EQ(file->get_integer<uint32_t>("{arch}.attention.head_count_kv").value_or(0), 4u);
  EXPECT_EQ(file->get_integer<uint32_t>("{arch}.feed_forward_length").value_or(0), 172u);
  EXPECT_EQ(file->get_integer<uint32_t>("{arch}.context_length").value_or(0), 2048u);
  EXPECT_FALSE(file->contains("{arch}.rope.freq_base"));
  EXPECT_EQ(file->get_float_or("{arch}.rope.freq_base", 10000.0).value_or(0), 10000.0);
  EXPECT_NEAR(file->get_float("{arch}.attention.layer_norm_rms_epsilon").value_or(0), 1e-5, 1e-9);
  EXPECT_EQ(file->get_string("tokenizer.ggml.model").value_or(""), "llama");
  EXPECT_EQ(file->get_integer<uint32_t>("tokenizer.ggml.bos_token_id").value_or(9), 1u);
  EXPECT_EQ(file->get_integer<uint32_t>("tokenizer.ggml.eos_token_id").value_or(9), 2u);
  EXPECT_EQ(file->get_integer<uint32_t>("tokenizer.ggml.unknown_token_id").value_or(9), 0u);
  const TensorInfo* embd = file->find_tensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->type, TensorType::F32);
  EXPECT_EQ(embd->n_dims, 2u);
  EXPECT_EQ(embd->ne[0], 64u);
  EXPECT_EQ(embd->ne[1], 512u);
  EXPECT_EQ(embd->n_bytes, 64u * 512u * 4u);
  EXPECT_EQ(embd->shape_string(), "[64, 512]");
  EXPECT_NE(file->find_tensor("output.weight"), nullptr);
}

struct ArchFacts {
  uint32_t layers, n_embd, heads, heads_kv, n_ff, vocab;
};

// ../shared/README.md §1, table of the tiny models.
const std::map<std::string, ArchFacts> kTinyArchFacts = {
    {"llama", {2, 256, 4, 2, 512, 512}},  {"qwen2", {2, 256, 4, 2, 512, 512}},
    {"gemma2", {26, 64, 4, 2, 128, 512}}, {"phi3", {2, 256, 4, 2, 512, 512}},
    {"bert", {2, 256, 4, 4, 512, 512}},
};

// N of "blk.N.<rest>". (Not std::regex: GCC 12 warns inside <regex> under the sanitizers.)
std::optional<int> block_index(std::string_view name) {
  if (!name.starts_with("blk.")) return std::nullopt;
  size_t dot = name.find('.', 4);
  if (dot == std::string_view::npos || dot == 4) return std::nullopt;
  int n = 0;
  for (size_t i = 4; i < dot; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    n = n * 10 + (name[i] - '0');
  }
  return n;
}

// "blk.*.attn_q.weight" matches "blk.3.attn_q.weight".
bool matches(std::string_view pattern, std::string_view name) {
  if (!pattern.starts_with("blk.*.")) return pattern == name;
  if (!block_index(name)) return false;
  return name.substr(name.find('.', 4) + 1) == pattern.substr(6);
}

TEST(GgufSharedFiles, AgreeWithLogitsManifest) {
  fs::path manifest_path = occam::testing::shared_file("reference/logits/manifest.json");
  json::value manifest = json::parse(occam::testing::read_file(manifest_path));
  std::map<std::string, int64_t> n_vocab_of;
  for (const json::value& c : manifest.at("cases").as_array()) {
    if (c.at("kind").as_string() == "logits") {
      n_vocab_of[std::string(c.at("model").as_string())] = c.at("n_vocab").to_number<int64_t>();
    }
  }
  const json::array& models = manifest.at("models").as_array();
  ASSERT_EQ(models.size(), 15u);
  for (const json::value& model : models) {
    std::string relative(model.at("file").as_string());
    SCOPED_TRACE(relative);
    fs::path path = occam::testing::shared_file(relative);
    auto file = File::open(path);
    ASSERT_TRUE(file.ok()) << file.error().message();
    EXPECT_EQ(file->size(), model.at("bytes").to_number<uint64_t>());
    EXPECT_EQ(file->architecture(), model.at("arch").as_string());

    // Every tensor's type is the one the manifest lists, and every listed name exists.
    std::map<std::string, std::string> type_of;
    std::set<std::string> unmatched;
    for (const auto& [type_name, names] : model.at("tensor_types").as_object()) {
      for (const json::value& pattern : names.as_array()) {
        std::string p(pattern.as_string());
        unmatched.insert(p);
        for (const TensorInfo& t : file->tensors()) {
          if (matches(p, t.name)) {
            EXPECT_FALSE(type_of.contains(std::string(t.name))) << t.name << " matched twice";
            type_of[std::string(t.name)] = std::string(type_name);
            unmatched.erase(p);
          }
        }
      }
    }
    EXPECT_TRUE(unmatched.empty()) << "manifest names no tensor matches: " << *unmatched.begin();
    for (const TensorInfo& t : file->tensors()) {
      ASSERT_TRUE(type_of.contains(std::string(t.name))) << t.name << " not in the manifest";
      EXPECT_EQ(to_string(t.type), type_of[std::string(t.name)]) << t.name;
    }

    // Layer count: metadata, the blk.N tensors and (tiny models) the README table agree.
    auto layers = file->get_integer<uint32_t>("{arch}.block_count");
    ASSERT_TRUE(layers.ok()) << layers.error().message();
    std::set<int> blocks;
    for (const TensorInfo& t : file->tensors()) {
      if (std::optional<int> block = block_index(t.name)) blocks.insert(*block);
    }
    EXPECT_EQ(blocks.size(), *layers);
    if (!blocks.empty()) {
      EXPECT_EQ(*blocks.rbegin() + 1, static_cast<int>(*layers));
    }

    // Vocabulary: token list, embedding rows and the manifest's logits width agree.
    auto tokens = file->get_array("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.error().message();
    const TensorInfo* embd = file->find_tensor("token_embd.weight");
    ASSERT_NE(embd, nullptr);
    EXPECT_EQ(embd->ne[1], tokens->size());
    if (n_vocab_of.contains(relative)) {
      EXPECT_EQ(static_cast<int64_t>(tokens->size()), n_vocab_of[relative]);
    }

    if (relative.starts_with("models/tiny/")) {
      const ArchFacts& facts = kTinyArchFacts.at(std::string(file->architecture()));
      EXPECT_EQ(*layers, facts.layers);
      EXPECT_EQ(file->get_integer<uint32_t>("{arch}.embedding_length").value_or(0), facts.n_embd);
      EXPECT_EQ(file->get_integer<uint32_t>("{arch}.attention.head_count").value_or(0), facts.heads);
      EXPECT_EQ(file->get_integer<uint32_t>("{arch}.attention.head_count_kv").value_or(0), facts.heads_kv);
      EXPECT_EQ(file->get_integer<uint32_t>("{arch}.feed_forward_length").value_or(0), facts.n_ff);
      EXPECT_EQ(tokens->size(), facts.vocab);
      EXPECT_EQ(embd->ne[0], facts.n_embd);
    }
  }
}

}  // namespace
}  // namespace occam::gguf
