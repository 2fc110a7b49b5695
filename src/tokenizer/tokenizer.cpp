// Tokenizer front end: special-token partition (llama.cpp's tokenizer_st_partition), BOS/EOS rules per
// vocabulary type, detokenization with llama.cpp's space clean-up, accessors.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cstring>

#include "tokenizer/tokenizer_impl.h"

namespace occam::tokenizer {
namespace {

struct Fragment {
  TokenId token;  // kNoToken: raw text [offset, offset + length)
  size_t offset;
  size_t length;
};

bool is_ascii_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

size_t find_in(std::string_view text, size_t offset, size_t length, std::string_view needle) {
  if (needle.size() > length) return std::string_view::npos;
  const void* hit = ::memmem(text.data() + offset, length, needle.data(), needle.size());
  return hit == nullptr ? std::string_view::npos
                        : static_cast<size_t>(static_cast<const char*>(hit) - text.data());
}

// Splits raw fragments at every occurrence of each special token, longest tokens first.
void partition(const Tokenizer::Impl& v, std::string_view text, bool parse_special,
               std::vector<Fragment>& fragments) {
  fragments.clear();
  if (text.empty()) return;
  fragments.push_back(Fragment{kNoToken, 0, text.size()});
  // Only the special tokens that occur in the text can split it (fragments are substrings of it).
  std::vector<int32_t> ranks;
  (parse_special ? v.special_trie_all : v.special_trie_plain).find_all(text, ranks);
  if (ranks.empty()) return;
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  std::vector<Fragment> next;
  for (int32_t rank : ranks) {
    const TokenId id = v.special_cache[static_cast<size_t>(rank)];
    const uint32_t attr = v.attrs[static_cast<size_t>(id)];
    // Control and unknown tokens only with parse_special; user-defined ones always (as Hugging Face).
    if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string& needle = v.strings[static_cast<size_t>(id)];
    if (needle.empty()) continue;
    bool found_any = false;
    for (const Fragment& f : fragments) {
      if (f.token == kNoToken && find_in(text, f.offset, f.length, needle) != std::string_view::npos) {
        found_any = true;
        break;
      }
    }
    if (!found_any) continue;
    next.clear();
    for (const Fragment& f : fragments) {
      if (f.token != kNoToken) {
        next.push_back(f);
        continue;
      }
      size_t base = f.offset, length = f.length;
      while (true) {
        const size_t match = find_in(text, base, length, needle);
        if (match == std::string_view::npos) {
          if (length > 0) next.push_back(Fragment{kNoToken, base, length});
          break;
        }
        if (match > base) {
          size_t left = match - base;
          if (attr & kAttrLstrip) {
            while (left > 0 && is_ascii_space(text[base + left - 1])) --left;
          }
          if (left > 0) next.push_back(Fragment{kNoToken, base, left});
        }
        next.push_back(Fragment{id, 0, 0});
        size_t right_offset = match + needle.size();
        size_t right_length = base + length - right_offset;
        if (right_length == 0) break;
        if (attr & kAttrRstrip) {
          while (right_length > 0 && is_ascii_space(text[right_offset])) {
            ++right_offset;
            --right_length;
          }
        }
        base = right_offset;
        length = right_length;
      }
    }
    fragments.swap(next);
  }
}

// llama_detokenize's clean_up_tokenization_spaces, in place and byte for byte as llama.cpp does it
// (including its reads of already-shifted bytes).
void clean_up_spaces(std::string& text) {
  int64_t total = static_cast<int64_t>(text.size());
  char* t = text.data();
  // " ?", " !", " .", " ,"
  const int64_t total1 = total;
  total = total ? 1 : 0;
  for (int64_t i = 1; i < total1; ++i) {
    const char x = t[i];
    if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) --total;
    t[total++] = x;
  }
  // " ' " -> "'"
  const int64_t total2 = total;
  total = total ? 1 : 0;
  for (int64_t i = 1; i < total2; ++i) {
    const char x = t[i];
    if (x == '\'' && i + 1 < total2 && t[i - 1] == ' ' && t[i + 1] == ' ') {
      --total;
      t[++i] = '\0';
    }
    t[total++] = x;
  }
  // " 's", " 'm", " 're", " 've" lose their space
  const int64_t total3 = total;
  total = total ? 1 : 0;
  for (int64_t i = 1; i < total3; ++i) {
    const char x = t[i];
    if (t[i - 1] == ' ' && x == '\'' && i + 1 < total3) {
      const char x1 = t[i + 1];
      if (x1 == 't' || x1 == 'd') {
        // kept
      } else if (x1 == 's' || x1 == 'm') {
        --total;
      } else if (i + 2 < total3) {
        const char x2 = t[i + 2];
        if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) --total;
      }
    }
    t[total++] = x;
  }
  text.resize(static_cast<size_t>(total));
}

}  // namespace

std::string_view to_string(VocabType type) {
  switch (type) {
    case VocabType::spm:
      return "SPM";
    case VocabType::bpe:
      return "BPE";
    case VocabType::wpm:
      return "WPM";
  }
  return "?";
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

std::vector<TokenId> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<TokenId> out;
  encode(text, options, out);
  return out;
}

void Tokenizer::encode(std::string_view text, const EncodeOptions& options, std::vector<TokenId>& out) const {
  const Impl& v = *impl_;
  out.clear();
  std::vector<Fragment> fragments;
  partition(v, text, options.parse_special, fragments);

  switch (v.type) {
    case VocabType::spm: {
      bool prev_special = true;  // the dummy prefix goes before the first text and after each special token
      if (options.add_special && v.add_bos) out.push_back(v.special.bos);
      std::string piece;
      for (const Fragment& f : fragments) {
        if (f.token != kNoToken) {
          out.push_back(f.token);
          prev_special = true;
          continue;
        }
        piece.clear();
        if (v.add_space_prefix && prev_special) piece.push_back(' ');
        piece.append(text.substr(f.offset, f.length));
        v.encode_spm(piece, out);
        prev_special = false;
      }
      if (options.add_special && v.add_eos) out.push_back(v.special.eos);
      break;
    }
    case VocabType::bpe: {
      if (options.add_special && v.add_bos) out.push_back(v.special.bos);
      for (const Fragment& f : fragments) {
        if (f.token != kNoToken) {
          out.push_back(f.token);
        } else {
          v.encode_bpe(text.substr(f.offset, f.length), out);
        }
      }
      if (options.add_special && v.add_eos) out.push_back(v.special.eos);
      break;
    }
    case VocabType::wpm: {
      if (options.add_special) out.push_back(v.special.bos);
      for (const Fragment& f : fragments) {
        if (f.token != kNoToken) {
          out.push_back(f.token);
        } else {
          v.encode_wpm(text.substr(f.offset, f.length), out);
        }
      }
      if (options.add_special) out.push_back(v.special.sep);
      break;
    }
  }
}

std::string Tokenizer::decode(std::span<const TokenId> ids, const DecodeOptions& options) const {
  const Impl& v = *impl_;
  bool remove_space = v.add_space_prefix;
  if (options.remove_special && v.add_bos && !ids.empty() && ids.front() == v.special.bos) {
    remove_space = false;
    ids = ids.subspan(1);
  }
  if (options.remove_special && v.add_eos && !ids.empty() && ids.back() == v.special.eos) {
    ids = ids.subspan(0, ids.size() - 1);
  }
  std::string text;
  for (TokenId id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= v.n_tokens) continue;
    const size_t i = static_cast<size_t>(id);
    std::string_view piece = v.pieces[i];
    if (!options.unparse_special && (v.attrs[i] & (kAttrUnknown | kAttrControl))) piece = {};
    if (remove_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    remove_space = false;
    text.append(piece);
  }
  if (options.clean_spaces && v.clean_spaces) clean_up_spaces(text);
  return text;
}

std::string_view Tokenizer::token_to_piece(TokenId id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->n_tokens) return {};
  return impl_->pieces[static_cast<size_t>(id)];
}

std::string_view Tokenizer::token_text(TokenId id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->n_tokens) return {};
  return impl_->strings[static_cast<size_t>(id)];
}

TokenId Tokenizer::find_token(std::string_view text) const {
  return impl_->find_token(text);
}

VocabType Tokenizer::type() const {
  return impl_->type;
}
std::string_view Tokenizer::model_name() const {
  return impl_->model;
}
std::string_view Tokenizer::pre_name() const {
  return impl_->pre;
}
size_t Tokenizer::vocab_size() const {
  return impl_->n_tokens;
}

uint32_t Tokenizer::attributes(TokenId id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->n_tokens) return 0;
  return impl_->attrs[static_cast<size_t>(id)];
}

float Tokenizer::score(TokenId id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->n_tokens) return 0.0f;
  return impl_->scores[static_cast<size_t>(id)];
}

bool Tokenizer::is_end_of_generation(TokenId id) const {
  return std::binary_search(impl_->eog.begin(), impl_->eog.end(), id);
}

const SpecialTokens& Tokenizer::special() const {
  return impl_->special;
}
bool Tokenizer::add_bos() const {
  return impl_->add_bos;
}
bool Tokenizer::add_eos() const {
  return impl_->add_eos;
}
bool Tokenizer::add_space_prefix() const {
  return impl_->add_space_prefix;
}

// ---------------------------------------------------------------------------------------------
// StreamDecoder

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool unparse_special)
    : tokenizer_(&tokenizer), unparse_special_(unparse_special) {}

void StreamDecoder::reset() {
  first_ = true;
  pending_.clear();
}

std::string StreamDecoder::push(TokenId id) {
  const Tokenizer::Impl& v = *tokenizer_->impl_;
  if (id >= 0 && static_cast<size_t>(id) < v.n_tokens) {
    const size_t i = static_cast<size_t>(id);
    std::string_view piece = v.pieces[i];
    if (!unparse_special_ && (v.attrs[i] & (kAttrUnknown | kAttrControl))) piece = {};
    if (first_ && v.add_space_prefix && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    pending_.append(piece);
  }
  first_ = false;
  return drain(false);
}

std::string StreamDecoder::finish() {
  std::string out = drain(true);
  first_ = true;
  return out;
}

std::string StreamDecoder::drain(bool final) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  const auto* s = reinterpret_cast<const uint8_t*>(pending_.data());
  const size_t n = pending_.size();
  std::string out;
  out.reserve(n);
  size_t i = 0;
  while (i < n) {
    const uint8_t c = s[i];
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    // Well-formed sequences (Unicode Table 3-7): length and the range of the second byte.
    size_t len = 0;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c == 0xE0) {
      len = 3;
      lo = 0xA0;
    } else if (c >= 0xE1 && c <= 0xEC) {
      len = 3;
    } else if (c == 0xED) {
      len = 3;
      hi = 0x9F;
    } else if (c >= 0xEE && c <= 0xEF) {
      len = 3;
    } else if (c == 0xF0) {
      len = 4;
      lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = 4;
    } else if (c == 0xF4) {
      len = 4;
      hi = 0x8F;
    }
    if (len == 0) {
      out.append(kReplacement);
      ++i;
      continue;
    }
    size_t k = 1;
    bool broken = false;
    for (; k < len && i + k < n; ++k) {
      const uint8_t b = s[i + k];
      const bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
      if (!ok) {
        broken = true;
        break;
      }
    }
    if (broken) {  // the maximal valid prefix [i, i + k) is one U+FFFD
      out.append(kReplacement);
      i += k;
      continue;
    }
    if (k == len) {
      out.append(pending_, i, len);
      i += len;
      continue;
    }
    // Incomplete at the end: hold back, or flush as one U+FFFD when finishing.
    if (final) {
      out.append(kReplacement);
      i = n;
    }
    break;
  }
  pending_.erase(0, i);
  return out;
}

}  // namespace occam::tokenizer
