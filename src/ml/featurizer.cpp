#include "ml/featurizer.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include <utf8proc.h>

namespace occam::ml {

namespace {

constexpr uint64_t kSeedWord = 0x8f1bbcdcca62c1d6ULL;
constexpr uint64_t kSeedWordNgram = 0x5a827999ed9eba14ULL;
constexpr uint64_t kSeedChar = 0x6ed9eba18f1bbcdcULL;
constexpr int32_t kBoundary = 0x20;  // pads each token for char n-grams (tokens never hold spaces)
constexpr uint32_t kMaxHashBits = 24;

// ASCII letters and digits: the only ASCII code points of the categories below.
constexpr bool is_ascii_word(int32_t cp) {
  return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

bool is_word_codepoint(int32_t cp) {
  if (cp < 0x80) return is_ascii_word(cp);
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

void sanitize_utf8(std::string_view text, std::string& out) {
  out.clear();
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t pos = 0;
  const auto size = static_cast<utf8proc_ssize_t>(text.size());
  while (pos < size) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(bytes + pos, size - pos, &cp);
    if (n <= 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      pos += 1;
    } else {
      out.append(text.substr(static_cast<size_t>(pos), static_cast<size_t>(n)));
      pos += n;
    }
  }
}

// NFKC leaves ASCII unchanged, no ASCII code point is default-ignorable or a mark, and case
// folding maps exactly A–Z to a–z: the utf8proc pass is skipped for pure-ASCII text (most
// queries), with the same result (tests/ml/featurizer_test.cpp checks every ASCII byte).
bool normalize_ascii(std::string_view text, std::vector<int32_t>& out) {
  uint8_t any = 0;
  for (char c : text) any |= static_cast<uint8_t>(c);
  if (any & 0x80) return false;
  out.resize(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const int32_t c = static_cast<uint8_t>(text[i]);
    out[i] = (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
  }
  return true;
}

}  // namespace

uint64_t hash_mix(uint64_t h, uint64_t value) {
  h ^= value + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

uint64_t hash_finalize(uint64_t h) {  // MurmurHash3's fmix64
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

Status FeaturizerConfig::validate() const {
  if (hash_bits < 8 || hash_bits > kMaxHashBits) {
    return make_error(ErrorCode::invalid_argument, "hash_bits {} outside [8, {}]", hash_bits, kMaxHashBits);
  }
  if (word_ngram_max > 4 || word_ngram_min > word_ngram_max || (word_ngram_max > 0 && word_ngram_min == 0)) {
    return make_error(ErrorCode::invalid_argument, "word n-gram range [{}, {}] invalid (1 ≤ min ≤ max ≤ 4, or 0 0)",
                      word_ngram_min, word_ngram_max);
  }
  if (char_ngram_max > 8 || char_ngram_min > char_ngram_max || (char_ngram_max > 0 && char_ngram_min == 0)) {
    return make_error(ErrorCode::invalid_argument, "char n-gram range [{}, {}] invalid (1 ≤ min ≤ max ≤ 8, or 0 0)",
                      char_ngram_min, char_ngram_max);
  }
  if (word_ngram_max == 0 && char_ngram_max == 0) {
    return make_error(ErrorCode::invalid_argument, "both the word and the char view are disabled");
  }
  if (!(word_weight >= 0.0f && word_weight <= 1.0f)) {
    return make_error(ErrorCode::invalid_argument, "word_weight {} outside [0, 1]", word_weight);
  }
  return ok_status();
}

void normalize_text(std::string_view text, bool fold_accents, FeatureScratch& scratch) {
  if (normalize_ascii(text, scratch.codepoints)) return;
  const auto options = static_cast<utf8proc_option_t>(
      UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE |
      (fold_accents ? UTF8PROC_STRIPMARK : 0));
  std::string_view input = text;
  auto& buffer = scratch.codepoints;
  if (buffer.size() < text.size() + 16) buffer.resize(text.size() + 16);
  for (int attempt = 0; attempt < 4; ++attempt) {
    utf8proc_ssize_t n = utf8proc_decompose(reinterpret_cast<const utf8proc_uint8_t*>(input.data()),
                                            static_cast<utf8proc_ssize_t>(input.size()), buffer.data(),
                                            static_cast<utf8proc_ssize_t>(buffer.size()), options);
    if (n == UTF8PROC_ERROR_INVALIDUTF8 && input.data() == text.data()) {
      sanitize_utf8(text, scratch.sanitized);
      input = scratch.sanitized;
      if (buffer.size() < input.size() + 16) buffer.resize(input.size() + 16);
      continue;
    }
    if (n < 0) break;  // cannot happen after sanitising; treat as empty text
    if (static_cast<size_t>(n) > buffer.size()) {
      buffer.resize(static_cast<size_t>(n));
      continue;
    }
    n = utf8proc_normalize_utf32(buffer.data(), n, options);
    buffer.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return;
  }
  buffer.clear();
}

std::string normalize_to_utf8(std::string_view text, bool fold_accents) {
  FeatureScratch scratch;
  normalize_text(text, fold_accents, scratch);
  std::string out;
  for (int32_t cp : scratch.codepoints) {
    utf8proc_uint8_t bytes[4];
    utf8proc_ssize_t n = utf8proc_encode_char(cp, bytes);
    out.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n));
  }
  return out;
}

Featurizer::Featurizer(FeaturizerConfig config) : config_(config) {}

void Featurizer::extract(std::string_view text, FeatureScratch& scratch) const {
  normalize_text(text, config_.fold_accents, scratch);
  const auto& cps = scratch.codepoints;
  auto& bounds = scratch.token_bounds;
  bounds.clear();
  for (size_t i = 0; i < cps.size();) {
    if (!is_word_codepoint(cps[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < cps.size() && is_word_codepoint(cps[j])) ++j;
    bounds.push_back(static_cast<uint32_t>(i));
    bounds.push_back(static_cast<uint32_t>(j));
    i = j;
  }
  const size_t n_tokens = bounds.size() / 2;
  const uint64_t mask = (uint64_t{1} << config_.hash_bits) - 1;
  const uint32_t bits = config_.hash_bits;
  const bool signed_hash = config_.signed_hash;
  auto& keyed = scratch.keyed;
  keyed.clear();
  auto emit = [&](uint64_t view, uint64_t h) {
    uint64_t key = (view << bits) | (h & mask);
    keyed.push_back((key << 1) | (signed_hash ? (h >> 63) : 0));
  };

  if (config_.word_ngram_max > 0) {
    auto& hashes = scratch.token_hashes;
    hashes.clear();
    for (size_t t = 0; t < n_tokens; ++t) {
      uint64_t h = kSeedWord;
      for (uint32_t i = bounds[2 * t]; i < bounds[2 * t + 1]; ++i) h = hash_mix(h, static_cast<uint32_t>(cps[i]));
      hashes.push_back(hash_finalize(h));
    }
    for (uint32_t n = config_.word_ngram_min; n <= config_.word_ngram_max; ++n) {
      for (size_t t = 0; t + n <= n_tokens; ++t) {
        uint64_t h = kSeedWordNgram + n;
        for (uint32_t k = 0; k < n; ++k) h = hash_mix(h, hashes[t + k]);
        emit(0, hash_finalize(h));
      }
    }
  }
  if (config_.char_ngram_max > 0) {
    const uint32_t lo = config_.char_ngram_min;
    const uint32_t hi = config_.char_ngram_max;
    for (size_t t = 0; t < n_tokens; ++t) {
      const uint32_t begin = bounds[2 * t];
      const uint32_t length = bounds[2 * t + 1] - begin + 2;  // with the two boundaries
      auto at = [&](uint32_t i) -> uint32_t {
        return (i == 0 || i == length - 1) ? kBoundary : static_cast<uint32_t>(cps[begin + i - 1]);
      };
      for (uint32_t i = 0; i < length; ++i) {
        uint64_t h = kSeedChar;
        for (uint32_t n = 1; n <= hi && i + n <= length; ++n) {
          h = hash_mix(h, at(i + n - 1));
          if (n >= lo) emit(1, hash_finalize(h));
        }
      }
    }
  }
}

void Featurizer::fit(std::span<const std::string_view> texts, uint32_t min_df) {
  FeatureScratch scratch;
  std::vector<FeatureKey> all;
  for (std::string_view text : texts) {
    extract(text, scratch);
    size_t start = all.size();
    for (uint64_t k : scratch.keyed) all.push_back(static_cast<FeatureKey>(k >> 1));
    std::sort(all.begin() + static_cast<ptrdiff_t>(start), all.end());
    all.erase(std::unique(all.begin() + static_cast<ptrdiff_t>(start), all.end()), all.end());
  }
  std::sort(all.begin(), all.end());
  keys_.clear();
  idf_.clear();
  const double n = static_cast<double>(texts.size());
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j] == all[i]) ++j;
    if (j - i < min_df) {
      i = j;
      continue;
    }
    keys_.push_back(all[i]);
    idf_.push_back(static_cast<float>(std::log((1.0 + n) / (1.0 + static_cast<double>(j - i))) + 1.0));
    i = j;
  }
  build_table();
}

Status Featurizer::set_vocabulary(std::vector<FeatureKey> keys, std::vector<float> idf) {
  OCCAM_TRY(config_.validate());
  if (keys.size() != idf.size()) {
    return make_error(ErrorCode::invalid_argument, "vocabulary: {} keys but {} idf values", keys.size(), idf.size());
  }
  const uint64_t limit = uint64_t{1} << (config_.hash_bits + 1);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] >= limit) {
      return make_error(ErrorCode::invalid_argument, "vocabulary: key {} = {} outside [0, 2^{})", i, keys[i],
                        config_.hash_bits + 1);
    }
    if (i > 0 && keys[i] <= keys[i - 1]) {
      return make_error(ErrorCode::invalid_argument, "vocabulary: keys not strictly increasing at row {}", i);
    }
    if (!std::isfinite(idf[i]) || idf[i] < 0.0f) {
      return make_error(ErrorCode::invalid_argument, "vocabulary: idf of row {} is {} (must be finite, ≥ 0)", i,
                        idf[i]);
    }
  }
  keys_ = std::move(keys);
  idf_ = std::move(idf);
  build_table();
  return ok_status();
}

void Featurizer::build_table() {
  size_t capacity = std::bit_ceil(std::max<size_t>(16, keys_.size() * 2));
  table_.assign(capacity * 2, 0);
  table_mask_ = static_cast<uint32_t>(capacity - 1);
  for (size_t row = 0; row < keys_.size(); ++row) {
    uint32_t slot = static_cast<uint32_t>(hash_finalize(keys_[row])) & table_mask_;
    while (table_[2 * slot] != 0) slot = (slot + 1) & table_mask_;
    table_[2 * slot] = keys_[row] + 1;
    table_[2 * slot + 1] = static_cast<uint32_t>(row);
  }
}

uint32_t Featurizer::slot_of(FeatureKey key) const {
  return static_cast<uint32_t>(hash_finalize(key)) & table_mask_;
}

int64_t Featurizer::row_of(FeatureKey key) const {
  if (table_.empty()) return -1;
  uint32_t slot = slot_of(key);
  while (true) {
    uint32_t stored = table_[2 * slot];
    if (stored == 0) return -1;
    if (stored == key + 1) return table_[2 * slot + 1];
    slot = (slot + 1) & table_mask_;
  }
}

void Featurizer::transform(std::string_view text, FeatureScratch& scratch) const {
  extract(text, scratch);
  auto& keyed = scratch.keyed;
  std::sort(keyed.begin(), keyed.end());
  // The table is megabytes: touch every first probe before the loop below needs it, so that the
  // cache misses overlap instead of queueing one after the other.
  if (!table_.empty()) {
    for (size_t i = 0; i < keyed.size(); ++i) {
      if (i == 0 || (keyed[i] >> 1) != (keyed[i - 1] >> 1)) {
        __builtin_prefetch(table_.data() + 2 * slot_of(static_cast<FeatureKey>(keyed[i] >> 1)));
      }
    }
  }
  auto& entries = scratch.entries;
  entries.clear();
  double norm2[2] = {0.0, 0.0};
  size_t split = 0;  // entries of the word view come first (keys sorted, view is the high bit)
  for (size_t i = 0; i < keyed.size();) {
    const FeatureKey key = static_cast<FeatureKey>(keyed[i] >> 1);
    int64_t count = 0;
    size_t j = i;
    while (j < keyed.size() && (keyed[j] >> 1) == key) {
      count += (keyed[j] & 1) ? -1 : 1;
      ++j;
    }
    i = j;
    if (count == 0) continue;
    int64_t row = row_of(key);
    if (row < 0) continue;
    double tf = static_cast<double>(count < 0 ? -count : count);
    if (config_.sublinear_tf) tf = 1.0 + std::log(tf);
    double value = (count < 0 ? -tf : tf) * idf_[static_cast<size_t>(row)];
    const uint32_t view = key >> config_.hash_bits;
    norm2[view] += value * value;
    if (view == 0) ++split;
    entries.push_back({static_cast<uint32_t>(row), static_cast<float>(value)});
  }
  double word_share = config_.word_weight;
  if (config_.char_ngram_max == 0) word_share = 1.0;
  if (config_.word_ngram_max == 0) word_share = 0.0;
  const double scale[2] = {norm2[0] > 0 ? std::sqrt(word_share / norm2[0]) : 0.0,
                           norm2[1] > 0 ? std::sqrt((1.0 - word_share) / norm2[1]) : 0.0};
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].value = static_cast<float>(entries[i].value * scale[i < split ? 0 : 1]);
  }
  // Rows are assigned in key order, so entries are already sorted by index.
}

}  // namespace occam::ml
