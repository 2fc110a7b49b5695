// Tokenizers read from GGUF metadata, token for token identical to llama.cpp (commit c392e50):
//   - "llama": SentencePiece BPE with scores (llm_tokenizer_spm): U+2581 space marker, dummy prefix,
//     byte fallback <0xNN>;
//   - "gpt2":  byte-level BPE with merge ranks and the pre-tokenizer named by tokenizer.ggml.pre
//     (gpt-2, llama-bpe, qwen2, deepseek-llm, deepseek-coder, falcon, mpt, starcoder, refact and the
//     names llama.cpp groups with them; see pretokenize.h);
//   - "bert":  WordPiece as llama.cpp does it (first code point of NFD, lowercase, punctuation split,
//     U+2581-prefixed word-initial pieces, [CLS] ... [SEP]).
// Other models (t5/UGM, rwkv, ...) and other pre-tokenizers are refused with an `unsupported` error.
//
//   OCCAM_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(path));
//   OCCAM_ASSIGN_OR_RETURN(tokenizer::Tokenizer tok, tokenizer::Tokenizer::from_gguf(file));
//   std::vector<tokenizer::TokenId> ids = tok.encode("Bonjour", {.add_special = true});
//   std::string text = tok.decode(ids);
//
// A Tokenizer owns copies of everything it needs (the gguf::File may be closed afterwards) and is
// immutable: encode/decode are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace occam::gguf {
class File;
}  // namespace occam::gguf

namespace occam::tokenizer {

using TokenId = int32_t;
inline constexpr TokenId kNoToken = -1;

enum class VocabType { spm, bpe, wpm };
std::string_view to_string(VocabType type);

// Token attributes, bit for bit llama_token_attr. The GGUF token type (1 normal, 2 unknown,
// 3 control, 4 user-defined, 5 unused, 6 byte) sets one bit; llama.cpp's load-time fix-ups add others
// (control for end-of-generation / FIM texts, unused for control tokens named "...unused...", rstrip
// for Phi-3's special tokens).
enum TokenAttr : uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1u << 0,
  kAttrUnused = 1u << 1,
  kAttrNormal = 1u << 2,
  kAttrControl = 1u << 3,
  kAttrUserDefined = 1u << 4,
  kAttrByte = 1u << 5,
  kAttrNormalized = 1u << 6,
  kAttrLstrip = 1u << 7,
  kAttrRstrip = 1u << 8,
  kAttrSingleWord = 1u << 9,
};

struct SpecialTokens {
  TokenId bos = kNoToken;  // for WordPiece: [CLS] (llama.cpp uses the BOS slot for it)
  TokenId eos = kNoToken;
  TokenId eot = kNoToken;  // end of turn (key, else found by text: <|eot_id|>, <|im_end|>, ...)
  TokenId eom = kNoToken;
  TokenId unk = kNoToken;
  TokenId sep = kNoToken;
  TokenId pad = kNoToken;
  TokenId mask = kNoToken;
  TokenId fim_pre = kNoToken, fim_suf = kNoToken, fim_mid = kNoToken;
  TokenId fim_pad = kNoToken, fim_rep = kNoToken, fim_sep = kNoToken;
};

struct EncodeOptions {
  // Add the vocabulary's BOS/EOS (add_bos_token / add_eos_token), or [CLS] ... [SEP] for WordPiece.
  bool add_special = true;
  // Recognise control tokens written in the text ("<|im_start|>"). User-defined tokens are matched
  // in the text either way, as llama.cpp (and Hugging Face) do.
  bool parse_special = false;
};

struct DecodeOptions {
  // Drop a leading BOS and a trailing EOS when the vocabulary adds them (llama_detokenize's
  // remove_special).
  bool remove_special = false;
  // Render control and unknown tokens as their text; false renders them as nothing.
  bool unparse_special = true;
  // Apply the vocabulary's clean-up of spaces before punctuation (" ," -> ","; llama.cpp does it for
  // WordPiece and most byte-level BPE vocabularies). false keeps the pieces exactly.
  bool clean_spaces = true;
};

class Tokenizer {
 public:
  // Reads tokenizer.ggml.* (model, pre, tokens, scores, token_type, merges, special ids,
  // add_bos_token, add_eos_token, add_space_prefix) with llama.cpp's defaults when keys are absent.
  static Result<Tokenizer> from_gguf(const gguf::File& file);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // llama_tokenize(text, add_special, parse_special). Any bytes are accepted: invalid UTF-8 is
  // handled as llama.cpp does (SentencePiece keeps the bytes through byte fallback; byte-level BPE
  // and WordPiece see U+FFFD for each invalid byte).
  std::vector<TokenId> encode(std::string_view text, const EncodeOptions& options = {}) const;
  void encode(std::string_view text, const EncodeOptions& options, std::vector<TokenId>& out) const;

  // llama_detokenize. Ids outside the vocabulary are skipped.
  std::string decode(std::span<const TokenId> ids, const DecodeOptions& options = {}) const;

  // The bytes a token stands for (llama_token_to_piece with special = true): byte tokens give their
  // byte, byte-level BPE tokens their original bytes, SentencePiece/WordPiece U+2581 become spaces,
  // control/user-defined tokens their text. "" for an id outside the vocabulary.
  std::string_view token_to_piece(TokenId id) const;
  // The token's text as stored in the vocabulary ("▁Hello", "Ġworld", "<0x0A>").
  std::string_view token_text(TokenId id) const;
  // The id of a token text, or kNoToken.
  TokenId find_token(std::string_view text) const;

  VocabType type() const;
  std::string_view model_name() const;  // tokenizer.ggml.model
  std::string_view pre_name() const;    // tokenizer.ggml.pre ("" when absent)
  size_t vocab_size() const;
  uint32_t attributes(TokenId id) const;  // TokenAttr bits; 0 outside the vocabulary
  float score(TokenId id) const;
  bool is_control(TokenId id) const { return attributes(id) & kAttrControl; }
  bool is_byte(TokenId id) const { return attributes(id) & kAttrByte; }
  bool is_user_defined(TokenId id) const { return attributes(id) & kAttrUserDefined; }
  bool is_unused(TokenId id) const { return attributes(id) & kAttrUnused; }
  // End of generation: EOS, EOT, EOM and the texts llama.cpp treats as such.
  bool is_end_of_generation(TokenId id) const;

  const SpecialTokens& special() const;
  bool add_bos() const;
  bool add_eos() const;
  bool add_space_prefix() const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class StreamDecoder;
};

// Incremental detokenizer for generated tokens: push() returns the text that became complete. Bytes
// of a UTF-8 character split across tokens (byte-fallback <0xE2><0x82><0xAC>, or byte-level BPE
// pieces) are held back until the character is complete. A byte that cannot be part of valid UTF-8
// (or a sequence that a later byte breaks) is emitted as U+FFFD, one per maximal invalid sequence as
// in the Unicode standard's "best practice"; finish() flushes a held-back incomplete sequence as one
// U+FFFD. Pieces are those of Tokenizer::decode with clean_spaces = false (the clean-up looks ahead,
// so it is not done while streaming), including the removal of the dummy-prefix space of the first
// token for SentencePiece vocabularies.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool unparse_special = true);

  std::string push(TokenId id);
  std::string finish();
  void reset();

 private:
  std::string drain(bool final);

  const Tokenizer* tokenizer_;
  bool unparse_special_;
  bool first_ = true;
  std::string pending_;
};

}  // namespace occam::tokenizer
