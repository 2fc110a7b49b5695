// The parsed form of a GGUF file behind File, Value and ArrayView (private to gguf).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "gguf/gguf.h"
#include "gguf/mapped_file.h"

namespace occam::gguf::detail {

inline constexpr uint64_t kHeaderSize = 24;     // magic, version, tensor count, metadata count
inline constexpr uint32_t kMaxTensorName = 63;  // GGML_MAX_NAME (64) minus the terminating NUL
// Smallest encodings, used to bound counts by the bytes left (a huge count fails before allocating).
inline constexpr uint64_t kMinMetadataEntry = 8 + 1 + 4 + 1;  // key length, 1-byte key, type, u8
inline constexpr uint64_t kMinTensorInfo =
    8 + 1 + 4 + 8 + 4 + 8;                       // name length, name, n_dims, ne, type, offset
inline constexpr uint64_t kArrayHeader = 4 + 8;  // element type, count

// One array value. Elements of fixed size are found by arithmetic; string elements through a table
// of offsets; array elements are child nodes stored contiguously.
struct ArrayNode {
  uint64_t offset = 0;  // the element type tag
  uint64_t end = 0;     // one past the last byte of the last element
  uint64_t count = 0;
  uint64_t table = 0;     // string elements: first entry in Index::element_offsets
  uint32_t children = 0;  // array elements: first child in Index::nodes
  ValueType element_type = ValueType::u8;

  uint64_t first() const { return offset + kArrayHeader; }
};

struct Index {
  std::string name;
  std::variant<std::monostate, MappedFile, std::vector<uint8_t>> storage;
  const uint8_t* base = nullptr;
  uint64_t size = 0;
  OpenOptions options;

  uint32_t version = 0;
  uint64_t alignment = kDefaultAlignment;
  uint64_t tensor_info_offset = 0;  // where the tensor infos start
  uint64_t data_offset = 0;
  std::string_view architecture;
  uint64_t parameter_count = 0;

  std::vector<KeyValue> metadata;
  std::unordered_map<std::string_view, uint32_t> key_index;
  std::vector<ArrayNode> nodes;
  std::vector<uint64_t> element_offsets;  // string elements: the offset of their u64 length
  std::vector<TensorInfo> tensors;
  std::unordered_map<std::string_view, uint32_t> tensor_index;

  Value make_value(ValueType type, uint64_t offset, uint32_t node) const {
    return Value(this, type, offset, node);
  }
  ArrayView make_array(uint32_t node) const { return ArrayView(this, node); }
  // Reads a u64 at a validated offset.
  uint64_t load_u64(uint64_t offset) const {
    uint64_t v;
    std::memcpy(&v, base + offset, sizeof v);
    return v;
  }
};

// reader.cpp: parses and validates index.base[0, index.size) into index.
Status parse(Index& index);

// validate.cpp: the checks parse() applies, each naming the field and byte offset.
Status validate_header(const uint8_t* base, uint64_t size, uint32_t& version);
Status validate_counts(uint64_t n_tensors, uint64_t n_kv, uint64_t size);
Status validate_array_count(uint64_t count, ValueType element_type, uint64_t offset, uint64_t remaining);
Status validate_alignment(const KeyValue& entry, uint64_t& alignment);
// Interprets a tensor info read at info_offset (dims, type, sizes); fills n_elements and n_bytes.
Status validate_tensor_info(TensorInfo& tensor, uint32_t raw_type);
// Data placement of every tensor: inside the file, aligned, not overlapping; fills file_offset, data.
Status validate_tensor_data(Index& index);

}  // namespace occam::gguf::detail
