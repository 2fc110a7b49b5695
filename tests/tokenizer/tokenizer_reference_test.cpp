// The tokenizers against llama.cpp's own outputs, as data: every vocabulary of
// ../shared/reference/tokenizer/ with its upstream .inp/.out pairs and its .fr.json cases, plus
// stories260K's prompt and greedy continuation.
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace occam::tokenizer {
namespace {

using occam::testing::read_file;
using occam::testing::shared_file;

// Every vocabulary of reference/tokenizer/ (all twelve are supported).
const std::vector<std::string> kVocabs = {
    "bert-bge", "deepseek-coder", "deepseek-llm", "falcon", "gpt-2",     "llama-bpe", "llama-spm",
    "mpt",      "phi-3",          "qwen2",        "refact", "starcoder",
};

std::string vocab_path(const std::string& name) {
  return "reference/tokenizer/ggml-vocab-" + name + ".gguf";
}

// Loading the large vocabularies takes a moment: each is loaded once per test binary.
const Tokenizer& load(const std::string& relative) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(relative);
  if (it == cache.end()) {
    auto file = gguf::File::open(shared_file(relative));
    if (!file.ok()) throw std::runtime_error(file.error().message());
    auto tok = Tokenizer::from_gguf(*file);
    if (!tok.ok()) throw std::runtime_error(tok.error().message());
    it = cache.emplace(relative, std::make_unique<Tokenizer>(std::move(*tok))).first;
  }
  return *it->second;
}

std::vector<std::string> split_inp(const std::string& content) {
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t at = content.find(sep, start);
    if (at == std::string::npos) {
      if (start < content.size()) out.push_back(content.substr(start));
      break;
    }
    out.push_back(content.substr(start, at - start));
    start = at + sep.size();
  }
  return out;
}

std::vector<std::vector<TokenId>> read_out(const std::string& content) {
  std::vector<std::vector<TokenId>> out;
  std::istringstream lines(content);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::vector<TokenId> ids;
    TokenId id;
    while (fields >> id) ids.push_back(id);
    out.push_back(std::move(ids));
  }
  return out;
}

std::vector<TokenId> json_ids(const boost::json::value& v) {
  std::vector<TokenId> ids;
  for (const auto& x : v.as_array()) ids.push_back(static_cast<TokenId>(x.as_int64()));
  return ids;
}

std::string show(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 60)) {
    out += (c >= 0x20 && c != 0x7F) ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
  }
  return out;
}

class VocabTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VocabTest, UpstreamInpOut) {
  const std::string name = GetParam();
  const Tokenizer& tok = load(vocab_path(name));
  const auto texts = split_inp(read_file(shared_file(vocab_path(name) + ".inp")));
  const auto expected = read_out(read_file(shared_file(vocab_path(name) + ".out")));
  ASSERT_EQ(texts.size(), expected.size());
  size_t passed = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ids = tok.encode(texts[i], {.add_special = false, .parse_special = false});
    EXPECT_EQ(ids, expected[i]) << name << " case " << i << " '" << show(texts[i]) << "'";
    passed += ids == expected[i];
  }
  RecordProperty("passed", static_cast<int>(passed));
  std::printf("[ %s ] upstream .inp/.out: %zu/%zu\n", name.c_str(), passed, texts.size());
}

TEST_P(VocabTest, FrenchJson) {
  const std::string name = GetParam();
  const Tokenizer& tok = load(vocab_path(name));
  const auto doc = boost::json::parse(read_file(shared_file(vocab_path(name) + ".fr.json")));
  const auto& obj = doc.as_object();
  EXPECT_EQ(tok.add_bos(), obj.at("vocab_add_bos").as_bool()) << name;
  EXPECT_EQ(tok.add_eos(), obj.at("vocab_add_eos").as_bool()) << name;
  EXPECT_EQ(tok.model_name(), obj.at("tokenizer_model").as_string().c_str()) << name;
  size_t passed = 0, total = 0;
  for (const auto& item : obj.at("cases").as_array()) {
    const auto& c = item.as_object();
    const std::string text(c.at("text").as_string().c_str(), c.at("text").as_string().size());
    const auto ids = tok.encode(text, {.add_special = false, .parse_special = false});
    const auto ids_special = tok.encode(text, {.add_special = true, .parse_special = false});
    const auto expected = json_ids(c.at("ids"));
    const auto expected_special = json_ids(c.at("ids_with_special"));
    EXPECT_EQ(ids, expected) << name << " '" << show(text) << "'";
    EXPECT_EQ(ids_special, expected_special) << name << " (add_special) '" << show(text) << "'";
    passed += (ids == expected) + (ids_special == expected_special);
    total += 2;
  }
  std::printf("[ %s ] fr.json: %zu/%zu\n", name.c_str(), passed, total);
}

// decode(encode(x)) gives x back wherever the vocabulary can represent x: byte-level BPE and
// SentencePiece with byte fallback represent every valid UTF-8 string (SentencePiece's dummy-prefix
// space is removed again by decode). The clean-up of " ," and friends that llama.cpp applies to most
// BPE vocabularies is switched off here; it is tested separately.
TEST_P(VocabTest, RoundTrip) {
  const std::string name = GetParam();
  const Tokenizer& tok = load(vocab_path(name));
  if (tok.type() == VocabType::wpm)
    GTEST_SKIP() << "WordPiece lowercases and strips accents (see WordPieceRoundTrip)";
  std::vector<std::string> texts = split_inp(read_file(shared_file(vocab_path(name) + ".inp")));
  const auto doc = boost::json::parse(read_file(shared_file(vocab_path(name) + ".fr.json")));
  for (const auto& item : doc.as_object().at("cases").as_array()) {
    const auto& s = item.as_object().at("text").as_string();
    texts.emplace_back(s.c_str(), s.size());
  }
  size_t passed = 0;
  for (const std::string& text : texts) {
    const auto ids = tok.encode(text, {.add_special = false, .parse_special = false});
    const std::string back = tok.decode(ids, {.clean_spaces = false});
    EXPECT_EQ(back, text) << name << " '" << show(text) << "'";
    passed += back == text;
  }
  std::printf("[ %s ] round trip: %zu/%zu\n", name.c_str(), passed, texts.size());
}

INSTANTIATE_TEST_SUITE_P(Reference, VocabTest, ::testing::ValuesIn(kVocabs),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string out;
                           for (char c : info.param) out += (c == '-') ? '_' : c;
                           return out;
                         });

TEST(WordPieceRoundTrip, LowercaseAsciiComesBackWithTheWordPrefixSpace) {
  const Tokenizer& tok = load(vocab_path("bert-bge"));
  // Every word here is one vocabulary entry; WordPiece pieces carry U+2581 as a leading space and
  // the clean-up removes the space before punctuation.
  const std::string text = "hello world, this is a simple test.";
  const auto ids = tok.encode(text, {.add_special = false});
  EXPECT_EQ(tok.decode(ids), " " + text);
  const auto with_special = tok.encode(text, {.add_special = true});
  ASSERT_GE(with_special.size(), 2u);
  EXPECT_EQ(with_special.front(), tok.special().bos);
  EXPECT_EQ(with_special.back(), tok.special().sep);
  EXPECT_EQ(tok.token_text(with_special.front()), "[CLS]");
  EXPECT_EQ(tok.token_text(with_special.back()), "[SEP]");
  EXPECT_EQ(tok.decode(with_special, {.unparse_special = false}), " " + text);
}

TEST(CleanSpaces, FollowsLlamaCppDetokenizer) {
  const Tokenizer& tok = load(vocab_path("gpt-2"));
  const std::string text = "Hello , world ! It 's a ' quoted ' don 't";
  const auto ids = tok.encode(text, {.add_special = false});
  EXPECT_EQ(tok.decode(ids, {.clean_spaces = false}), text);
  // " ," " !" lose the space; " ' " becomes "'"; " 's" loses it, " 't" keeps it.
  EXPECT_EQ(tok.decode(ids), "Hello, world! It's a'quoted'don 't");
  // qwen2 has clean_spaces off in llama.cpp.
  const Tokenizer& qwen = load(vocab_path("qwen2"));
  EXPECT_EQ(qwen.decode(qwen.encode(text, {.add_special = false})), text);
}

TEST(SpecialTokens, ParsedOnlyWhenAsked) {
  const Tokenizer& tok = load(vocab_path("qwen2"));
  const std::string text = "<|im_start|>user\nBonjour<|im_end|>";
  const auto parsed = tok.encode(text, {.add_special = false, .parse_special = true});
  ASSERT_FALSE(parsed.empty());
  EXPECT_EQ(tok.token_text(parsed.front()), "<|im_start|>");
  EXPECT_EQ(tok.token_text(parsed.back()), "<|im_end|>");
  EXPECT_TRUE(tok.is_control(parsed.front()));
  EXPECT_TRUE(tok.is_end_of_generation(parsed.back()));
  const auto raw = tok.encode(text, {.add_special = false, .parse_special = false});
  for (TokenId id : raw) EXPECT_FALSE(tok.is_control(id)) << tok.token_text(id);
  EXPECT_EQ(tok.decode(raw), text);
  // User-defined tokens are matched even without parse_special (README §5).
  const auto tool = tok.encode("x<tool_call>y", {.add_special = false, .parse_special = false});
  ASSERT_EQ(tool.size(), 3u);
  EXPECT_EQ(tok.token_text(tool[1]), "<tool_call>");
  EXPECT_TRUE(tok.is_user_defined(tool[1]));
}

TEST(SpecialTokens, DummyPrefixAfterSpecialTokenInSentencePiece) {
  const Tokenizer& tok = load(vocab_path("llama-spm"));
  const auto ids = tok.encode("a</s>b", {.add_special = true, .parse_special = true});
  const auto a = tok.encode("a", {.add_special = false});
  const auto b = tok.encode("b", {.add_special = false});
  std::vector<TokenId> expected{tok.special().bos};
  expected.insert(expected.end(), a.begin(), a.end());
  expected.push_back(tok.special().eos);
  expected.insert(expected.end(), b.begin(), b.end());  // "b" gets the dummy prefix again
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(tok.token_text(b.front()), "▁b");
}

TEST(Stories260K, PromptAndGreedyContinuation) {
  const Tokenizer& tok = load("models/stories260K.gguf");
  const auto doc = boost::json::parse(read_file(shared_file("reference/generate/stories260K-greedy.json")));
  const auto& obj = doc.as_object();
  EXPECT_EQ(tok.vocab_size(), 512u);
  EXPECT_EQ(tok.type(), VocabType::spm);
  EXPECT_EQ(tok.special().bos, 1);
  EXPECT_EQ(tok.special().eos, 2);
  EXPECT_EQ(tok.special().unk, 0);
  EXPECT_EQ(tok.special().sep, kNoToken);  // the file's 0xFFFFFFFF is out of range
  const std::string prompt(obj.at("prompt").as_string().c_str());
  EXPECT_EQ(tok.encode(prompt, {.add_special = true}), json_ids(obj.at("prompt_ids")));

  const auto generated = json_ids(obj.at("generated_ids"));
  const auto& pieces = obj.at("generated_pieces").as_array();
  ASSERT_EQ(pieces.size(), generated.size());
  for (size_t i = 0; i < generated.size(); ++i) {
    EXPECT_EQ(tok.token_to_piece(generated[i]), pieces[i].as_string().c_str()) << i;
  }
  std::vector<TokenId> all = json_ids(obj.at("prompt_ids"));
  all.insert(all.end(), generated.begin(), generated.end());
  // llama_detokenize(remove_special=true, unparse_special=false): removing the BOS keeps the space.
  EXPECT_EQ(tok.decode(all, {.remove_special = true, .unparse_special = false}),
            obj.at("full_text").as_string().c_str());
  EXPECT_EQ(tok.decode(generated), obj.at("generated_text").as_string().c_str());
}

}  // namespace
}  // namespace occam::tokenizer
