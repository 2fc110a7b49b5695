#include <cstring>

#include <gtest/gtest.h>

#include "ml/ml.h"
#include "test_support.h"

namespace occam::ml {
namespace {

// One small model shared by the tests of this file (trained once).
const Classifier& small_model() {
  static const Classifier model = [] {
    auto data = load_jsonl(occam::testing::shared_file("datasets/sib200_fr/sib200_fr.jsonl"), {});
    EXPECT_TRUE(data.ok()) << data.error().message();
    TrainOptions options;
    options.c_grid = {4.0};
    options.features.hash_bits = 16;
    auto trained = Classifier::train(*data, options);
    EXPECT_TRUE(trained.ok()) << trained.error().message();
    return std::move(trained).value();
  }();
  return model;
}

TEST(ModelFile, RoundTripKeepsEverything) {
  const Classifier& model = small_model();
  occam::testing::TempDir dir;
  auto path = dir.path() / "sib.occam-linear";
  ASSERT_TRUE(model.save(path).ok());
  auto loaded = Classifier::load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  EXPECT_EQ(loaded->labels(), model.labels());
  EXPECT_EQ(loaded->features(), model.features());
  EXPECT_EQ(loaded->temperature(), model.temperature());
  EXPECT_EQ(loaded->threshold(), model.threshold());
  EXPECT_EQ(loaded->to_bytes(), model.to_bytes());
  for (const char* text : {"Le match de football a été annulé.", "Le virus se propage rapidement.", ""}) {
    Prediction a = model.predict(text, 3), b = loaded->predict(text, 3);
    EXPECT_EQ(a.label, b.label);
    EXPECT_EQ(a.probability, b.probability);
    ASSERT_EQ(a.top_k.size(), 3u);
    EXPECT_GE(a.top_k[0].probability, a.top_k[1].probability);
  }
}

TEST(ModelFile, MissingFileIsNotFound) {
  auto loaded = Classifier::load("/nonexistent/model.occam-linear");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::not_found);
}

void expect_refused(std::string_view bytes, std::string_view needle) {
  auto loaded = Classifier::from_bytes(bytes);
  ASSERT_FALSE(loaded.ok()) << "accepted a damaged file (expected: " << needle << ")";
  EXPECT_NE(loaded.error().message().find(needle), std::string::npos) << loaded.error().message();
}

TEST(ModelFile, CorruptionIsRefusedByTheChecksum) {
  const std::string bytes = small_model().to_bytes();
  for (size_t offset : {size_t{24}, size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    std::string damaged = bytes;
    damaged[offset] = static_cast<char>(damaged[offset] ^ 0x40);
    expect_refused(damaged, "checksum mismatch");
  }
}

TEST(ModelFile, TruncationIsRefused) {
  const std::string bytes = small_model().to_bytes();
  expect_refused(bytes.substr(0, 10), "shorter than the 24-byte header");
  for (size_t length : {size_t{24}, size_t{200}, bytes.size() / 3, bytes.size() - 1}) {
    expect_refused(bytes.substr(0, length), "truncated");
  }
  expect_refused(bytes + "x", "unexpected bytes");
}

TEST(ModelFile, HeaderProblemsAreNamed) {
  std::string bytes = small_model().to_bytes();
  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  expect_refused(bad_magic, "bad magic");
  std::string bad_version = bytes;
  bad_version[8] = 9;
  auto loaded = Classifier::from_bytes(bad_version);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::unsupported);
  EXPECT_NE(loaded.error().message().find("format version 9"), std::string::npos);
}

}  // namespace
}  // namespace occam::ml
