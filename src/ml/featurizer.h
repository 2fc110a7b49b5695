// Text → sparse TF-IDF vector for the classic-ML tier.
//
// normalise (NFKC + Unicode case folding, optional accent stripping) → tokens (runs of letters,
// digits and marks) → word n-grams and char n-grams inside each token padded with a boundary
// (scikit-learn's char_wb) → feature hashing into 2^hash_bits buckets per view → sublinear TF ×
// IDF (fitted on training texts) → each view L2-normalised and weighted, so the whole vector has
// unit norm. Buckets never seen in training are dropped (they have no weight anyway).
//
// The prediction path reuses the buffers of a FeatureScratch: no allocation per token.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace occam::ml {

struct FeaturizerConfig {
  uint32_t hash_bits = 20;  // buckets per view; 2^20 keeps collisions rare for intent-sized corpora
  uint32_t word_ngram_min = 1;
  uint32_t word_ngram_max = 2;
  uint32_t char_ngram_min = 2;  // 0 disables the char view
  uint32_t char_ngram_max = 5;
  bool fold_accents = false;  // strip combining marks after decomposition (é → e)
  bool signed_hash = false;   // ±1 per bucket from a hash bit (Weinberger et al. 2009)
  bool sublinear_tf = true;   // 1 + ln(tf)
  float word_weight = 0.5f;   // share of the squared norm given to the word view (rest: char view)

  Status validate() const;
  bool operator==(const FeaturizerConfig&) const = default;
};

// Hashed feature key: bit hash_bits holds the view (0 word, 1 char), the low bits the bucket.
using FeatureKey = uint32_t;

struct SparseEntry {
  uint32_t index;  // row in the vocabulary
  float value;
};

// Reusable buffers for one thread. Not shared between threads.
struct FeatureScratch {
  std::vector<int32_t> codepoints;
  std::vector<uint32_t> token_bounds;  // begin, end pairs into codepoints
  std::vector<uint64_t> token_hashes;
  std::vector<uint64_t> keyed;  // (key << 1 | sign) per occurrence, sorted to count
  std::vector<SparseEntry> entries;
  std::string sanitized;  // used only when the input is not valid UTF-8
};

// Normalises `text` into code points (NFKC, case folded, optionally without accents). Invalid
// UTF-8 bytes become U+FFFD. Exposed for tests.
void normalize_text(std::string_view text, bool fold_accents, FeatureScratch& scratch);
std::string normalize_to_utf8(std::string_view text, bool fold_accents);

class Featurizer {
 public:
  Featurizer() = default;
  explicit Featurizer(FeaturizerConfig config);

  const FeaturizerConfig& config() const { return config_; }

  // Every hashed key of `text`, one per occurrence, with its sign bit: (key << 1) | negative.
  // Result in scratch.keyed (unsorted).
  void extract(std::string_view text, FeatureScratch& scratch) const;

  // Fits the vocabulary (keys seen in at least `min_df` of `texts`) and
  // IDF = ln((1 + n) / (1 + df)) + 1.
  void fit(std::span<const std::string_view> texts, uint32_t min_df = 1);

  // Restores a fitted state (model file). Keys must be unique and < 2^(hash_bits + 1).
  Status set_vocabulary(std::vector<FeatureKey> keys, std::vector<float> idf);
  const std::vector<FeatureKey>& keys() const { return keys_; }
  const std::vector<float>& idf() const { return idf_; }
  size_t dimension() const { return keys_.size(); }

  // TF-IDF vector of `text` in scratch.entries, sorted by index, unit norm (or empty).
  void transform(std::string_view text, FeatureScratch& scratch) const;

 private:
  uint32_t slot_of(FeatureKey key) const;  // first probe of `key` in table_
  int64_t row_of(FeatureKey key) const;
  void build_table();

  FeaturizerConfig config_;
  std::vector<FeatureKey> keys_;  // row → key
  std::vector<float> idf_;        // row → idf
  std::vector<uint32_t> table_;   // open addressing: key + 1 (0 empty) and row, interleaved
  uint32_t table_mask_ = 0;
};

// Stable 64-bit hashing of code points (part of the model file format: never change it).
uint64_t hash_mix(uint64_t h, uint64_t value);
uint64_t hash_finalize(uint64_t h);

}  // namespace occam::ml
