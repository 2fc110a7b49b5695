// Unicode tables against values of llama.cpp's generated table, the streaming decoder, and load errors.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "test_support.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace occam::tokenizer {
namespace {

using namespace unicode;

TEST(Unicode, FlagsMatchLlamaCppTable) {
  // Values read from llama.cpp's unicode-data.cpp (Unicode 15.1) at the listed code points.
  struct Case {
    uint32_t cpt;
    uint16_t flags;
  };
  const Case cases[] = {
      {0x0000, kControl},
      {0x0009, kControl | kWhitespace},
      {0x0020, kSeparator | kWhitespace},
      {0x0021, kPunctuation},
      {0x0024, kSymbol},
      {0x002B, kSymbol},
      {0x0030, kNumber},
      {0x0041, kLetter},
      {0x005E, kSymbol},
      {0x005F, kPunctuation},
      {0x007E, kSymbol},
      {0x007F, kControl},
      {0x0085, kControl | kWhitespace},
      {0x00A0, kSeparator | kWhitespace},
      {0x00AD, kControl},
      {0x00B2, kNumber},
      {0x00B5, kLetter},
      {0x00D7, kSymbol},
      {0x0300, kAccentMark},
      {0x0378, kUndefined},
      {0x0CF3, kAccentMark} /* Unicode 15.0 */,
      {0x2EBF0, kLetter} /* 15.1 */,
      {0x2EE5D, kLetter},
      {0x2EE5E, kUndefined},
      {0x2FFC, kSymbol},
      {0x31EF, kSymbol},
      {0x1F600, kSymbol},
      {0x1F1E6, kSymbol},
      {0x20AC, kSymbol},
      {0x2019, kPunctuation},
      {0x202F, kSeparator | kWhitespace},
      {0x3000, kSeparator | kWhitespace},
      {0xD800, kControl},
      {0xE000, kControl},
      {0xFFFE, kUndefined},
      {0xE0001, kControl},
      {0xF0000, kControl},
      {0x10FFFE, kUndefined},
      {0x110000, kUndefined},
  };
  for (const Case& c : cases) EXPECT_EQ(flags(c.cpt), c.flags) << std::hex << c.cpt;
}

TEST(Unicode, NfdFirstAndLowercase) {
  EXPECT_EQ(nfd_first(0xE9), 0x65u);   // é -> e
  EXPECT_EQ(nfd_first(0x1D5), 0x55u);  // Ǖ -> U (recursive)
  EXPECT_EQ(nfd_first(0x11134B), 0x11134Bu);
  EXPECT_EQ(nfd_first(0x1134B), 0x11347u);
  EXPECT_EQ(nfd_first(0xAC00), 0x1100u);  // Hangul syllable -> leading jamo
  EXPECT_EQ(nfd_first(0xFB01), 0xFB01u);  // ligature: compatibility only, kept
  EXPECT_EQ(nfd_first(0x41), 0x41u);
  EXPECT_EQ(to_lower(0x130), 0x69u);  // İ -> i
  EXPECT_EQ(to_lower(0xC9), 0xE9u);
  EXPECT_EQ(to_lower(0x10400), 0x10428u);
}

TEST(Unicode, DecodeLikeLlamaCpp) {
  auto decode = [](std::string_view s) {
    std::vector<uint32_t> out;
    decode_utf8(s, out);
    return out;
  };
  EXPECT_EQ(decode("a\xC3\xA9"), (std::vector<uint32_t>{'a', 0xE9}));
  EXPECT_EQ(decode("\x80"), (std::vector<uint32_t>{0xFFFD}));
  EXPECT_EQ(decode("\xC3"), (std::vector<uint32_t>{0xFFFD}));              // truncated
  EXPECT_EQ(decode("\xE2\x82"), (std::vector<uint32_t>{0xFFFD, 0xFFFD}));  // one per byte
  EXPECT_EQ(decode("\xC0\x80"), (std::vector<uint32_t>{0}));               // overlong accepted
  EXPECT_EQ(decode("\xED\xA0\x80"), (std::vector<uint32_t>{0xD800}));      // surrogate accepted
  EXPECT_EQ(decode("\xF4\x90\x80\x80"), (std::vector<uint32_t>{0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD}));
  EXPECT_EQ(decode("\xFF"
                   "a"),
            (std::vector<uint32_t>{0xFFFD, 'a'}));
  EXPECT_TRUE(is_valid_utf8("héllo €😀"));
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
}

TEST(Unicode, ByteAlphabetIsABijection) {
  std::vector<bool> seen(400, false);
  for (int b = 0; b < 256; ++b) {
    const uint32_t cpt = byte_to_codepoint(static_cast<uint8_t>(b));
    ASSERT_LT(cpt, seen.size());
    EXPECT_FALSE(seen[cpt]);
    seen[cpt] = true;
    EXPECT_EQ(codepoint_to_byte(cpt), b);
  }
  EXPECT_EQ(byte_to_codepoint(' '), 0x120u);   // Ġ
  EXPECT_EQ(byte_to_codepoint('\n'), 0x10Au);  // Ċ
  EXPECT_EQ(byte_to_codepoint('A'), 0x41u);
  EXPECT_EQ(codepoint_to_byte(0x4E00), -1);
}

TEST(PreTokenizer, Llama3AndQwen2DifferOnDigitRuns) {
  std::vector<uint32_t> cpts;
  decode_utf8("x 12345'S", cpts);
  std::vector<uint32_t> llama3, qwen2;
  pretokenize(PreTokenizer::llama3, cpts, llama3);
  pretokenize(PreTokenizer::qwen2, cpts, qwen2);
  EXPECT_EQ(llama3, (std::vector<uint32_t>{1, 1, 3, 2, 2}));          // x ␠ 123 45 'S
  EXPECT_EQ(qwen2, (std::vector<uint32_t>{1, 1, 1, 1, 1, 1, 1, 2}));  // x ␠ 1 2 3 4 5 'S
}

// ---------------------------------------------------------------------------------------------

const Tokenizer& vocab(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto file =
        gguf::File::open(occam::testing::shared_file("reference/tokenizer/ggml-vocab-" + name + ".gguf"));
    if (!file.ok()) throw std::runtime_error(file.error().message());
    auto tok = Tokenizer::from_gguf(*file);
    if (!tok.ok()) throw std::runtime_error(tok.error().message());
    it = cache.emplace(name, std::make_unique<Tokenizer>(std::move(*tok))).first;
  }
  return *it->second;
}

std::string stream_all(const Tokenizer& tok, const std::vector<TokenId>& ids,
                       std::vector<std::string>* chunks) {
  StreamDecoder stream(tok);
  std::string all;
  for (TokenId id : ids) {
    std::string part = stream.push(id);
    EXPECT_TRUE(is_valid_utf8(part)) << "a chunk must never end inside a character";
    if (chunks) chunks->push_back(part);
    all += part;
  }
  all += stream.finish();
  return all;
}

TEST(StreamDecoder, HoldsBackBytesOfSplitCharactersSentencePiece) {
  const Tokenizer& tok = vocab("llama-spm");
  // Characters without a token in the 32k vocabulary come out as <0xNN> byte tokens.
  const std::string text = "note 𝄞 et 🫠 fin";
  const auto ids = tok.encode(text, {.add_special = false});
  size_t byte_tokens = 0;
  for (TokenId id : ids) byte_tokens += tok.is_byte(id);
  ASSERT_GE(byte_tokens, 8u) << "the test needs characters split across byte tokens";
  std::vector<std::string> chunks;
  EXPECT_EQ(stream_all(tok, ids, &chunks), text);
  EXPECT_EQ(stream_all(tok, ids, nullptr), tok.decode(ids));
  // While the four bytes of 𝄞 arrive, nothing is emitted until the last one.
  size_t empty = 0;
  for (const std::string& c : chunks) empty += c.empty();
  EXPECT_GE(empty, 6u);
}

TEST(StreamDecoder, ByteLevelBpePieces) {
  const Tokenizer& tok = vocab("gpt-2");
  const std::string text = "Merci 🙏😊👍🏽 ! Drapeau 🇫🇷";
  const auto ids = tok.encode(text, {.add_special = false});
  EXPECT_EQ(stream_all(tok, ids, nullptr), text);
}

TEST(StreamDecoder, InvalidAndTruncatedSequences) {
  const Tokenizer& tok = vocab("llama-spm");
  const TokenId e2 = tok.find_token("<0xE2>"), x82 = tok.find_token("<0x82>"), xff = tok.find_token("<0xFF>");
  const TokenId a = tok.find_token("a");
  ASSERT_NE(e2, kNoToken);
  ASSERT_NE(a, kNoToken);
  StreamDecoder stream(tok);
  EXPECT_EQ(stream.push(e2), "");
  EXPECT_EQ(stream.push(x82), "");  // E2 82 is a valid prefix of €
  EXPECT_EQ(stream.push(a),
            "\xEF\xBF\xBD"
            "a");                               // broken by 'a': one U+FFFD for E2 82
  EXPECT_EQ(stream.push(xff), "\xEF\xBF\xBD");  // never valid
  EXPECT_EQ(stream.push(e2), "");
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD");  // truncated at the end
  stream.reset();
  EXPECT_EQ(stream.push(tok.find_token("▁Hello")), "Hello");  // dummy-prefix space removed first
  EXPECT_EQ(stream.push(tok.find_token("▁world")), " world");
}

// ---------------------------------------------------------------------------------------------
// Load errors: vocabularies written in memory with the GGUF writer.

Result<Tokenizer> tokenizer_from(gguf::Writer& writer, std::vector<uint8_t>& storage) {
  auto bytes = writer.to_bytes();
  if (!bytes.ok()) return std::move(bytes).error();
  storage = std::move(*bytes);
  OCCAM_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open_bytes(storage));
  return Tokenizer::from_gguf(file);
}

gguf::Writer small_vocab(std::string_view model, std::string_view pre) {
  gguf::Writer w;
  w.set("general.architecture", "llama");
  w.set("tokenizer.ggml.model", std::string(model));
  if (!pre.empty()) w.set("tokenizer.ggml.pre", std::string(pre));
  std::vector<gguf::MetaValue> tokens;
  for (std::string t : {"<unk>", "<s>", "</s>", "a", "b", "ab", "\xE2\x96\x81",
                        "\xE2\x96\x81"
                        "ab"}) {
    tokens.emplace_back(t);
  }
  w.set("tokenizer.ggml.tokens", gguf::MetaValue::array(gguf::ValueType::string, tokens));
  w.set("tokenizer.ggml.merges", gguf::MetaValue::array(gguf::ValueType::string, {gguf::MetaValue("a b")}));
  return w;
}

TEST(Load, RefusesUnsupportedModelsAndPreTokenizers) {
  std::vector<uint8_t> storage;
  auto t5 = small_vocab("t5", "");
  auto r1 = tokenizer_from(t5, storage);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code(), ErrorCode::unsupported);
  EXPECT_NE(r1.error().message().find("'t5'"), std::string::npos) << r1.error().message();

  auto tekken = small_vocab("gpt2", "tekken");
  auto r2 = tokenizer_from(tekken, storage);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code(), ErrorCode::unsupported);
  EXPECT_NE(r2.error().message().find("'tekken'"), std::string::npos) << r2.error().message();

  gguf::Writer empty;
  empty.set("general.architecture", "llama");
  auto r3 = tokenizer_from(empty, storage);
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.error().message().find("tokenizer.ggml.model"), std::string::npos) << r3.error().message();

  auto no_merges = small_vocab("gpt2", "gpt-2");
  no_merges.remove("tokenizer.ggml.merges");
  auto r4 = tokenizer_from(no_merges, storage);
  ASSERT_FALSE(r4.ok());
  EXPECT_NE(r4.error().message().find("merges"), std::string::npos) << r4.error().message();

  auto bad_types = small_vocab("llama", "");
  bad_types.set("tokenizer.ggml.token_type", gguf::MetaValue::array_of<int32_t>({1, 1}));
  auto r5 = tokenizer_from(bad_types, storage);
  ASSERT_FALSE(r5.ok());
  EXPECT_NE(r5.error().message().find("token_type"), std::string::npos) << r5.error().message();
}

TEST(Load, InMemorySentencePieceAndBpeVocabularies) {
  std::vector<uint8_t> storage;
  auto spm_writer = small_vocab("llama", "");
  spm_writer.set("tokenizer.ggml.scores", gguf::MetaValue::array_of<float>({0, 0, 0, -1, -1, -2, -1, -0.5f}));
  auto spm = tokenizer_from(spm_writer, storage);
  ASSERT_TRUE(spm.ok()) << spm.error().message();
  EXPECT_EQ(spm->encode("ab", {.add_special = true}), (std::vector<TokenId>{1, 7}));  // <s> ▁ab
  // No byte tokens in this vocabulary: an unknown character becomes <unk> (llama.cpp throws).
  EXPECT_EQ(spm->encode("c", {.add_special = false}), (std::vector<TokenId>{6, 0}));

  auto bpe_writer = small_vocab("gpt2", "gpt-2");
  auto bpe = tokenizer_from(bpe_writer, storage);
  ASSERT_TRUE(bpe.ok()) << bpe.error().message();
  EXPECT_FALSE(bpe->add_bos());
  EXPECT_EQ(bpe->encode("ab", {.add_special = true}), (std::vector<TokenId>{5}));
  EXPECT_EQ(bpe->encode("ba", {.add_special = false}), (std::vector<TokenId>{4, 3}));
  EXPECT_EQ(bpe->encode("c", {.add_special = false}), (std::vector<TokenId>{}));  // dropped, as llama.cpp
}

TEST(Load, SentencePieceMergesAcrossSpacesWhenTheVocabularyHasSuch) {
  // "a▁b" is a token, so merges can cross the space marker: the text must not be cut into chunks.
  gguf::Writer w;
  w.set("general.architecture", "llama");
  w.set("tokenizer.ggml.model", "llama");
  std::vector<gguf::MetaValue> tokens;
  for (std::string t : {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a", "b",
                        "\xE2\x96\x81"
                        "a",
                        "a\xE2\x96\x81",
                        "a\xE2\x96\x81"
                        "b"}) {
    tokens.emplace_back(t);
  }
  w.set("tokenizer.ggml.tokens", gguf::MetaValue::array(gguf::ValueType::string, tokens));
  w.set("tokenizer.ggml.scores", gguf::MetaValue::array_of<float>({0, 0, 0, -3, -3, -3, -1, -0.5f, 0}));
  std::vector<uint8_t> storage;
  auto tok = tokenizer_from(w, storage);
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  // ▁ a ▁ b: "a▁" (-0.5) beats "▁a" (-1), then "a▁b" (0) forms.
  EXPECT_EQ(tok->encode("a b", {.add_special = false}), (std::vector<TokenId>{3, 8}));
  EXPECT_EQ(tok->decode(tok->encode("a b", {.add_special = false})), "a b");
}

}  // namespace
}  // namespace occam::tokenizer
