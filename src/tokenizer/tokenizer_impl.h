// The loaded vocabulary behind a Tokenizer, shared by the per-algorithm files (spm.cpp, bpe.cpp,
// wpm.cpp), the loader (load.cpp) and the front end (tokenizer.cpp). Private to the component.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenizer/hash_index.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer.h"

namespace occam::tokenizer {

// The texts of the special tokens, to find in one pass which of them occur in a text at all: the
// partition (llama.cpp's tokenizer_st_partition, one search per special token) then only runs for
// those. Without it, vocabularies with thousands of user-defined tokens (deepseek-llm: 2,398) spend
// most of their time searching for tokens that are not there.
class SpecialTrie {
 public:
  void insert(std::string_view text, int32_t rank) {
    if (text.empty()) return;
    if (root_.empty()) root_.assign(256, -1);
    int32_t node = root_[static_cast<uint8_t>(text[0])];
    if (node < 0) {
      node = new_node();
      root_[static_cast<uint8_t>(text[0])] = node;
    }
    for (size_t i = 1; i < text.size(); ++i) {
      const auto c = static_cast<uint8_t>(text[i]);
      int32_t child = -1;
      for (const auto& [byte, index] : nodes_[static_cast<size_t>(node)].next) {
        if (byte == c) child = index;
      }
      if (child < 0) {
        child = new_node();
        nodes_[static_cast<size_t>(node)].next.emplace_back(c, child);
      }
      node = child;
    }
    nodes_[static_cast<size_t>(node)].rank = rank;
  }
  bool empty() const { return root_.empty(); }
  // Appends the rank of every inserted text that occurs in text (possibly repeated).
  void find_all(std::string_view text, std::vector<int32_t>& ranks) const {
    if (root_.empty()) return;
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    for (size_t pos = 0; pos < text.size(); ++pos) {
      int32_t node = root_[s[pos]];
      size_t i = pos + 1;
      while (node >= 0) {
        const Node& n = nodes_[static_cast<size_t>(node)];
        if (n.rank >= 0) ranks.push_back(n.rank);
        if (i == text.size()) break;
        int32_t child = -1;
        for (const auto& [byte, index] : n.next) {
          if (byte == s[i]) {
            child = index;
            break;
          }
        }
        node = child;
        ++i;
      }
    }
  }

 private:
  struct Node {
    int32_t rank = -1;
    std::vector<std::pair<uint8_t, int32_t>> next;
  };
  int32_t new_node() {
    nodes_.emplace_back();
    return static_cast<int32_t>(nodes_.size() - 1);
  }
  std::vector<int32_t> root_;
  std::vector<Node> nodes_;
};

// Per-thread memo of word -> ids for the current tokenizer. Natural text repeats its words, and a word
// tokenizes the same way wherever it occurs (BPE works inside pre-tokenized words, SentencePiece inside
// chunks that no merge crosses), so most words skip the merge loop. Keyed by the tokenizer's load id
// (not its address, which a later tokenizer could reuse); bounded by clearing when full.
class WordCache {
 public:
  static constexpr size_t kMaxWordBytes = 48;
  static constexpr size_t kMaxEntries = 1 << 16;

  // This thread's cache for tokenizer `owner`; a few tokenizers used in turn keep their own.
  static WordCache& for_thread(uint64_t owner) {
    thread_local std::array<WordCache, 4> caches;
    thread_local size_t next_victim = 0;
    for (WordCache& c : caches) {
      if (c.owner_ == owner) return c;
    }
    WordCache& cache = caches[next_victim];
    next_victim = (next_victim + 1) % caches.size();
    cache.map_.clear();
    cache.ids_.clear();
    cache.owner_ = owner;
    return cache;
  }
  // The cached ids of word, as [begin, end) into ids(), or false.
  bool find(std::string_view word, uint32_t& begin, uint32_t& end) const {
    const auto it = map_.find(word);
    if (it == map_.end()) return false;
    begin = it->second.first;
    end = it->second.second;
    return true;
  }
  const TokenId* ids() const { return ids_.data(); }
  void insert(std::string_view word, const TokenId* first, size_t count) {
    if (word.size() > kMaxWordBytes) return;
    if (map_.size() >= kMaxEntries) {
      map_.clear();
      ids_.clear();
    }
    const auto begin = static_cast<uint32_t>(ids_.size());
    ids_.insert(ids_.end(), first, first + count);
    map_.emplace(std::string(word), std::make_pair(begin, static_cast<uint32_t>(ids_.size())));
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return hash_bytes(s); }
  };
  uint64_t owner_ = 0;
  std::unordered_map<std::string, std::pair<uint32_t, uint32_t>, Hash, std::equal_to<>> map_;
  std::vector<TokenId> ids_;
};

struct Tokenizer::Impl {
  uint64_t cache_id = 0;  // unique per loaded tokenizer (WordCache key)
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
  // special_cache positions by text: the user-defined ones (matched without parse_special), and all.
  SpecialTrie special_trie_plain;
  SpecialTrie special_trie_all;
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
