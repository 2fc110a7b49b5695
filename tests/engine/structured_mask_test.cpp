// Structured output: token masks from the vocabulary trie against real tokenizers (the tiny models'
// 512-token SentencePiece vocabulary, Qwen2's 151k and Llama 3's 128k byte-level BPE), checked against
// a brute-force pass over every token, and the per-step cost on the large vocabularies.
#include <chrono>
#include <cstdio>
#include <ctime>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/structured_output.h"
#include "gguf/gguf.h"
#include "test_support.h"

namespace occam::engine::structured {
namespace {

namespace json = boost::json;

std::shared_ptr<const TokenVocabulary> load_vocab(std::string_view relative) {
  auto file = gguf::File::open(occam::testing::shared_file(relative));
  EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message());
  if (!file.ok()) return nullptr;
  auto eos = file->get_integer_or<int32_t>("tokenizer.ggml.eos_token_id", -1);
  std::vector<int32_t> ends;
  if (eos.ok() && *eos >= 0) ends.push_back(*eos);
  auto v = TokenVocabulary::from_gguf(*file, ends);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message());
  return v.ok() ? *v : nullptr;
}

int32_t find_piece(const TokenVocabulary& v, std::string_view piece) {
  for (size_t id = 0; id < v.size(); ++id) {
    if (v.piece(static_cast<int32_t>(id)) == piece) return static_cast<int32_t>(id);
  }
  return -1;
}

// States to mask: a schema and the answer bytes so far.
struct State {
  const char* schema;
  const char* prefix;
};

const State kStates[] = {
    {R"({"type":"object","properties":{"name":{"type":"string","maxLength":40},"age":{"type":"integer",
        "minimum":0,"maximum":150},"tags":{"type":"array","items":{"enum":["a","b"]}}},"required":["name"]})",
     ""},
    {R"({"type":"object","properties":{"name":{"type":"string","maxLength":40},"age":{"type":"integer",
        "minimum":0,"maximum":150}},"required":["name"]})",
     R"({"name)"},
    {R"({"type":"object","properties":{"name":{"type":"string","maxLength":40},"age":{"type":"integer",
        "minimum":0,"maximum":150}},"required":["name"]})",
     R"({"name":"Jo)"},
    {R"({"type":"object","properties":{"name":{"type":"string","maxLength":40},"age":{"type":"integer",
        "minimum":0,"maximum":150}},"required":["name"]})",
     R"({"name":"Jo","age":1)"},
    {R"({"type":"array","items":{"type":"number"},"maxItems":3})", "[1.5,"},
    {R"({"type":"object"})", R"({"k":[tr)"},
    {R"({"type":"string"})", "\"caf\xC3"},
    {R"({"type":"integer","minimum":-20,"maximum":20})", "-"},
};

void check_against_brute_force(const TokenVocabulary& vocab, bool time_it, std::string_view name) {
  std::vector<uint8_t> allowed;
  for (const State& st : kStates) {
    auto g = compile_schema(json::parse(st.schema));
    ASSERT_TRUE(g.ok()) << g.error().message();
    Matcher m(*g);
    ASSERT_TRUE(m.advance(st.prefix)) << st.prefix;
    vocab.allowed_tokens(m, allowed);
    ASSERT_EQ(allowed.size(), vocab.size());
    size_t n_allowed = 0;
    for (size_t id = 0; id < vocab.size(); ++id) {
      const auto t = static_cast<int32_t>(id);
      const auto& ends = vocab.end_tokens();
      bool expect;
      if (std::find(ends.begin(), ends.end(), t) != ends.end()) {
        expect = m.complete();
      } else {
        Matcher copy = m;
        expect = !vocab.piece(t).empty() && copy.advance(vocab.piece(t));
      }
      ASSERT_EQ(allowed[id] != 0, expect)
          << name << " token " << id << " '" << vocab.piece(t) << "' after " << st.prefix;
      n_allowed += expect;
    }
    EXPECT_GT(n_allowed, 0u) << st.prefix;
    if (time_it) {
      const int reps = 20;
      // Thread CPU time as well as wall time: the machine may be shared.
      timespec cpu0{}, cpu1{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < reps; ++i) vocab.allowed_tokens(m, allowed);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / reps;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
      const double cpu_ms = ((cpu1.tv_sec - cpu0.tv_sec) * 1e3 + (cpu1.tv_nsec - cpu0.tv_nsec) / 1e6) / reps;
      std::printf(
          "[ mask ] %s (%zu tokens, %zu trie nodes) after '%s': %zu allowed, %.3f ms/step wall, %.3f ms "
          "CPU\n",
          std::string(name).c_str(), vocab.size(), vocab.trie_nodes(), st.prefix, n_allowed, ms, cpu_ms);
    }
  }
}

TEST(StructuredMask, TinySentencePieceVocabulary) {
  auto vocab = load_vocab("models/tiny/llama-Q8_0.gguf");
  ASSERT_NE(vocab, nullptr);
  EXPECT_EQ(vocab->size(), 512u);
  // Byte-fallback tokens stand for their byte, U+2581 for a space.
  auto file = gguf::File::open(occam::testing::shared_file("models/tiny/llama-Q8_0.gguf"));
  ASSERT_TRUE(file.ok());
  auto tokens = file->get_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok());
  int bytes = 0, spaces = 0;
  for (uint64_t id = 0; id < tokens->size(); ++id) {
    const std::string_view text = tokens->string(id);
    if (text == "<0x7B>") {
      EXPECT_EQ(vocab->piece(static_cast<int32_t>(id)), "{");
      ++bytes;
    }
    if (text.starts_with("\xE2\x96\x81") && text.size() > 3) {
      EXPECT_EQ(vocab->piece(static_cast<int32_t>(id)), " " + std::string(text.substr(3)));
      ++spaces;
    }
  }
  EXPECT_EQ(bytes, 1);
  EXPECT_GT(spaces, 0);
  check_against_brute_force(*vocab, false, "tiny-spm");
}

TEST(StructuredMask, Qwen2ByteLevelBpe) {
  auto vocab = load_vocab("reference/tokenizer/ggml-vocab-qwen2.gguf");
  ASSERT_NE(vocab, nullptr);
  EXPECT_GT(vocab->size(), 150000u);
  // Tokens holding several JSON characters are allowed where all their bytes fit.
  const int32_t colon_quote = find_piece(*vocab, "\":\"");
  ASSERT_GE(colon_quote, 0);
  auto g = compile_schema(json::parse(R"({"type":"object","properties":{"name":{"type":"string"}}})"));
  ASSERT_TRUE(g.ok());
  Matcher m(*g);
  ASSERT_TRUE(m.advance(R"({"name)"));
  std::vector<uint8_t> allowed;
  vocab->allowed_tokens(m, allowed);
  EXPECT_TRUE(allowed[static_cast<size_t>(colon_quote)]);
  const int32_t space = find_piece(*vocab, " ");
  ASSERT_GE(space, 0);
  EXPECT_FALSE(allowed[static_cast<size_t>(space)]);  // no free whitespace
  check_against_brute_force(*vocab, true, "qwen2");
}

TEST(StructuredMask, Llama3ByteLevelBpe) {
  auto vocab = load_vocab("reference/tokenizer/ggml-vocab-llama-bpe.gguf");
  ASSERT_NE(vocab, nullptr);
  EXPECT_GT(vocab->size(), 128000u);
  EXPECT_GE(find_piece(*vocab, "\"},"), 0);
  check_against_brute_force(*vocab, true, "llama-bpe");
}

}  // namespace
}  // namespace occam::engine::structured
