// Byte-level BPE as llama.cpp's llm_tokenizer_bpe: pre-tokenize into words, map each byte of a word to
// its printable character (GPT-2's alphabet), merge the adjacent pair with the lowest merge rank
// (leftmost on ties) until none applies, emit each symbol as its token. Symbols are ids into the
// vocabulary's string table (tokens, then merge parts that are not tokens), so a merge is one hash
// probe on a pair of integers instead of a string concatenation and lookup.
#include <algorithm>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace occam::tokenizer {
namespace {

struct Symbol {
  int32_t id;       // string-table id, -1 when the text is not in the table
  uint32_t offset;  // byte offset in the word (original bytes)
  uint32_t size;    // bytes
  int32_t prev;
  int32_t next;
};

struct Bigram {
  int32_t rank;
  int32_t left;
  int32_t right;
  int32_t result;
  uint32_t size;
};

// llm_bigram_bpe::comparator: lowest rank first, then lowest left.
struct BigramLess {
  bool operator()(const Bigram& l, const Bigram& r) const {
    return l.rank > r.rank || (l.rank == r.rank && l.left > r.left);
  }
};

class BpeSession {
 public:
  explicit BpeSession(const Tokenizer::Impl& vocab) : vocab_(vocab) {}

  void tokenize(std::string_view text, std::vector<TokenId>& out) {
    unicode::decode_utf8(text, cpts_);
    lengths_.clear();
    pretokenize(vocab_.pre_tokenizer, cpts_, lengths_);
    WordCache& cache = WordCache::for_thread(vocab_.cache_id);
    size_t start = 0;
    for (uint32_t length : lengths_) {
      word_.clear();
      for (size_t i = start; i < start + length; ++i) unicode::append_utf8(word_, cpts_[i]);
      start += length;
      uint32_t begin = 0, end = 0;
      if (cache.find(word_, begin, end)) {
        out.insert(out.end(), cache.ids() + begin, cache.ids() + end);
        continue;
      }
      const size_t first = out.size();
      tokenize_word(out);
      cache.insert(word_, out.data() + first, out.size() - first);
    }
  }

 private:
  // The word's text in the byte-level alphabet (what the vocabulary stores).
  void encode_word(std::string_view bytes, std::string& encoded) const {
    encoded.clear();
    for (char c : bytes) unicode::append_utf8(encoded, unicode::byte_to_codepoint(static_cast<uint8_t>(c)));
  }

  void tokenize_word(std::vector<TokenId>& out) {
    if (word_.empty()) return;
    if (vocab_.ignore_merges) {
      encode_word(word_, encoded_);
      const TokenId id = vocab_.find_token(encoded_);
      if (id != kNoToken) {
        out.push_back(id);
        return;
      }
    }
    symbols_.clear();
    queue_.clear();
    const auto n = static_cast<int32_t>(word_.size());
    for (int32_t i = 0; i < n; ++i) {
      symbols_.push_back(Symbol{vocab_.byte_symbols[static_cast<uint8_t>(word_[static_cast<size_t>(i)])],
                                static_cast<uint32_t>(i), 1, i - 1, i + 1 == n ? -1 : i + 1});
    }
    for (int32_t i = 1; i < n; ++i) add_bigram(i - 1, i);

    while (!queue_.empty()) {
      std::pop_heap(queue_.begin(), queue_.end(), BigramLess{});
      const Bigram bigram = queue_.back();
      queue_.pop_back();
      Symbol& left = symbols_[bigram.left];
      Symbol& right = symbols_[bigram.right];
      // Outdated entry (a side was merged since): sizes only grow, or drop to 0.
      if (left.size == 0 || right.size == 0 || left.size + right.size != bigram.size) continue;
      left.size += right.size;
      left.id = bigram.result;
      right.size = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = bigram.left;
      add_bigram(left.prev, bigram.left);
      add_bigram(bigram.left, left.next);
    }

    for (int32_t i = 0; i != -1; i = symbols_[i].next) {
      const Symbol& s = symbols_[i];
      if (s.id >= 0 && static_cast<size_t>(s.id) < vocab_.n_tokens) {
        out.push_back(s.id);
        continue;
      }
      // Not a token: llama.cpp looks up each byte of the encoded text as a one-byte token and
      // drops the bytes that are not (the two-byte characters of the alphabet).
      encode_word(std::string_view(word_).substr(s.offset, s.size), encoded_);
      for (char c : encoded_) {
        const TokenId id = vocab_.find_token(std::string_view(&c, 1));
        if (id != kNoToken) out.push_back(id);
      }
    }
  }

  void add_bigram(int32_t left, int32_t right) {
    if (left == -1 || right == -1) return;
    const Symbol& l = symbols_[left];
    const Symbol& r = symbols_[right];
    if (l.id < 0 || r.id < 0) return;
    const PairIndex::Entry* merge = vocab_.merges.find(l.id, r.id);
    if (merge == nullptr) return;
    queue_.push_back(Bigram{merge->rank, left, right, merge->result, l.size + r.size});
    std::push_heap(queue_.begin(), queue_.end(), BigramLess{});
  }

  const Tokenizer::Impl& vocab_;
  std::vector<uint32_t> cpts_;
  std::vector<uint32_t> lengths_;
  std::string word_;
  std::string encoded_;
  std::vector<Symbol> symbols_;
  std::vector<Bigram> queue_;
};

}  // namespace

void Tokenizer::Impl::encode_bpe(std::string_view text, std::vector<TokenId>& out) const {
  BpeSession session(*this);
  session.tokenize(text, out);
}

}  // namespace occam::tokenizer
