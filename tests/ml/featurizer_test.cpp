#include "ml/featurizer.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

namespace occam::ml {
namespace {

std::filesystem::path data_file(std::string_view name) {
  return std::filesystem::path(OCCAM_SOURCE_DIR) / "tests/ml/data" / name;
}

TEST(Normalize, TableOfCases) {
  std::ifstream in(data_file("normalize_cases.tsv"));
  ASSERT_TRUE(in) << "missing tests/ml/data/normalize_cases.tsv";
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string input, fold, expected;
    ASSERT_TRUE(std::getline(fields, input, '\t') && std::getline(fields, fold, '\t') && std::getline(fields, expected))
        << line;
    EXPECT_EQ(normalize_to_utf8(input, fold == "1"), expected) << "input: " << input << " fold: " << fold;
    ++cases;
  }
  EXPECT_GE(cases, 10);
}

TEST(Normalize, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(normalize_to_utf8("ab\xff\xfe" "cd", false), "ab\xEF\xBF\xBD\xEF\xBF\xBD" "cd");
  EXPECT_EQ(normalize_to_utf8("\xC3", false), "\xEF\xBF\xBD");  // truncated sequence
  EXPECT_EQ(normalize_to_utf8("", false), "");
}

// Pure-ASCII text skips utf8proc; a non-ASCII suffix forces the utf8proc path, whose result for
// the ASCII prefix must be the same code points, for every ASCII byte, in both accent modes.
TEST(Normalize, AsciiFastPathMatchesUtf8proc) {
  for (bool fold : {false, true}) {
    for (int c = 0; c < 0x80; ++c) {
      const std::string ascii = std::string("a") + static_cast<char>(c) + "Z";
      FeatureScratch fast, slow;
      normalize_text(ascii, fold, fast);
      normalize_text(ascii + " \xC3\xA9", fold, slow);  // + " é"
      ASSERT_GE(slow.codepoints.size(), 2u) << c;
      std::vector<int32_t> prefix(slow.codepoints.begin(), slow.codepoints.end() - 2);
      EXPECT_EQ(fast.codepoints, prefix) << "byte " << c << " fold " << fold;
    }
  }
}

// Counts the hashed occurrences of `text` (word and char views separately).
std::pair<size_t, size_t> count_views(const Featurizer& f, std::string_view text) {
  FeatureScratch scratch;
  f.extract(text, scratch);
  size_t words = 0, chars = 0;
  for (uint64_t k : scratch.keyed) ((k >> 1) >> f.config().hash_bits ? chars : words)++;
  return {words, chars};
}

TEST(Featurizer, WordAndCharNgramCounts) {
  FeaturizerConfig config;
  config.word_ngram_min = 1;
  config.word_ngram_max = 2;
  config.char_ngram_min = 2;
  config.char_ngram_max = 3;
  Featurizer f(config);
  // Tokens "ab", "cde": words 2 unigrams + 1 bigram. Char n-grams inside " ab " (4 symbols): 3 bigrams
  // + 2 trigrams; " cde " (5): 4 + 3. Punctuation separates tokens and is not a feature.
  auto [words, chars] = count_views(f, "ab, cde!");
  EXPECT_EQ(words, 3u);
  EXPECT_EQ(chars, 12u);
  // Char n-grams never cross a word boundary: "ab cd" has the same char features as "cd ab".
  FeatureScratch a, b;
  config.word_ngram_max = 0;
  config.word_ngram_min = 0;
  Featurizer chars_only(config);
  chars_only.extract("ab cd", a);
  chars_only.extract("cd ab", b);
  std::multiset<uint64_t> sa(a.keyed.begin(), a.keyed.end()), sb(b.keyed.begin(), b.keyed.end());
  EXPECT_EQ(sa, sb);
}

TEST(Featurizer, AccentFoldingMergesFrenchSpellings) {
  FeaturizerConfig config;
  config.fold_accents = true;
  Featurizer folded(config);
  FeatureScratch a, b;
  folded.extract("Électricité coupée", a);
  folded.extract("electricite COUPEE", b);
  EXPECT_EQ(a.keyed, b.keyed);
  config.fold_accents = false;
  Featurizer plain(config);
  plain.extract("Électricité coupée", a);
  plain.extract("electricite COUPEE", b);
  EXPECT_NE(a.keyed, b.keyed);
}

// Hashes are part of the model file format: if this test fails, old model files silently
// mean something else. Bump the file format version instead of changing the hash.
TEST(Featurizer, HashingIsStable) {
  FeaturizerConfig config;
  config.hash_bits = 20;
  config.char_ngram_min = 3;
  config.char_ngram_max = 3;
  config.word_ngram_max = 1;
  Featurizer f(config);
  FeatureScratch scratch;
  f.extract("Carte bloquée", scratch);
  std::vector<uint64_t> keys(scratch.keyed.begin(), scratch.keyed.end());
  // 2 words + 5 trigrams of " carte " + 7 of " bloquée ", each (key << 1 | sign).
  const std::vector<uint64_t> expected = {701418,  1479630, 2151242, 2517720, 4045190, 3547782, 4097540,
                                          3259336, 3836706, 2633330, 2246630, 3617344, 2364300, 2537074};
  EXPECT_EQ(keys, expected);
}

TEST(Featurizer, TransformIsUnitNormSortedAndDropsUnseenFeatures) {
  Featurizer f;
  std::vector<std::string_view> corpus = {"my card is blocked", "card arrived late", "how do I top up"};
  f.fit(corpus);
  ASSERT_GT(f.dimension(), 0u);
  FeatureScratch scratch;
  f.transform("my card is blocked", scratch);
  double norm = 0;
  for (size_t i = 0; i < scratch.entries.size(); ++i) {
    norm += scratch.entries[i].value * scratch.entries[i].value;
    if (i > 0) {
      EXPECT_LT(scratch.entries[i - 1].index, scratch.entries[i].index);
    }
  }
  EXPECT_NEAR(norm, 1.0, 1e-5);
  f.transform("zzzz qqqq", scratch);  // nothing seen in training ("zz" never occurs)
  for (const auto& e : scratch.entries) EXPECT_LT(e.index, f.dimension());
  f.transform("", scratch);
  EXPECT_TRUE(scratch.entries.empty());
}

TEST(Featurizer, IdfDownweightsCommonTerms) {
  FeaturizerConfig config;
  config.char_ngram_min = 0;
  config.char_ngram_max = 0;
  config.word_ngram_max = 1;
  Featurizer f(config);
  std::vector<std::string_view> corpus = {"card lost", "card late", "card blocked", "refund"};
  f.fit(corpus);
  FeatureScratch scratch;
  f.transform("card refund", scratch);
  ASSERT_EQ(scratch.entries.size(), 2u);
  // "card" (df 3) weighs less than "refund" (df 1); order by row is key order, so compare values.
  float lo = std::min(scratch.entries[0].value, scratch.entries[1].value);
  float hi = std::max(scratch.entries[0].value, scratch.entries[1].value);
  EXPECT_NEAR(hi / lo, (std::log(5.0 / 2.0) + 1) / (std::log(5.0 / 4.0) + 1), 1e-4);
}

TEST(FeaturizerConfig, RejectsBadSettings) {
  FeaturizerConfig c;
  c.hash_bits = 40;
  EXPECT_FALSE(c.validate().ok());
  c = {};
  c.char_ngram_min = 5;
  c.char_ngram_max = 2;
  EXPECT_FALSE(c.validate().ok());
  c = {};
  c.word_ngram_max = 0;
  c.word_ngram_min = 0;
  c.char_ngram_max = 0;
  c.char_ngram_min = 0;
  EXPECT_FALSE(c.validate().ok());
  EXPECT_TRUE(FeaturizerConfig{}.validate().ok());
}

}  // namespace
}  // namespace occam::ml
