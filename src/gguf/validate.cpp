// The rules a GGUF file must satisfy before anything uses it. Each error names the field and the
// byte offset. Counts are bounded by the bytes left, so no count can make the reader allocate more
// than a small multiple of the file size; every size and offset is computed with overflow checks.
#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>

#include "gguf/checked.h"
#include "gguf/index.h"

namespace occam::gguf::detail {

Status validate_header(const uint8_t* base, uint64_t size, uint32_t& version) {
  if (size < kHeaderSize) {
    return make_error(ErrorCode::invalid_argument,
                      "gguf: file of {} bytes is too small for a GGUF header ({} bytes)", size, kHeaderSize);
  }
  uint32_t magic;
  std::memcpy(&magic, base, 4);
  if (magic != kMagic) {
    return make_error(ErrorCode::invalid_argument,
                      "gguf: bad magic {:#010x} at offset 0x0 (expected {:#010x}, \"GGUF\"): not a GGUF file",
                      magic, kMagic);
  }
  std::memcpy(&version, base + 4, 4);
  if (version == 2 || version == 3) return ok_status();
  if (version == 1) {
    return make_error(ErrorCode::unsupported,
                      "gguf: version 1 at offset 0x4 is not supported (v2 and v3 are; re-convert the model)");
  }
  uint32_t swapped = __builtin_bswap32(version);
  if (swapped == 2 || swapped == 3) {
    return make_error(ErrorCode::unsupported,
                      "gguf: big-endian GGUF v{} (version field at offset 0x4) is not supported", swapped);
  }
  return make_error(ErrorCode::unsupported,
                    "gguf: unknown version {} at offset 0x4 (v2 and v3 are supported)", version);
}

Status validate_counts(uint64_t n_tensors, uint64_t n_kv, uint64_t size) {
  uint64_t remaining = size - kHeaderSize;
  if (n_tensors > remaining / kMinTensorInfo) {
    return make_error(ErrorCode::invalid_argument,
                      "gguf: tensor count {} at offset 0x8 cannot fit in the {} bytes after the header",
                      n_tensors, remaining);
  }
  if (n_kv > remaining / kMinMetadataEntry) {
    return make_error(ErrorCode::invalid_argument,
                      "gguf: metadata count {} at offset 0x10 cannot fit in the {} bytes after the header",
                      n_kv, remaining);
  }
  if (n_tensors * kMinTensorInfo + n_kv * kMinMetadataEntry > remaining) {
    return make_error(ErrorCode::invalid_argument,
                      "gguf: {} tensors and {} metadata entries cannot fit in the {} bytes after the header",
                      n_tensors, n_kv, remaining);
  }
  return ok_status();
}

Status validate_array_count(uint64_t count, ValueType element_type, uint64_t offset, uint64_t remaining) {
  uint64_t min_size = fixed_size(element_type);
  if (element_type == ValueType::string) min_size = 8;
  if (element_type == ValueType::array) min_size = kArrayHeader;
  if (count > remaining / min_size) {
    return make_error(ErrorCode::invalid_argument,
                      "array at offset {:#x}: {} elements of {} cannot fit in the {} bytes left", offset,
                      count, to_string(element_type), remaining);
  }
  return ok_status();
}

Status validate_alignment(const KeyValue& entry, uint64_t& alignment) {
  Result<uint32_t> value = entry.value.as_integer<uint32_t>();
  if (!value.ok()) {
    return std::move(value).error().with_context(
        fmt::format("gguf: key 'general.alignment' at offset {:#x}", entry.offset));
  }
  if (!is_power_of_two(*value)) {
    return make_error(
        ErrorCode::invalid_argument,
        "gguf: key 'general.alignment' at offset {:#x}: alignment {} is not a non-zero power of two",
        entry.offset, *value);
  }
  alignment = *value;
  return ok_status();
}

Status validate_tensor_info(TensorInfo& tensor, uint32_t raw_type) {
  const TensorTypeTraits* traits = find_tensor_type(raw_type);
  uint64_t type_offset = tensor.info_offset + 8 + tensor.name.size() + 4 + 8ull * tensor.n_dims;
  if (traits == nullptr) {
    return make_error(ErrorCode::unsupported, "unknown tensor type id {} at offset {:#x}", raw_type,
                      type_offset);
  }
  tensor.type = traits->type;
  uint64_t n_elements = 1;
  for (uint32_t d = 0; d < tensor.n_dims; ++d) {
    uint64_t ne = tensor.ne[d];
    uint64_t ne_offset = tensor.info_offset + 8 + tensor.name.size() + 4 + 8ull * d;
    if (ne == 0) {
      return make_error(ErrorCode::invalid_argument, "dimension {} at offset {:#x} is zero", d, ne_offset);
    }
    auto product = checked_mul(n_elements, ne);
    // ggml stores dimensions and element counts as int64_t.
    if (ne > static_cast<uint64_t>(INT64_MAX) || !product || *product > static_cast<uint64_t>(INT64_MAX)) {
      return make_error(ErrorCode::invalid_argument,
                        "dimension {} = {} at offset {:#x}: element count overflows int64", d, ne, ne_offset);
    }
    n_elements = *product;
  }
  if (tensor.ne[0] % traits->block_size != 0) {
    return make_error(ErrorCode::invalid_argument, "row length {} is not a multiple of {}'s block size {}",
                      tensor.ne[0], traits->name, traits->block_size);
  }
  Result<uint64_t> bytes = tensor_bytes(tensor.type, tensor.shape());
  if (!bytes.ok()) return std::move(bytes).error();
  tensor.n_elements = n_elements;
  tensor.n_bytes = *bytes;
  return ok_status();
}

Status validate_tensor_data(Index& index) {
  for (TensorInfo& tensor : index.tensors) {
    if (tensor.offset % index.alignment != 0) {
      return make_error(ErrorCode::invalid_argument,
                        "gguf: tensor '{}': data offset {:#x} is not a multiple of the alignment {}",
                        tensor.name, tensor.offset, index.alignment);
    }
    auto begin = checked_add(index.data_offset, tensor.offset);
    auto end = begin ? checked_add(*begin, tensor.n_bytes) : std::nullopt;
    if (!end) {
      return make_error(ErrorCode::invalid_argument,
                        "gguf: tensor '{}': data offset {:#x} + {} bytes overflows (data section at {:#x})",
                        tensor.name, tensor.offset, tensor.n_bytes, index.data_offset);
    }
    if (*end > index.size) {
      return make_error(ErrorCode::invalid_argument,
                        "gguf: tensor '{}': data [{:#x}, {:#x}) past end of file (size {:#x})", tensor.name,
                        *begin, *end, index.size);
    }
    tensor.file_offset = *begin;
    tensor.data = index.base + *begin;
  }

  std::vector<uint32_t> order(index.tensors.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return index.tensors[a].file_offset < index.tensors[b].file_offset;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const TensorInfo& prev = index.tensors[order[i - 1]];
    const TensorInfo& next = index.tensors[order[i]];
    if (prev.file_offset + prev.n_bytes > next.file_offset) {
      return make_error(ErrorCode::invalid_argument,
                        "gguf: tensor '{}': data [{:#x}, {:#x}) overlaps tensor '{}' data [{:#x}, {:#x})",
                        next.name, next.file_offset, next.file_offset + next.n_bytes, prev.name,
                        prev.file_offset, prev.file_offset + prev.n_bytes);
    }
  }
  return ok_status();
}

}  // namespace occam::gguf::detail
