// GGUF value types and ggml tensor type traits (block sizes and bytes per block from ggml.c's
// type_traits at llama.cpp commit c392e50), plus llama.cpp's names for general.file_type.
#include <algorithm>
#include <array>

#include "gguf/checked.h"
#include "gguf/gguf.h"

namespace occam::gguf {

namespace {

constexpr std::array<std::string_view, 13> kValueTypeNames = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"};
constexpr std::array<uint32_t, 13> kValueTypeSizes = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

// Sorted by id. Sizes: ggml-common.h block structs (e.g. block_q4_K = 2 halfs + 12 scales + 128 qs).
constexpr TensorTypeTraits kTensorTypes[] = {
    {TensorType::F32, "F32", 1, 4, false},
    {TensorType::F16, "F16", 1, 2, false},
    {TensorType::Q4_0, "Q4_0", 32, 18, true},
    {TensorType::Q4_1, "Q4_1", 32, 20, true},
    {TensorType::Q5_0, "Q5_0", 32, 22, true},
    {TensorType::Q5_1, "Q5_1", 32, 24, true},
    {TensorType::Q8_0, "Q8_0", 32, 34, true},
    {TensorType::Q8_1, "Q8_1", 32, 36, true},
    {TensorType::Q2_K, "Q2_K", 256, 84, true},
    {TensorType::Q3_K, "Q3_K", 256, 110, true},
    {TensorType::Q4_K, "Q4_K", 256, 144, true},
    {TensorType::Q5_K, "Q5_K", 256, 176, true},
    {TensorType::Q6_K, "Q6_K", 256, 210, true},
    {TensorType::Q8_K, "Q8_K", 256, 292, true},
    {TensorType::IQ2_XXS, "IQ2_XXS", 256, 66, true},
    {TensorType::IQ2_XS, "IQ2_XS", 256, 74, true},
    {TensorType::IQ3_XXS, "IQ3_XXS", 256, 98, true},
    {TensorType::IQ1_S, "IQ1_S", 256, 50, true},
    {TensorType::IQ4_NL, "IQ4_NL", 32, 18, true},
    {TensorType::IQ3_S, "IQ3_S", 256, 110, true},
    {TensorType::IQ2_S, "IQ2_S", 256, 82, true},
    {TensorType::IQ4_XS, "IQ4_XS", 256, 136, true},
    {TensorType::I8, "I8", 1, 1, false},
    {TensorType::I16, "I16", 1, 2, false},
    {TensorType::I32, "I32", 1, 4, false},
    {TensorType::I64, "I64", 1, 8, false},
    {TensorType::F64, "F64", 1, 8, false},
    {TensorType::IQ1_M, "IQ1_M", 256, 56, true},
    {TensorType::BF16, "BF16", 1, 2, false},
    {TensorType::TQ1_0, "TQ1_0", 256, 54, true},
    {TensorType::TQ2_0, "TQ2_0", 256, 66, true},
};

// llama_ftype (llama.h); gaps are removed types (4 Q4_1_SOME_F16, 5 Q4_2, 6 Q4_3, 33–35 Q4_0_N_M).
constexpr std::array<std::string_view, 38> kFileTypeNames = {
    "ALL_F32",
    "MOSTLY_F16",
    "MOSTLY_Q4_0",
    "MOSTLY_Q4_1",
    "",
    "",
    "",
    "MOSTLY_Q8_0",
    "MOSTLY_Q5_0",
    "MOSTLY_Q5_1",
    "MOSTLY_Q2_K",
    "MOSTLY_Q3_K_S",
    "MOSTLY_Q3_K_M",
    "MOSTLY_Q3_K_L",
    "MOSTLY_Q4_K_S",
    "MOSTLY_Q4_K_M",
    "MOSTLY_Q5_K_S",
    "MOSTLY_Q5_K_M",
    "MOSTLY_Q6_K",
    "MOSTLY_IQ2_XXS",
    "MOSTLY_IQ2_XS",
    "MOSTLY_Q2_K_S",
    "MOSTLY_IQ3_XS",
    "MOSTLY_IQ3_XXS",
    "MOSTLY_IQ1_S",
    "MOSTLY_IQ4_NL",
    "MOSTLY_IQ3_S",
    "MOSTLY_IQ3_M",
    "MOSTLY_IQ2_S",
    "MOSTLY_IQ2_M",
    "MOSTLY_IQ4_XS",
    "MOSTLY_IQ1_M",
    "MOSTLY_BF16",
    "",
    "",
    "",
    "MOSTLY_TQ1_0",
    "MOSTLY_TQ2_0",
};
constexpr uint32_t kFileTypeGuessed = 1024;

}  // namespace

std::string_view to_string(ValueType type) {
  auto id = static_cast<uint32_t>(type);
  if (id < kValueTypeNames.size()) return kValueTypeNames[id];
  return "type#?";
}

bool is_valid(ValueType type) {
  return static_cast<uint32_t>(type) < kValueTypeNames.size();
}

uint32_t fixed_size(ValueType type) {
  auto id = static_cast<uint32_t>(type);
  return id < kValueTypeSizes.size() ? kValueTypeSizes[id] : 0;
}

const TensorTypeTraits* find_tensor_type(uint32_t id) {
  auto it = std::lower_bound(
      std::begin(kTensorTypes), std::end(kTensorTypes), id,
      [](const TensorTypeTraits& t, uint32_t v) { return static_cast<uint32_t>(t.type) < v; });
  if (it == std::end(kTensorTypes) || static_cast<uint32_t>(it->type) != id) return nullptr;
  return &*it;
}

Result<TensorTypeTraits> tensor_type_traits(uint32_t id) {
  const TensorTypeTraits* traits = find_tensor_type(id);
  if (traits == nullptr) {
    return make_error(ErrorCode::unsupported, "unknown ggml tensor type id {}", id);
  }
  return *traits;
}

std::span<const TensorTypeTraits> all_tensor_types() {
  return kTensorTypes;
}

std::string_view to_string(TensorType type) {
  const TensorTypeTraits* traits = find_tensor_type(static_cast<uint32_t>(type));
  return traits != nullptr ? traits->name : std::string_view("type#?");
}

Result<TensorType> tensor_type_from_name(std::string_view name) {
  for (const TensorTypeTraits& t : kTensorTypes) {
    if (t.name == name) return t.type;
  }
  return make_error(ErrorCode::not_found, "unknown ggml tensor type name '{}'", name);
}

Result<uint64_t> row_bytes(TensorType type, uint64_t n_elements) {
  OCCAM_ASSIGN_OR_RETURN(TensorTypeTraits traits, tensor_type_traits(static_cast<uint32_t>(type)));
  if (n_elements % traits.block_size != 0) {
    return make_error(ErrorCode::invalid_argument, "row length {} is not a multiple of {}'s block size {}",
                      n_elements, traits.name, traits.block_size);
  }
  auto bytes = checked_mul(n_elements / traits.block_size, traits.bytes_per_block);
  if (!bytes) {
    return make_error(ErrorCode::invalid_argument, "{} row of {} elements overflows 64 bits", traits.name,
                      n_elements);
  }
  return *bytes;
}

Result<uint64_t> tensor_bytes(TensorType type, std::span<const uint64_t> shape) {
  if (shape.empty() || shape.size() > kMaxDims) {
    return make_error(ErrorCode::invalid_argument, "tensor has {} dimensions (1 to {} allowed)", shape.size(),
                      kMaxDims);
  }
  OCCAM_ASSIGN_OR_RETURN(uint64_t bytes, row_bytes(type, shape[0]));
  for (size_t d = 1; d < shape.size(); ++d) {
    auto next = checked_mul(bytes, shape[d]);
    if (!next) {
      return make_error(ErrorCode::invalid_argument,
                        "tensor of {} bytes per row: dimension {} = {} overflows 64 bits", bytes, d,
                        shape[d]);
    }
    bytes = *next;
  }
  return bytes;
}

namespace detail {
Error integer_range_error(std::string_view type_name, std::string_view value) {
  return make_error(ErrorCode::invalid_argument, "integer {} does not fit in {}", value, type_name);
}
}  // namespace detail

std::string file_type_name(uint32_t file_type) {
  if (file_type < kFileTypeNames.size() && !kFileTypeNames[file_type].empty()) {
    return std::string(kFileTypeNames[file_type]);
  }
  if (file_type == kFileTypeGuessed) return "GUESSED";
  return fmt::format("unknown({})", file_type);
}

}  // namespace occam::gguf
