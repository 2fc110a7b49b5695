// Typed metadata access: strict and lenient getters, arrays, {arch} keys and their error messages.
#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gguf/gguf.h"

namespace occam::gguf {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class GgufAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    Writer writer;
    writer.set("general.architecture", "llama")
        .set("llama.context_length", uint32_t{2048})
        .set("llama.block_count", int32_t{5})
        .set("llama.embedding_length", uint64_t{64})
        .set("big", uint64_t{1} << 40)
        .set("negative", int32_t{-3})
        .set("small", uint8_t{7})
        .set("eps", 1e-5f)
        .set("wide", 0.25)
        .set("flag", true)
        .set("name", "stories")
        .set("ids", MetaValue::array_of<int32_t>({10, -20, 30}))
        .set("words", MetaValue::array_of<std::string_view>({"a", "", "ccc"}))
        .set("nested", MetaValue::array(ValueType::array, {MetaValue::array_of<uint16_t>({1, 2}),
                                                           MetaValue::array(ValueType::u16),
                                                           MetaValue::array_of<uint16_t>({3})}))
        .set("bools", MetaValue::array_of<bool>({true, false, true}));
    std::vector<float> data(64 * 2, 0.5f);
    raw_.assign(reinterpret_cast<const uint8_t*>(data.data()),
                reinterpret_cast<const uint8_t*>(data.data()) + data.size() * sizeof(float));
    ASSERT_TRUE(writer.add_tensor("w", TensorType::F32, {64, 2}, raw_).ok());
    auto bytes = writer.to_bytes();
    ASSERT_TRUE(bytes.ok()) << bytes.error().message();
    auto file = File::open_owned(std::move(*bytes), "access.gguf");
    ASSERT_TRUE(file.ok()) << file.error().message();
    file_ = std::make_unique<File>(std::move(*file));
  }

  const File& file() const { return *file_; }

  std::vector<uint8_t> raw_;
  std::unique_ptr<File> file_;
};

TEST_F(GgufAccess, StrictGetReturnsExactType) {
  EXPECT_EQ(file().get<uint32_t>("llama.context_length").value_or(0), 2048u);
  EXPECT_EQ(file().get<int32_t>("llama.block_count").value_or(0), 5);
  EXPECT_EQ(file().get<float>("eps").value_or(0), 1e-5f);
  EXPECT_EQ(file().get<double>("wide").value_or(0), 0.25);
  EXPECT_EQ(file().get<bool>("flag").value_or(false), true);
  EXPECT_EQ(file().get<std::string_view>("name").value_or(""), "stories");
  EXPECT_EQ(file().get<std::string>("name").value_or(""), "stories");
  EXPECT_EQ(file().get_string("general.architecture").value_or(""), "llama");
}

TEST_F(GgufAccess, StrictGetNamesKeyExpectedAndActualType) {
  auto wrong = file().get<uint32_t>("llama.block_count");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), ErrorCode::invalid_argument);
  EXPECT_THAT(wrong.error().message(),
              AllOf(HasSubstr("'llama.block_count'"), HasSubstr("expected u32"), HasSubstr("found i32")));

  auto as_string = file().get_string("small");
  ASSERT_FALSE(as_string.ok());
  EXPECT_THAT(as_string.error().message(),
              AllOf(HasSubstr("'small'"), HasSubstr("expected string"), HasSubstr("u8")));

  auto as_array = file().get_array("name");
  ASSERT_FALSE(as_array.ok());
  EXPECT_THAT(as_array.error().message(),
              AllOf(HasSubstr("'name'"), HasSubstr("expected array"), HasSubstr("string")));
}

TEST_F(GgufAccess, MissingKeyIsNotFound) {
  auto missing = file().get<uint32_t>("llama.rope.dimension_count");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::not_found);
  EXPECT_THAT(missing.error().message(), AllOf(HasSubstr("'llama.rope.dimension_count'"),
                                               HasSubstr("not found"), HasSubstr("access.gguf")));
  EXPECT_EQ(file().find("nope"), nullptr);
  EXPECT_FALSE(file().contains("nope"));
  EXPECT_EQ(file().get_or<uint32_t>("nope", 77u).value_or(0), 77u);
  // A present key of another type is still an error with get_or.
  EXPECT_FALSE(file().get_or<uint32_t>("llama.block_count", 77u).ok());
}

TEST_F(GgufAccess, LenientIntegerAcceptsAnyIntegerThatFits) {
  EXPECT_EQ(file().get_integer<uint32_t>("llama.block_count").value_or(0), 5u);        // i32
  EXPECT_EQ(file().get_integer<uint32_t>("llama.embedding_length").value_or(0), 64u);  // u64
  EXPECT_EQ(file().get_integer<int64_t>("llama.context_length").value_or(0), 2048);    // u32
  EXPECT_EQ(file().get_integer<int8_t>("small").value_or(0), 7);
  EXPECT_EQ(file().get_integer<int32_t>("negative").value_or(0), -3);
  EXPECT_EQ(file().get_integer_or<uint32_t>("absent", 9u).value_or(0), 9u);

  auto negative = file().get_integer<uint32_t>("negative");
  ASSERT_FALSE(negative.ok());
  EXPECT_THAT(negative.error().message(), AllOf(HasSubstr("'negative'"), HasSubstr("-3"), HasSubstr("u32")));
  auto big = file().get_integer<uint32_t>("big");
  ASSERT_FALSE(big.ok());
  EXPECT_THAT(big.error().message(),
              AllOf(HasSubstr("'big'"), HasSubstr("1099511627776"), HasSubstr("does not fit")));
  auto not_integer = file().get_integer<uint32_t>("eps");
  ASSERT_FALSE(not_integer.ok());
  EXPECT_THAT(not_integer.error().message(),
              AllOf(HasSubstr("'eps'"), HasSubstr("expected an integer"), HasSubstr("f32")));
  EXPECT_FALSE(file().get_integer<uint32_t>("flag").ok()) << "bool is not an integer";
}

TEST_F(GgufAccess, FloatGetterAcceptsF32AndF64) {
  EXPECT_NEAR(file().get_float("eps").value_or(0), 1e-5, 1e-12);
  EXPECT_EQ(file().get_float("wide").value_or(0), 0.25);
  EXPECT_EQ(file().get_float_or("absent", 1.5).value_or(0), 1.5);
  auto wrong = file().get_float("llama.block_count");
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.error().message(), AllOf(HasSubstr("'llama.block_count'"), HasSubstr("f32 or f64")));
}

TEST_F(GgufAccess, ArchPrefixedKeys) {
  EXPECT_EQ(file().architecture(), "llama");
  EXPECT_EQ(file().arch_key("context_length"), "llama.context_length");
  EXPECT_EQ(file().resolve_key("{arch}.attention.{arch}"), "llama.attention.llama");
  EXPECT_EQ(file().get_integer<uint32_t>("{arch}.context_length").value_or(0), 2048u);
  EXPECT_NE(file().find("{arch}.block_count"), nullptr);
  auto missing = file().get<uint32_t>("{arch}.expert_count");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message(), HasSubstr("'llama.expert_count'"));
}

TEST_F(GgufAccess, Arrays) {
  auto ids = file().get_array("ids");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->element_type(), ValueType::i32);
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_EQ(ids->get<int32_t>(1).value_or(0), -20);
  EXPECT_EQ((*ids)[2].as<int32_t>().value_or(0), 30);
  EXPECT_EQ(ids->to_vector<int32_t>().value_or(std::vector<int32_t>{}), (std::vector<int32_t>{10, -20, 30}));
  auto wrong = ids->to_vector<uint32_t>();
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.error().message(), AllOf(HasSubstr("array of u32"), HasSubstr("array of i32")));
  auto out_of_range = ids->get<int32_t>(3);
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_THAT(out_of_range.error().message(), HasSubstr("index 3 out of range (size 3)"));
  EXPECT_FALSE(ids->at(3).ok());

  auto words = file().get_array("words");
  ASSERT_TRUE(words.ok());
  EXPECT_EQ(words->string(0), "a");
  EXPECT_EQ(words->string(1), "");
  EXPECT_EQ(words->string(2), "ccc");
  EXPECT_EQ(words->to_vector<std::string>().value_or(std::vector<std::string>{}),
            (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(ids->string(0), "") << "string() of a non-string array is empty";

  auto bools = file().get_array("bools");
  ASSERT_TRUE(bools.ok());
  EXPECT_EQ(bools->to_vector<bool>().value_or(std::vector<bool>{}), (std::vector<bool>{true, false, true}));

  auto nested = file().get_array("nested");
  ASSERT_TRUE(nested.ok());
  ASSERT_EQ(nested->size(), 3u);
  EXPECT_EQ(nested->element_type(), ValueType::array);
  auto first = (*nested)[0].as_array();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->to_vector<uint16_t>().value_or(std::vector<uint16_t>{}), (std::vector<uint16_t>{1, 2}));
  auto empty = (*nested)[1].as_array();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(empty->element_type(), ValueType::u16);
  EXPECT_EQ((*nested)[2].as_array()->get<uint16_t>(0).value_or(0), 3u);
  EXPECT_EQ(file().find("nested")->value.to_display(), "[[1, 2], [], [3]]");
  EXPECT_EQ(file().find("words")->value.to_display(2), "[\"a\", \"\", ... (3 string)]");
}

TEST_F(GgufAccess, Tensors) {
  ASSERT_EQ(file().tensors().size(), 1u);
  auto w = file().tensor("w");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->n_elements, 128u);
  EXPECT_EQ((*w)->n_bytes, 512u);
  EXPECT_EQ((*w)->row_bytes(), 256u);
  EXPECT_EQ((*w)->n_rows(), 2u);
  EXPECT_TRUE(std::equal((*w)->bytes().begin(), (*w)->bytes().end(), raw_.begin(), raw_.end()));
  EXPECT_EQ(file().parameter_count(), 128u);
  auto missing = file().tensor("blk.0.attn_q.weight");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::not_found);
  EXPECT_THAT(missing.error().message(), HasSubstr("'blk.0.attn_q.weight'"));
}

TEST(GgufTypes, TensorTypeTraits) {
  struct Case {
    uint32_t id;
    const char* name;
    uint32_t block, bytes;
  };
  // ggml.c type_traits at llama.cpp c392e50.
  const Case cases[] = {
      {0, "F32", 1, 4},         {1, "F16", 1, 2},         {2, "Q4_0", 32, 18},      {3, "Q4_1", 32, 20},
      {6, "Q5_0", 32, 22},      {7, "Q5_1", 32, 24},      {8, "Q8_0", 32, 34},      {9, "Q8_1", 32, 36},
      {10, "Q2_K", 256, 84},    {11, "Q3_K", 256, 110},   {12, "Q4_K", 256, 144},   {13, "Q5_K", 256, 176},
      {14, "Q6_K", 256, 210},   {15, "Q8_K", 256, 292},   {16, "IQ2_XXS", 256, 66}, {17, "IQ2_XS", 256, 74},
      {18, "IQ3_XXS", 256, 98}, {19, "IQ1_S", 256, 50},   {20, "IQ4_NL", 32, 18},   {21, "IQ3_S", 256, 110},
      {22, "IQ2_S", 256, 82},   {23, "IQ4_XS", 256, 136}, {24, "I8", 1, 1},         {25, "I16", 1, 2},
      {26, "I32", 1, 4},        {27, "I64", 1, 8},        {28, "F64", 1, 8},        {29, "IQ1_M", 256, 56},
      {30, "BF16", 1, 2},       {34, "TQ1_0", 256, 54},   {35, "TQ2_0", 256, 66},
  };
  EXPECT_EQ(all_tensor_types().size(), std::size(cases));
  for (const Case& c : cases) {
    auto traits = tensor_type_traits(c.id);
    ASSERT_TRUE(traits.ok()) << c.name;
    EXPECT_EQ(traits->name, c.name);
    EXPECT_EQ(traits->block_size, c.block) << c.name;
    EXPECT_EQ(traits->bytes_per_block, c.bytes) << c.name;
    EXPECT_EQ(tensor_type_from_name(c.name).value_or(TensorType::F32), static_cast<TensorType>(c.id));
  }
  for (uint32_t removed : {4u, 5u, 31u, 32u, 33u, 36u, 39u, 1000u}) {
    auto traits = tensor_type_traits(removed);
    ASSERT_FALSE(traits.ok()) << removed;
    EXPECT_EQ(traits.error().code(), ErrorCode::unsupported);
    EXPECT_THAT(traits.error().message(), HasSubstr(std::to_string(removed)));
  }
  EXPECT_EQ(row_bytes(TensorType::Q4_K, 512).value_or(0), 288u);
  EXPECT_FALSE(row_bytes(TensorType::Q4_K, 100).ok());
  const uint64_t shape[] = {256, 3};
  EXPECT_EQ(tensor_bytes(TensorType::Q6_K, shape).value_or(0), 630u);
  const uint64_t huge[] = {1ull << 40, 1ull << 40};
  EXPECT_FALSE(tensor_bytes(TensorType::F32, huge).ok());
}

TEST(GgufTypes, FileTypeNames) {
  EXPECT_EQ(file_type_name(0), "ALL_F32");
  EXPECT_EQ(file_type_name(1), "MOSTLY_F16");
  EXPECT_EQ(file_type_name(2), "MOSTLY_Q4_0");
  EXPECT_EQ(file_type_name(7), "MOSTLY_Q8_0");
  EXPECT_EQ(file_type_name(15), "MOSTLY_Q4_K_M");
  EXPECT_EQ(file_type_name(18), "MOSTLY_Q6_K");
  EXPECT_EQ(file_type_name(32), "MOSTLY_BF16");
  EXPECT_EQ(file_type_name(37), "MOSTLY_TQ2_0");
  EXPECT_EQ(file_type_name(1024), "GUESSED");
  EXPECT_EQ(file_type_name(4), "unknown(4)");
  EXPECT_EQ(file_type_name(99), "unknown(99)");
}

}  // namespace
}  // namespace occam::gguf
