// Untrusted files: truncations, byte flips and hand-made malicious files end in a clear error (or a
// valid file), never a crash or a read outside the bytes (run under ASan/UBSan too).
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "gguf_test_util.h"
#include "test_support.h"

namespace occam::gguf {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::RawBuilder;
using testing::read_bytes;
using testing::shared_ggufs;

// Reads everything a consumer could read from a valid file, so that ASan sees any bad view.
uint64_t touch_everything(const File& file) {
  uint64_t sum = 0;
  for (const KeyValue& kv : file.metadata()) {
    sum += kv.key.size() + kv.value.raw().size() + kv.value.to_display(4).size();
    if (auto array = kv.value.as_array(); array.ok()) {
      for (uint64_t i = 0; i < array->size(); ++i) {
        Value element = (*array)[i];
        sum += element.raw().size();
        if (element.type() == ValueType::string) sum += array->string(i).size();
      }
    }
  }
  for (const TensorInfo& t : file.tensors()) {
    sum += t.name.size() + t.bytes()[0] + t.bytes()[t.n_bytes - 1];
  }
  return sum;
}

std::vector<std::filesystem::path> shared_models() {
  auto files = shared_ggufs("models");
  auto tiny = shared_ggufs("models/tiny");
  files.insert(files.end(), tiny.begin(), tiny.end());
  return files;
}

TEST(GgufRobustness, TruncationsAreRefusedWithAClearError) {
  auto models = shared_models();
  ASSERT_EQ(models.size(), 15u);
  for (const auto& path : models) {
    SCOPED_TRACE(path.string());
    std::vector<uint8_t> bytes = read_bytes(path);
    auto whole = File::open_bytes(bytes);
    ASSERT_TRUE(whole.ok());
    uint64_t data_end = 0;
    for (const TensorInfo& t : whole->tensors()) data_end = std::max(data_end, t.file_offset + t.n_bytes);
    for (int i = 0; i < 200; ++i) {
      size_t cut = bytes.size() * static_cast<size_t>(i) / 200;
      // A cut inside the region the parser reads is a fresh allocation of exactly `cut` bytes, so that
      // ASan catches a read one past the end; past it, only arithmetic bounds checks remain (no reads).
      std::vector<uint8_t> truncated;
      std::span<const uint8_t> view(bytes.data(), cut);
      if (cut <= whole->data_offset()) {
        truncated.assign(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(cut));
        view = truncated;
      }
      auto file = File::open_bytes(view, "cut.gguf");
      if (cut >= data_end) {
        EXPECT_TRUE(file.ok()) << "only trailing padding was cut at " << cut;
        continue;
      }
      ASSERT_FALSE(file.ok()) << "truncated at " << cut << " of " << bytes.size();
      EXPECT_THAT(file.error().message(), HasSubstr("cut.gguf: gguf: "));
      EXPECT_EQ(file.error().code(), ErrorCode::invalid_argument) << file.error().message();
    }
  }
}

TEST(GgufRobustness, ByteFlipsInTheHeaderRegionNeverCrash) {
  std::mt19937_64 rng(20261125);
  int refused = 0, accepted = 0;
  for (const auto& path : shared_models()) {
    SCOPED_TRACE(path.string());
    std::vector<uint8_t> bytes = read_bytes(path);
    auto whole = File::open_bytes(bytes);
    ASSERT_TRUE(whole.ok());
    const uint64_t region = whole->data_offset();  // header + metadata + tensor infos (+ padding)
    for (int i = 0; i < 1000; ++i) {
      size_t at = rng() % region;
      auto flip = static_cast<uint8_t>(1 + rng() % 255);
      bytes[at] ^= flip;
      auto file = File::open_bytes(bytes, "flipped.gguf");
      if (file.ok()) {
        ++accepted;
        EXPECT_GT(touch_everything(*file), 0u);
      } else {
        ++refused;
        EXPECT_THAT(file.error().message(), HasSubstr("flipped.gguf: gguf: "));
      }
      bytes[at] ^= flip;
    }
  }
  RecordProperty("refused", refused);
  RecordProperty("accepted", accepted);
  EXPECT_GT(refused, 0);
  EXPECT_GT(accepted, 0);  // flips inside strings or float values leave a valid file
}

// Opens raw bytes and returns the error message ("" if it opened).
std::string open_error(const RawBuilder& raw, ErrorCode expected_code = ErrorCode::invalid_argument) {
  auto file = File::open_bytes(raw.bytes(), "evil.gguf");
  if (file.ok()) return "";
  EXPECT_EQ(file.error().code(), expected_code) << file.error().message();
  return file.error().message();
}

TEST(GgufMalicious, HeaderFields) {
  EXPECT_THAT(open_error(RawBuilder().u32(kMagic)),
              HasSubstr("file of 4 bytes is too small for a GGUF header"));
  EXPECT_THAT(open_error(RawBuilder().u32(0x4c4d5347).u32(3).u64(0).u64(0)),
              HasSubstr("bad magic 0x4c4d5347"));
  EXPECT_THAT(open_error(RawBuilder().header(0, 0, 1), ErrorCode::unsupported), HasSubstr("version 1"));
  EXPECT_THAT(open_error(RawBuilder().header(0, 0, 0x03000000), ErrorCode::unsupported),
              HasSubstr("big-endian"));
  EXPECT_THAT(open_error(RawBuilder().header(0, 0, 4), ErrorCode::unsupported),
              HasSubstr("unknown version 4"));
  EXPECT_THAT(open_error(RawBuilder().header(uint64_t{1} << 60, 0)),
              AllOf(HasSubstr("tensor count 1152921504606846976"), HasSubstr("offset 0x8")));
  EXPECT_THAT(open_error(RawBuilder().header(0, ~uint64_t{0})),
              AllOf(HasSubstr("metadata count 18446744073709551615"), HasSubstr("offset 0x10")));
  // An empty v2 file is valid.
  EXPECT_EQ(open_error(RawBuilder().header(0, 0, 2)), "");
}

TEST(GgufMalicious, Metadata) {
  RawBuilder huge_array;
  huge_array.header(0, 1).str("tokens").u32(9).u32(4).u64(uint64_t{1} << 62);
  EXPECT_THAT(open_error(huge_array),
              AllOf(HasSubstr("key 'tokens'"), HasSubstr("4611686018427387904 elements of u32"),
                    HasSubstr("offset 0x2a")));

  RawBuilder string_past_eof;
  string_past_eof.header(0, 1).str("general.name").u32(8).u64(1000).u64(0);
  EXPECT_THAT(open_error(string_past_eof),
              AllOf(HasSubstr("key 'general.name'"), HasSubstr("string length 1000 runs past end of file"),
                    HasSubstr("offset 0x30")));

  RawBuilder key_past_eof;
  key_past_eof.header(0, 1).u64(~uint64_t{0}).u32(0).zeros(8);
  EXPECT_THAT(open_error(key_past_eof),
              AllOf(HasSubstr("metadata entry #0"), HasSubstr("runs past end of file")));

  RawBuilder duplicate_key;
  duplicate_key.header(0, 2).kv_u32("a.b", 1).kv_u32("a.b", 2);
  EXPECT_THAT(
      open_error(duplicate_key),
      AllOf(HasSubstr("key 'a.b'"), HasSubstr("duplicate key at offset 0x2b"), HasSubstr("first at 0x18")));

  RawBuilder unknown_type;
  unknown_type.header(0, 1).str("k").u32(13).u32(0);
  EXPECT_THAT(open_error(unknown_type), HasSubstr("unknown value type 13"));

  RawBuilder bad_bool;
  bad_bool.header(0, 1).str("flag").u32(7).u8(2).zeros(3);
  EXPECT_THAT(open_error(bad_bool),
              AllOf(HasSubstr("key 'flag'"), HasSubstr("bool at offset 0x28 has value 2")));

  RawBuilder empty_key;
  empty_key.header(0, 1).str("").u32(0).u8(0).zeros(4);
  EXPECT_THAT(open_error(empty_key), HasSubstr("empty key"));

  // Arrays of arrays nested 100 deep (a "depth bomb").
  RawBuilder bomb;
  bomb.header(0, 1).str("bomb").u32(9);
  for (int i = 0; i < 100; ++i) bomb.u32(9).u64(1);
  bomb.u32(4).u64(0);
  EXPECT_THAT(open_error(bomb), AllOf(HasSubstr("key 'bomb'"), HasSubstr("nested deeper than 8 levels")));
  // Exactly 8 levels is fine.
  RawBuilder deep;
  deep.header(0, 1).str("deep").u32(9);
  for (int i = 0; i < 7; ++i) deep.u32(9).u64(1);
  deep.u32(4).u64(1).u32(42);
  EXPECT_EQ(open_error(deep), "");

  for (uint32_t alignment : {0u, 48u}) {
    RawBuilder bad_alignment;
    bad_alignment.header(0, 1).kv_u32("general.alignment", alignment);
    EXPECT_THAT(open_error(bad_alignment),
                HasSubstr(fmt::format("alignment {} is not a non-zero power of two", alignment)));
  }
  RawBuilder string_alignment;
  string_alignment.header(0, 1).str("general.alignment").u32(8).str("32");
  EXPECT_THAT(open_error(string_alignment),
              AllOf(HasSubstr("general.alignment"), HasSubstr("expected an integer")));
}

// One tensor after the header; data section at 32.
RawBuilder one_tensor(std::vector<uint64_t> ne, uint32_t type, uint64_t offset, size_t data_bytes) {
  RawBuilder raw;
  raw.header(1, 0).tensor_info("w", std::move(ne), type, offset).pad_to(32).zeros(data_bytes);
  return raw;
}

TEST(GgufMalicious, TensorInfos) {
  EXPECT_EQ(open_error(one_tensor({8, 2}, 0, 0, 64)), "");
  EXPECT_THAT(open_error(one_tensor({8, 2}, 4, 0, 64), ErrorCode::unsupported),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("unknown tensor type id 4 at offset 0x35")));
  EXPECT_THAT(open_error(one_tensor({8, 0}, 0, 0, 64)),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("dimension 1 at offset 0x2d is zero")));
  EXPECT_THAT(open_error(one_tensor({1, 1, 1, 1, 1}, 0, 0, 64)), HasSubstr("n_dims 5 at offset 0x21"));
  EXPECT_THAT(open_error(one_tensor({}, 0, 0, 64)), HasSubstr("n_dims 0"));
  EXPECT_THAT(open_error(one_tensor({33}, 2, 0, 64)),
              HasSubstr("row length 33 is not a multiple of Q4_0's block size 32"));
  EXPECT_THAT(open_error(one_tensor({uint64_t{1} << 32, uint64_t{1} << 32}, 0, 0, 64)),
              HasSubstr("element count overflows int64"));
  EXPECT_THAT(open_error(one_tensor({uint64_t{1} << 61, 2}, 0, 0, 64)), HasSubstr("overflows"));
  EXPECT_THAT(
      open_error(one_tensor({8, 2}, 0, 16, 64)),
      AllOf(HasSubstr("tensor 'w'"), HasSubstr("data offset 0x10 is not a multiple of the alignment 32")));
  EXPECT_THAT(open_error(one_tensor({8, 2}, 0, ~uint64_t{31}, 64)),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("overflows")));
  EXPECT_THAT(open_error(one_tensor({8, 2}, 0, 0, 63)),
              HasSubstr("tensor 'w': data [0x60, 0xa0) past end of file (size 0x9f)"));
  EXPECT_THAT(open_error(one_tensor({8, 2}, 0, 1 << 20, 64)), HasSubstr("past end of file"));

  RawBuilder long_name;
  long_name.header(1, 0).tensor_info(std::string(64, 'x'), {8}, 0, 0).pad_to(32).zeros(32);
  EXPECT_THAT(open_error(long_name), HasSubstr("name of 64 bytes is longer than 63"));

  RawBuilder duplicate;
  duplicate.header(2, 0).tensor_info("w", {8}, 0, 0).tensor_info("w", {8}, 0, 32).pad_to(32).zeros(64);
  EXPECT_THAT(open_error(duplicate),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("duplicate tensor name (first at offset 0x18)")));

  RawBuilder adjacent;
  adjacent.header(2, 0).tensor_info("a", {8}, 0, 0).tensor_info("b", {8}, 0, 32).pad_to(32).zeros(64);
  EXPECT_EQ(open_error(adjacent), "");
  RawBuilder overlapping;
  overlapping.header(2, 0).tensor_info("a", {16}, 0, 0).tensor_info("b", {16}, 0, 32).pad_to(32).zeros(96);
  EXPECT_THAT(open_error(overlapping),
              HasSubstr("tensor 'b': data [0x80, 0xc0) overlaps tensor 'a' data [0x60, 0xa0)"));

  RawBuilder info_cut;
  info_cut.header(1, 0).str("w").u32(2).u64(8).u64(8).u32(0);
  EXPECT_THAT(open_error(info_cut),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("data offset at offset 0x39: needs 8 bytes")));
}

TEST(GgufMalicious, OpeningPathsThatAreNotFiles) {
  auto missing = File::open("/nonexistent/model.gguf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::not_found);
  EXPECT_THAT(missing.error().message(), HasSubstr("/nonexistent/model.gguf"));
  occam::testing::TempDir dir;
  auto directory = File::open(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.error().message(), HasSubstr("not a regular file"));
  auto empty_path = dir.path() / "empty.gguf";
  {
    std::FILE* f = std::fopen(empty_path.c_str(), "wb");
    std::fclose(f);
  }
  auto empty = File::open(empty_path);
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().message(), HasSubstr("empty"));
}

}  // namespace
}  // namespace occam::gguf
