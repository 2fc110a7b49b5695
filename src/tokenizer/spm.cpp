// SentencePiece BPE with scores, as llama.cpp's llm_tokenizer_spm: start from UTF-8 characters (by
// lead-byte length), repeatedly merge the adjacent pair whose concatenation is the token with the
// highest score (leftmost on ties), then emit each symbol as its token or, failing that, its bytes.
#include <algorithm>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace occam::tokenizer {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581

struct Symbol {
  uint32_t offset;
  uint32_t size;
  int32_t prev;
  int32_t next;
};

struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  uint32_t size;
};

// std::priority_queue order of llm_bigram_spm::comparator: highest score first, then lowest left.
struct BigramLess {
  bool operator()(const Bigram& l, const Bigram& r) const {
    return l.score < r.score || (l.score == r.score && l.left > r.left);
  }
};

class SpmSession {
 public:
  explicit SpmSession(const Tokenizer::Impl& vocab) : vocab_(vocab) {}

  // text: already escaped (spaces replaced by U+2581).
  void tokenize(std::string_view text, std::vector<TokenId>& out) {
    text_ = text;
    symbols_.clear();
    queue_.clear();
    size_t offset = 0;
    while (offset < text.size()) {
      const size_t len =
          std::min(unicode::utf8_len_from_lead(static_cast<uint8_t>(text[offset])), text.size() - offset);
      const auto index = static_cast<int32_t>(symbols_.size());
      symbols_.push_back(Symbol{static_cast<uint32_t>(offset), static_cast<uint32_t>(len), index - 1,
                                offset + len == text.size() ? -1 : index + 1});
      offset += len;
    }
    for (int32_t i = 1; i < static_cast<int32_t>(symbols_.size()); ++i) try_add_bigram(i - 1, i);

    while (!queue_.empty()) {
      std::pop_heap(queue_.begin(), queue_.end(), BigramLess{});
      const Bigram bigram = queue_.back();
      queue_.pop_back();
      Symbol& left = symbols_[bigram.left];
      Symbol& right = symbols_[bigram.right];
      // Outdated entry: one side was merged since (sizes only grow, or drop to 0).
      if (left.size == 0 || right.size == 0 || left.size + right.size != bigram.size) continue;
      left.size += right.size;
      right.size = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = bigram.left;
      try_add_bigram(left.prev, bigram.left);
      try_add_bigram(bigram.left, left.next);
    }

    for (int32_t i = symbols_.empty() ? -1 : 0; i != -1; i = symbols_[i].next) {
      const Symbol& s = symbols_[i];
      const std::string_view piece = text_.substr(s.offset, s.size);
      const TokenId id = vocab_.find_token(piece);
      if (id != kNoToken) {
        out.push_back(id);
        continue;
      }
      // llama.cpp's resegment() would consult its reverse-merge map here, but that map only holds
      // texts that are tokens, so an unknown symbol always falls back to bytes.
      for (char c : piece) {
        const TokenId byte_id = vocab_.byte_tokens[static_cast<uint8_t>(c)];
        // llama.cpp throws when the vocabulary has neither <0xNN> nor the byte as a token; we emit
        // the unknown token instead (or nothing if there is none).
        if (byte_id != kNoToken) {
          out.push_back(byte_id);
        } else if (vocab_.special.unk != kNoToken) {
          out.push_back(vocab_.special.unk);
        }
      }
    }
  }

 private:
  void try_add_bigram(int32_t left, int32_t right) {
    if (left == -1 || right == -1) return;
    const uint32_t size = symbols_[left].size + symbols_[right].size;
    const TokenId id = vocab_.find_token(text_.substr(symbols_[left].offset, size));
    if (id == kNoToken) return;
    queue_.push_back(Bigram{vocab_.scores[static_cast<size_t>(id)], left, right, size});
    std::push_heap(queue_.begin(), queue_.end(), BigramLess{});
  }

  const Tokenizer::Impl& vocab_;
  std::string_view text_;
  std::vector<Symbol> symbols_;
  std::vector<Bigram> queue_;
};

}  // namespace

void Tokenizer::Impl::encode_spm(std::string_view text, std::vector<TokenId>& out) const {
  // text is the fragment with the dummy prefix already added; escape spaces.
  std::string escaped;
  escaped.reserve(text.size() + text.size() / 4 + 8);
  for (char c : text) {
    if (c == ' ') {
      escaped.append(kSpaceMarker);
    } else {
      escaped.push_back(c);
    }
  }
  SpmSession session(*this);
  if (!spm_chunkable) {
    session.tokenize(escaped, out);
    return;
  }
  WordCache& cache = WordCache::for_thread(cache_id);
  auto tokenize_chunk = [&](std::string_view chunk) {
    uint32_t begin = 0, end = 0;
    if (cache.find(chunk, begin, end)) {
      out.insert(out.end(), cache.ids() + begin, cache.ids() + end);
      return;
    }
    const size_t first = out.size();
    session.tokenize(chunk, out);
    cache.insert(chunk, out.data() + first, out.size() - first);
  };
  // Cut before every U+2581 symbol that follows another symbol (see spm_chunkable). Symbols are
  // delimited as the session delimits them (lead-byte lengths), so the cuts fall on its boundaries.
  const std::string_view all = escaped;
  size_t chunk_start = 0;
  size_t pos = 0;
  bool prev_marker = false;
  while (pos < all.size()) {
    const size_t len =
        std::min(unicode::utf8_len_from_lead(static_cast<uint8_t>(all[pos])), all.size() - pos);
    const bool marker = len == kSpaceMarker.size() && all.compare(pos, len, kSpaceMarker) == 0;
    if (marker && !prev_marker && pos > chunk_start) {
      tokenize_chunk(all.substr(chunk_start, pos - chunk_start));
      chunk_start = pos;
    }
    prev_marker = marker;
    pos += len;
  }
  if (chunk_start < all.size()) tokenize_chunk(all.substr(chunk_start));
}

}  // namespace occam::tokenizer
