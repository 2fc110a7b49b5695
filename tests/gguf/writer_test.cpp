// Writer: write → read → write is byte-identical for every metadata type and tensor type, and
// re-writing each shared model from its own metadata and tensors reproduces the file byte for byte.
#include <cmath>
#include <limits>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "gguf_test_util.h"
#include "test_support.h"

namespace occam::gguf {
namespace {

using ::testing::HasSubstr;
using testing::read_bytes;
using testing::shared_ggufs;

// Re-writes an opened file from its own metadata and tensors.
Result<std::vector<uint8_t>> rewrite(const File& file, bool pad_without_tensors = true) {
  Writer writer;
  writer.set_version(file.version());
  writer.set_pad_without_tensors(pad_without_tensors);
  OCCAM_TRY(writer.copy_metadata(file));
  OCCAM_TRY(writer.copy_tensors(file));
  return writer.to_bytes();
}

// The same, through owned MetaValue copies instead of raw payload copies.
Result<std::vector<uint8_t>> rewrite_deep(const File& file) {
  Writer writer;
  writer.set_version(file.version());
  for (const KeyValue& kv : file.metadata()) writer.set(kv.key, MetaValue::from(kv.value));
  OCCAM_TRY(writer.copy_tensors(file));
  return writer.to_bytes();
}

bool same_bytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

Writer every_metadata_type() {
  Writer w;
  w.set("u8", uint8_t{255})
      .set("i8", int8_t{-128})
      .set("u16", uint16_t{65535})
      .set("i16", int16_t{-32768})
      .set("u32", std::numeric_limits<uint32_t>::max())
      .set("i32", std::numeric_limits<int32_t>::min())
      .set("f32", -1.5e-7f)
      .set("f32.nan", std::numeric_limits<float>::quiet_NaN())
      .set("bool.true", true)
      .set("bool.false", false)
      .set("string", "héllo ▁wörld 🦙")
      .set("string.empty", "")
      .set("string.nul", std::string("a\0b", 3))
      .set("u64", std::numeric_limits<uint64_t>::max())
      .set("i64", std::numeric_limits<int64_t>::min())
      .set("f64", 6.02214076e23)
      .set("f64.inf", -std::numeric_limits<double>::infinity())
      .set("arr.u8", MetaValue::array_of<uint8_t>({0, 1, 255}))
      .set("arr.i8", MetaValue::array_of<int8_t>({-1, 2}))
      .set("arr.u16", MetaValue::array_of<uint16_t>({1, 65535}))
      .set("arr.i16", MetaValue::array_of<int16_t>({-2, 3}))
      .set("arr.u32", MetaValue::array_of<uint32_t>({4, 5, 6}))
      .set("arr.i32", MetaValue::array_of<int32_t>({-7}))
      .set("arr.f32", MetaValue::array_of<float>({0.5f, -0.25f}))
      .set("arr.bool", MetaValue::array_of<bool>({true, false}))
      .set("arr.string", MetaValue::array_of<std::string_view>({"x", "", "zz"}))
      .set("arr.u64", MetaValue::array_of<uint64_t>({1ull << 63}))
      .set("arr.i64", MetaValue::array_of<int64_t>({-(1ll << 62)}))
      .set("arr.f64", MetaValue::array_of<double>({1e-300}))
      .set("arr.nested.strings",
           MetaValue::array(ValueType::array, {MetaValue::array_of<std::string_view>({"a", "b"}),
                                               MetaValue::array(ValueType::string)}))
      .set("arr.nested.deep",
           MetaValue::array(ValueType::array,
                            {MetaValue::array(ValueType::array, {MetaValue::array_of<int32_t>({1, 2, 3})})}))
      .set("arr.nested.empty", MetaValue::array(ValueType::array, {MetaValue::array(ValueType::f64)}));
  for (uint32_t t = 0; t <= 12; ++t) {
    w.set(fmt::format("arr.empty.{}", to_string(static_cast<ValueType>(t))),
          MetaValue::array(static_cast<ValueType>(t)));
  }
  return w;
}

TEST(GgufWriter, EveryMetadataTypeRoundTripsByteForByte) {
  Writer writer = every_metadata_type();
  auto first = writer.to_bytes();
  ASSERT_TRUE(first.ok()) << first.error().message();
  auto file = File::open_bytes(*first, "types.gguf");
  ASSERT_TRUE(file.ok()) << file.error().message();
  EXPECT_EQ(file->metadata().size(), writer.metadata_count());
  EXPECT_EQ(file->size() % 32, 0u) << "llama.cpp pads the data section even without tensors";

  EXPECT_EQ(file->get<uint8_t>("u8").value_or(0), 255);
  EXPECT_EQ(file->get<int8_t>("i8").value_or(0), -128);
  EXPECT_EQ(file->get<uint16_t>("u16").value_or(0), 65535);
  EXPECT_EQ(file->get<int16_t>("i16").value_or(0), -32768);
  EXPECT_EQ(file->get<uint32_t>("u32").value_or(0), std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(file->get<int32_t>("i32").value_or(0), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(file->get<float>("f32").value_or(0), -1.5e-7f);
  EXPECT_TRUE(std::isnan(file->get<float>("f32.nan").value_or(0)));
  EXPECT_TRUE(file->get<bool>("bool.true").value_or(false));
  EXPECT_FALSE(file->get<bool>("bool.false").value_or(true));
  EXPECT_EQ(file->get_string("string").value_or(""), "héllo ▁wörld 🦙");
  EXPECT_EQ(file->get_string("string.empty").value_or("x"), "");
  EXPECT_EQ(file->get_string("string.nul").value_or(""), std::string_view("a\0b", 3));
  EXPECT_EQ(file->get<uint64_t>("u64").value_or(0), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(file->get<int64_t>("i64").value_or(0), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(file->get<double>("f64").value_or(0), 6.02214076e23);
  EXPECT_EQ(file->get<double>("f64.inf").value_or(0), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(file->get_array("arr.u64")->get<uint64_t>(0).value_or(0), 1ull << 63);
  EXPECT_EQ(file->get_array("arr.string")->string(2), "zz");
  auto deep = file->get_array("arr.nested.deep");
  ASSERT_TRUE(deep.ok());
  auto level2 = (*deep)[0].as_array();
  ASSERT_TRUE(level2.ok());
  auto level3 = (*level2)[0].as_array();
  ASSERT_TRUE(level3.ok());
  EXPECT_EQ(level3->to_vector<int32_t>().value_or(std::vector<int32_t>{}), (std::vector<int32_t>{1, 2, 3}));
  for (uint32_t t = 0; t <= 12; ++t) {
    auto type = static_cast<ValueType>(t);
    auto empty = file->get_array(fmt::format("arr.empty.{}", to_string(type)));
    ASSERT_TRUE(empty.ok()) << to_string(type);
    EXPECT_EQ(empty->size(), 0u);
    EXPECT_EQ(empty->element_type(), type);
  }

  auto second = rewrite(*file);
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_TRUE(same_bytes(*first, *second));
  auto third = rewrite_deep(*file);
  ASSERT_TRUE(third.ok()) << third.error().message();
  EXPECT_TRUE(same_bytes(*first, *third));
}

TEST(GgufWriter, EveryTensorTypeRoundTripsWithTheRightByteSize) {
  std::mt19937_64 rng(7);
  std::vector<std::vector<uint8_t>> payloads;
  Writer writer;
  writer.set("general.architecture", "test");
  for (const TensorTypeTraits& traits : all_tensor_types()) {
    const uint64_t ne0 = 2ull * traits.block_size, ne1 = 3;
    std::vector<uint8_t> bytes(2 * 3 * traits.bytes_per_block);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    // One byte short is refused.
    const uint64_t shape[] = {ne0, ne1};
    auto short_by_one = writer.add_tensor(fmt::format("short.{}", traits.name), traits.type, shape,
                                          std::span<const uint8_t>(bytes).first(bytes.size() - 1));
    ASSERT_FALSE(short_by_one.ok());
    EXPECT_THAT(short_by_one.error().message(), HasSubstr(fmt::format("needs {} bytes", bytes.size())));
    ASSERT_TRUE(writer.add_tensor(fmt::format("t.{}", traits.name), traits.type, shape, bytes).ok());
    payloads.push_back(std::move(bytes));
  }
  // A 1-D, a 3-D and a 4-D tensor, and one the writer owns.
  std::vector<uint8_t> one_d(5 * 2, 1), four_d(2 * 3 * 4 * 5 * 4, 2);
  ASSERT_TRUE(writer.add_tensor("one_d", TensorType::F16, {5}, one_d).ok());
  ASSERT_TRUE(writer.add_tensor("four_d", TensorType::F32, {2, 3, 4, 5}, four_d).ok());
  ASSERT_TRUE(writer
                  .add_tensor_owned("owned", TensorType::Q8_0, std::vector<uint64_t>{32, 2},
                                    std::vector<uint8_t>(68, 9))
                  .ok());

  auto first = writer.to_bytes();
  ASSERT_TRUE(first.ok()) << first.error().message();
  auto file = File::open_bytes(*first);
  ASSERT_TRUE(file.ok()) << file.error().message();
  ASSERT_EQ(file->tensors().size(), all_tensor_types().size() + 3);
  for (size_t i = 0; i < all_tensor_types().size(); ++i) {
    const TensorTypeTraits& traits = all_tensor_types()[i];
    const TensorInfo& t = file->tensors()[i];
    EXPECT_EQ(t.name, fmt::format("t.{}", traits.name));
    EXPECT_EQ(t.type, traits.type);
    EXPECT_EQ(t.n_dims, 2u);
    EXPECT_EQ(t.ne[0], 2ull * traits.block_size);
    EXPECT_EQ(t.ne[1], 3u);
    EXPECT_EQ(t.n_elements, 6ull * traits.block_size);
    EXPECT_EQ(t.n_bytes, 6ull * traits.bytes_per_block);
    EXPECT_EQ(t.row_bytes(), 2ull * traits.bytes_per_block);
    EXPECT_EQ(t.offset % 32, 0u);
    EXPECT_TRUE(same_bytes(t.bytes(), payloads[i])) << traits.name;
  }
  const TensorInfo* four = file->find_tensor("four_d");
  ASSERT_NE(four, nullptr);
  EXPECT_EQ(four->shape_string(), "[2, 3, 4, 5]");
  EXPECT_EQ(file->find_tensor("owned")->bytes()[0], 9);
  EXPECT_EQ(file->find_tensor("one_d")->n_dims, 1u);

  auto second = rewrite(*file);
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_TRUE(same_bytes(*first, *second));
}

TEST(GgufWriter, HonoursGeneralAlignment) {
  Writer writer;
  writer.set("general.alignment", uint32_t{64});
  EXPECT_EQ(writer.alignment(), 64u);
  std::vector<uint8_t> a(4 * 3, 1), b(4 * 5, 2);
  ASSERT_TRUE(writer.add_tensor("a", TensorType::F32, {3}, a).ok());
  ASSERT_TRUE(writer.add_tensor("b", TensorType::F32, {5}, b).ok());
  auto bytes = writer.to_bytes();
  ASSERT_TRUE(bytes.ok()) << bytes.error().message();
  auto file = File::open_bytes(*bytes);
  ASSERT_TRUE(file.ok()) << file.error().message();
  EXPECT_EQ(file->alignment(), 64u);
  EXPECT_EQ(file->data_offset() % 64, 0u);
  EXPECT_EQ(file->tensors()[0].offset, 0u);
  EXPECT_EQ(file->tensors()[1].offset, 64u);
  EXPECT_EQ(file->size(), file->data_offset() + 128);

  writer.set("general.alignment", uint32_t{48});
  auto bad = writer.to_bytes();
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), HasSubstr("general.alignment"));
}

TEST(GgufWriter, SetReplacesInPlaceAndRemoves) {
  Writer writer;
  writer.set("a", uint32_t{1}).set("b", "x").set("c", true);
  writer.set("a", int64_t{-5});
  EXPECT_TRUE(writer.remove("b"));
  EXPECT_FALSE(writer.remove("b"));
  EXPECT_TRUE(writer.contains("c"));
  auto bytes = writer.to_bytes();
  ASSERT_TRUE(bytes.ok());
  auto file = File::open_bytes(*bytes);
  ASSERT_TRUE(file.ok()) << file.error().message();
  ASSERT_EQ(file->metadata().size(), 2u);
  EXPECT_EQ(file->metadata()[0].key, "a");
  EXPECT_EQ(file->get<int64_t>("a").value_or(0), -5);
  EXPECT_EQ(file->metadata()[1].key, "c");
}

TEST(GgufWriter, RefusesMalformedInput) {
  Writer writer;
  std::vector<uint8_t> data(4 * 4);
  ASSERT_TRUE(writer.add_tensor("x", TensorType::F32, {4}, data).ok());
  auto duplicate = writer.add_tensor("x", TensorType::F32, {4}, data);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_THAT(duplicate.error().message(), HasSubstr("'x': duplicate tensor name"));
  auto zero = writer.add_tensor("z", TensorType::F32, {0, 4}, data);
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(zero.error().message(), HasSubstr("dimension 0 is zero"));
  auto five = writer.add_tensor("f", TensorType::F32, {1, 1, 1, 1, 4}, data);
  ASSERT_FALSE(five.ok());
  EXPECT_THAT(five.error().message(), HasSubstr("5 dimensions"));
  auto block = writer.add_tensor("q", TensorType::Q4_0, {16}, data);
  ASSERT_FALSE(block.ok());
  EXPECT_THAT(block.error().message(), HasSubstr("not a multiple of Q4_0's block size 32"));
  auto long_name = writer.add_tensor(std::string(64, 'n'), TensorType::F32, {4}, data);
  ASSERT_FALSE(long_name.ok());
  EXPECT_THAT(long_name.error().message(), HasSubstr("longer than 63"));

  writer.set("mixed", MetaValue::array(ValueType::u32, {uint32_t{1}, int32_t{2}}));
  auto bytes = writer.to_bytes();
  ASSERT_FALSE(bytes.ok());
  EXPECT_THAT(bytes.error().message(), HasSubstr("key 'mixed': array element 1 is i32, expected u32"));

  Writer v1;
  v1.set_version(1);
  EXPECT_FALSE(v1.to_bytes().ok());
}

TEST(GgufWriter, WritesToAPath) {
  occam::testing::TempDir dir;
  Writer writer = every_metadata_type();
  std::vector<uint8_t> data(34, 3);
  ASSERT_TRUE(writer.add_tensor("q", TensorType::Q8_0, {32}, data).ok());
  auto path = dir.path() / "out.gguf";
  Status status = writer.write(path);
  ASSERT_TRUE(status.ok()) << status.error().message();
  auto file = File::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message();
  EXPECT_TRUE(same_bytes(file->bytes(), *writer.to_bytes()));
  auto missing_dir = writer.write(dir.path() / "no" / "such" / "dir.gguf");
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_EQ(missing_dir.error().code(), ErrorCode::io);
}

// Proves the writer follows the format: llama.cpp / gguf-py wrote these files.
TEST(GgufWriter, ReproducesSharedModelsByteForByte) {
  int checked = 0;
  for (const char* dir : {"models", "models/tiny"}) {
    for (const auto& path : shared_ggufs(dir)) {
      SCOPED_TRACE(path.string());
      auto file = File::open(path);
      ASSERT_TRUE(file.ok()) << file.error().message();
      auto bytes = rewrite(*file);
      ASSERT_TRUE(bytes.ok()) << bytes.error().message();
      EXPECT_TRUE(same_bytes(file->bytes(), *bytes));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 15);
  // stories260K again through deep MetaValue copies (every value decoded and re-encoded).
  auto stories = File::open(occam::testing::shared_file("models/stories260K.gguf"));
  ASSERT_TRUE(stories.ok());
  auto deep = rewrite_deep(*stories);
  ASSERT_TRUE(deep.ok()) << deep.error().message();
  EXPECT_TRUE(same_bytes(stories->bytes(), *deep));
}

// Vocab-only files come from gguf-py, which does not pad a file that has no tensors.
TEST(GgufWriter, ReproducesVocabFilesWithoutTrailingPadding) {
  int checked = 0;
  for (const auto& path : shared_ggufs("reference/tokenizer")) {
    SCOPED_TRACE(path.string());
    auto file = File::open(path);
    ASSERT_TRUE(file.ok()) << file.error().message();
    ASSERT_TRUE(file->tensors().empty());
    auto bytes = rewrite(*file, /*pad_without_tensors=*/false);
    ASSERT_TRUE(bytes.ok()) << bytes.error().message();
    EXPECT_TRUE(same_bytes(file->bytes(), *bytes));
    ++checked;
  }
  EXPECT_EQ(checked, 12);
}

// Convenience used by the quantizer: copy everything, override a key, swap one tensor.
TEST(GgufWriter, CopyOverrideAndReplaceTensor) {
  auto source = File::open(occam::testing::shared_file("models/stories260K.gguf"));
  ASSERT_TRUE(source.ok());
  Writer writer;
  ASSERT_TRUE(writer.copy_metadata(*source).ok());
  writer.set("general.name", "renamed").set("general.file_type", uint32_t{7});
  std::vector<uint8_t> q8(64 / 32 * 34 * 512, 0);
  for (const TensorInfo& t : source->tensors()) {
    if (t.name == "token_embd.weight") {
      ASSERT_TRUE(writer.add_tensor(t.name, TensorType::Q8_0, t.shape(), q8).ok());
    } else {
      ASSERT_TRUE(writer.add_tensor(t).ok());
    }
  }
  auto bytes = writer.to_bytes();
  ASSERT_TRUE(bytes.ok()) << bytes.error().message();
  auto out = File::open_bytes(*bytes);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->metadata().size(),
            source->metadata().size() + (source->contains("general.file_type") ? 0 : 1));
  EXPECT_EQ(out->get_string("general.name").value_or(""), "renamed");
  EXPECT_EQ(out->find_tensor("token_embd.weight")->type, TensorType::Q8_0);
  EXPECT_EQ(out->tensors().size(), source->tensors().size());
  EXPECT_TRUE(
      same_bytes(out->find_tensor("output.weight")->bytes(), source->find_tensor("output.weight")->bytes()));
}

}  // namespace
}  // namespace occam::gguf

namespace occam::gguf {
namespace {

TEST(GgufWriter, WritesVersion2AndOpensWithPopulate) {
  occam::testing::TempDir dir;
  Writer writer;
  writer.set_version(2);
  writer.set("general.architecture", "llama");
  std::vector<uint8_t> data(8, 0);
  ASSERT_TRUE(writer.add_tensor("w", TensorType::F16, {4}, data).ok());
  ASSERT_TRUE(writer.write(dir.path() / "v2.gguf").ok());
  OpenOptions options;
  options.populate = true;
  auto file = File::open(dir.path() / "v2.gguf", options);
  ASSERT_TRUE(file.ok()) << file.error().message();
  EXPECT_EQ(file->version(), 2u);
  EXPECT_EQ(file->tensors()[0].n_bytes, 8u);
  // 24 header + 45 metadata + 33 tensor info = 102, padded to 128; 8 data bytes padded to 32.
  EXPECT_EQ(file->data_offset(), 128u);
  EXPECT_EQ(file->size(), 160u);
}

}  // namespace
}  // namespace occam::gguf
