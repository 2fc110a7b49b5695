// The loaded vocabulary behind a Tokenizer, shared by the per-algorithm files (spm.cpp, bpe.cpp,
// wpm.cpp), the loader (load.cpp) and the front end (tokenizer.cpp). Private to the component.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/hash_index.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer.h"

namespace occam::tokenizer {

struct Tokenizer::Impl {
  VocabType type = VocabType::spm;
  std::string model;  // tokenizer.ggml.model
  std::string pre;    // tokenizer.ggml.pre
  PreTokenizer pre_tokenizer = PreTokenizer::gpt2;

  // Token i is strings[i] for i < n_tokens; byte-level BPE appends merge parts and results that are
  // not tokens after them, so that every BPE symbol has an id.
  size_t n_tokens = 0;
  std::vector<std::string> strings;
  StringIndex index;
  std::vector<float> scores;
  std::vector<uint32_t> attrs;
  size_t max_token_len = 0;

  SpecialTokens special;
  std::vector<TokenId> eog;  // sorted
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;
  bool clean_spaces = false;
  bool ignore_merges = false;

  // Control, user-defined and unknown tokens, longest text first (tokenizer_st_partition's order).
  std::vector<TokenId> special_cache;
  // token_to_piece(id, special = true) for every id.
  std::vector<std::string> pieces;

  // SentencePiece: the token for each byte (<0xNN>, else the one-byte text), kNoToken when neither.
  std::array<TokenId, 256> byte_tokens{};
  // SentencePiece: true when no token has a U+2581 preceded by another character, so that no merge
  // can cross the boundary before a U+2581 that follows another character: the text is then
  // tokenized chunk by chunk with the same result (and much faster) than as one sequence.
  bool spm_chunkable = false;

  // Byte-level BPE: merge (left id, right id) -> (rank, merged id); the symbol id of each byte's
  // printable character.
  PairIndex merges;
  std::array<int32_t, 256> byte_symbols{};

  TokenId find_token(std::string_view text) const {
    const int32_t id = index.find(text);
    return id >= 0 && static_cast<size_t>(id) < n_tokens ? id : kNoToken;
  }

  // Tokenize one raw-text fragment (no special tokens inside), appending to out.
  void encode_spm(std::string_view text, std::vector<TokenId>& out) const;
  void encode_bpe(std::string_view text, std::vector<TokenId>& out) const;
  void encode_wpm(std::string_view text, std::vector<TokenId>& out) const;

  // token_to_piece(id, special = true), computed at load.
  std::string compute_piece(TokenId id) const;
};

}  // namespace occam::tokenizer
