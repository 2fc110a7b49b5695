// Parsing a GGUF file into an Index: a bounds-checked cursor walks the header, every metadata value
// (recording array element offsets for O(1) access) and the tensor infos; validate.cpp judges them.
#include <cstring>
#include <utility>

#include "gguf/checked.h"
#include "gguf/index.h"

namespace occam::gguf::detail {

namespace {

// Reads little-endian values from [base, base + size) and never past it.
class Cursor {
 public:
  Cursor(const uint8_t* base, uint64_t size, uint64_t pos) : base_(base), size_(size), pos_(pos) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  template <typename T>
  Result<T> read(std::string_view what) {
    if (remaining() < sizeof(T)) {
      return make_error(ErrorCode::invalid_argument, "{} at offset {:#x}: needs {} bytes, file ends at {:#x}",
                        what, pos_, sizeof(T), size_);
    }
    T out;
    std::memcpy(&out, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return out;
  }

  // A u64 length then that many bytes; returns the offset of the length.
  Result<uint64_t> skip_string(std::string_view what) {
    uint64_t at = pos_;
    OCCAM_ASSIGN_OR_RETURN(uint64_t length, read<uint64_t>(what));
    if (length > remaining()) {
      return make_error(ErrorCode::invalid_argument,
                        "{} at offset {:#x}: string length {} runs past end of file (size {:#x})", what, at,
                        length, size_);
    }
    pos_ += length;
    return at;
  }

  Result<std::string_view> read_string(std::string_view what) {
    OCCAM_ASSIGN_OR_RETURN(uint64_t at, skip_string(what));
    return std::string_view(reinterpret_cast<const char*>(base_ + at + 8), pos_ - at - 8);
  }

  Status skip(uint64_t bytes, std::string_view what) {
    if (bytes > remaining()) {
      return make_error(ErrorCode::invalid_argument,
                        "{} at offset {:#x}: {} bytes run past end of file (size {:#x})", what, pos_, bytes,
                        size_);
    }
    pos_ += bytes;
    return ok_status();
  }

  const uint8_t* here() const { return base_ + pos_; }

 private:
  const uint8_t* base_;
  uint64_t size_;
  uint64_t pos_;
};

Status check_bools(const uint8_t* data, uint64_t count, uint64_t offset) {
  for (uint64_t i = 0; i < count; ++i) {
    if (data[i] > 1) {
      return make_error(ErrorCode::invalid_argument, "bool at offset {:#x} has value {} (0 or 1 expected)",
                        offset + i, data[i]);
    }
  }
  return ok_status();
}

class Parser {
 public:
  explicit Parser(Index& index) : ix_(index), cur_(index.base, index.size, 8) {}

  Status run() {
    OCCAM_TRY(validate_header(ix_.base, ix_.size, ix_.version));
    OCCAM_ASSIGN_OR_RETURN(uint64_t n_tensors, cur_.read<uint64_t>("tensor count"));
    OCCAM_ASSIGN_OR_RETURN(uint64_t n_kv, cur_.read<uint64_t>("metadata count"));
    OCCAM_TRY(validate_counts(n_tensors, n_kv, ix_.size));
    ix_.metadata.reserve(n_kv);
    ix_.key_index.reserve(n_kv);
    for (uint64_t i = 0; i < n_kv; ++i) OCCAM_TRY(parse_entry(i));
    if (const KeyValue* alignment = find("general.alignment")) {
      OCCAM_TRY(validate_alignment(*alignment, ix_.alignment));
    }
    if (const KeyValue* arch = find("general.architecture");
        arch && arch->value.type() == ValueType::string) {
      ix_.architecture = *arch->value.as_string();
    }

    ix_.tensor_info_offset = cur_.pos();
    ix_.tensors.reserve(n_tensors);
    ix_.tensor_index.reserve(n_tensors);
    for (uint64_t i = 0; i < n_tensors; ++i) OCCAM_TRY(parse_tensor_info(i));
    auto data_offset = checked_align_up(cur_.pos(), ix_.alignment);
    if (!data_offset) {
      return make_error(ErrorCode::invalid_argument,
                        "gguf: data section offset overflows (end of tensor infos {:#x})", cur_.pos());
    }
    ix_.data_offset = *data_offset;
    return validate_tensor_data(ix_);
  }

 private:
  const KeyValue* find(std::string_view key) const {
    auto it = ix_.key_index.find(key);
    return it == ix_.key_index.end() ? nullptr : &ix_.metadata[it->second];
  }

  Status parse_entry(uint64_t i) {
    uint64_t entry_offset = cur_.pos();
    Result<std::string_view> key = cur_.read_string("metadata key");
    if (!key.ok()) return std::move(key).error().with_context(fmt::format("gguf: metadata entry #{}", i));
    if (key->empty()) {
      return make_error(ErrorCode::invalid_argument, "gguf: metadata entry #{} at offset {:#x}: empty key", i,
                        entry_offset);
    }
    Status status = parse_typed_value(*key, entry_offset);
    if (!status.ok()) return std::move(status).error().with_context(fmt::format("gguf: key '{}'", *key));
    return ok_status();
  }

  Status parse_typed_value(std::string_view key, uint64_t entry_offset) {
    uint64_t type_offset = cur_.pos();
    OCCAM_ASSIGN_OR_RETURN(uint32_t raw_type, cur_.read<uint32_t>("value type"));
    auto type = static_cast<ValueType>(raw_type);
    if (!is_valid(type)) {
      return make_error(ErrorCode::invalid_argument, "unknown value type {} at offset {:#x}", raw_type,
                        type_offset);
    }
    uint64_t payload = cur_.pos();
    uint32_t node = 0;
    OCCAM_TRY(parse_value(type, 1, node));
    auto [it, inserted] = ix_.key_index.emplace(key, static_cast<uint32_t>(ix_.metadata.size()));
    if (!inserted) {
      return make_error(ErrorCode::invalid_argument, "duplicate key at offset {:#x} (first at {:#x})",
                        entry_offset, ix_.metadata[it->second].offset);
    }
    ix_.metadata.push_back(KeyValue{key, ix_.make_value(type, payload, node), entry_offset});
    return ok_status();
  }

  // Parses one value of `type` at the cursor; for arrays, sets `node` to its record.
  Status parse_value(ValueType type, uint32_t depth, uint32_t& node) {
    switch (type) {
      case ValueType::string: {
        Result<uint64_t> at = cur_.skip_string("string");
        if (!at.ok()) return std::move(at).error();
        return ok_status();
      }
      case ValueType::array: {
        if (depth > ix_.options.max_array_depth) {
          return make_error(ErrorCode::invalid_argument, "array at offset {:#x} nested deeper than {} levels",
                            cur_.pos(), ix_.options.max_array_depth);
        }
        node = static_cast<uint32_t>(ix_.nodes.size());
        ix_.nodes.emplace_back();
        return parse_array(node, depth);
      }
      case ValueType::boolean: {
        uint64_t at = cur_.pos();
        const uint8_t* data = cur_.here();
        OCCAM_TRY(cur_.skip(1, "bool"));
        return check_bools(data, 1, at);
      }
      default:
        return cur_.skip(fixed_size(type), to_string(type));
    }
  }

  // Fills nodes[node] from the cursor (element type, count, elements).
  Status parse_array(uint32_t node, uint32_t depth) {
    uint64_t offset = cur_.pos();
    OCCAM_ASSIGN_OR_RETURN(uint32_t raw_type, cur_.read<uint32_t>("array element type"));
    auto element_type = static_cast<ValueType>(raw_type);
    if (!is_valid(element_type)) {
      return make_error(ErrorCode::invalid_argument, "array at offset {:#x}: unknown element type {}", offset,
                        raw_type);
    }
    OCCAM_ASSIGN_OR_RETURN(uint64_t count, cur_.read<uint64_t>("array length"));
    OCCAM_TRY(validate_array_count(count, element_type, offset, cur_.remaining()));
    ArrayNode record;
    record.offset = offset;
    record.count = count;
    record.element_type = element_type;

    if (element_type == ValueType::string) {
      record.table = ix_.element_offsets.size();
      ix_.element_offsets.resize(record.table + count);
      uint64_t* table = ix_.element_offsets.data() + record.table;
      for (uint64_t i = 0; i < count; ++i) {
        Result<uint64_t> at = cur_.skip_string("string");
        if (!at.ok()) return std::move(at).error().with_context(fmt::format("array element {}", i));
        table[i] = *at;
      }
    } else if (element_type == ValueType::array) {
      if (depth + 1 > ix_.options.max_array_depth) {
        return make_error(ErrorCode::invalid_argument,
                          "array at offset {:#x}: arrays nested deeper than {} levels", offset,
                          ix_.options.max_array_depth);
      }
      record.children = static_cast<uint32_t>(ix_.nodes.size());
      ix_.nodes.resize(ix_.nodes.size() + count);
      for (uint64_t i = 0; i < count; ++i) {
        Status status = parse_array(static_cast<uint32_t>(record.children + i), depth + 1);
        if (!status.ok()) return std::move(status).error().with_context(fmt::format("array element {}", i));
      }
    } else {
      const uint8_t* data = cur_.here();
      uint64_t at = cur_.pos();
      // count <= remaining / size was checked, so this cannot overflow.
      OCCAM_TRY(cur_.skip(count * fixed_size(element_type), "array elements"));
      if (element_type == ValueType::boolean) OCCAM_TRY(check_bools(data, count, at));
    }
    record.end = cur_.pos();
    ix_.nodes[node] = record;
    return ok_status();
  }

  Status parse_tensor_info(uint64_t i) {
    TensorInfo tensor;
    tensor.info_offset = cur_.pos();
    auto where = [&] { return fmt::format("gguf: tensor info #{} at offset {:#x}", i, tensor.info_offset); };
    Result<std::string_view> name = cur_.read_string("tensor name");
    if (!name.ok()) return std::move(name).error().with_context(where());
    tensor.name = *name;
    auto context = [&] {
      return fmt::format("gguf: tensor '{}' (info at offset {:#x})", tensor.name, tensor.info_offset);
    };
    if (tensor.name.size() > kMaxTensorName) {
      return make_error(ErrorCode::invalid_argument, "{}: name of {} bytes is longer than {}", context(),
                        tensor.name.size(), kMaxTensorName);
    }
    Result<uint32_t> n_dims = cur_.read<uint32_t>("n_dims");
    if (!n_dims.ok()) return std::move(n_dims).error().with_context(context());
    if (*n_dims == 0 || *n_dims > kMaxDims) {
      return make_error(ErrorCode::invalid_argument, "{}: n_dims {} at offset {:#x} (1 to {} allowed)",
                        context(), *n_dims, cur_.pos() - 4, kMaxDims);
    }
    tensor.n_dims = *n_dims;
    for (uint32_t d = 0; d < tensor.n_dims; ++d) {
      Result<uint64_t> ne = cur_.read<uint64_t>("dimension");
      if (!ne.ok()) return std::move(ne).error().with_context(context());
      tensor.ne[d] = *ne;
    }
    Result<uint32_t> raw_type = cur_.read<uint32_t>("tensor type");
    if (!raw_type.ok()) return std::move(raw_type).error().with_context(context());
    Result<uint64_t> offset = cur_.read<uint64_t>("data offset");
    if (!offset.ok()) return std::move(offset).error().with_context(context());
    tensor.offset = *offset;
    Status valid = validate_tensor_info(tensor, *raw_type);
    if (!valid.ok()) return std::move(valid).error().with_context(context());

    auto [it, inserted] = ix_.tensor_index.emplace(tensor.name, static_cast<uint32_t>(ix_.tensors.size()));
    if (!inserted) {
      return make_error(ErrorCode::invalid_argument, "{}: duplicate tensor name (first at offset {:#x})",
                        context(), ix_.tensors[it->second].info_offset);
    }
    ix_.parameter_count += tensor.n_elements;  // each <= INT64_MAX; a sum past 2^64 saturates below
    if (ix_.parameter_count < tensor.n_elements) ix_.parameter_count = UINT64_MAX;
    ix_.tensors.push_back(tensor);
    return ok_status();
  }

  Index& ix_;
  Cursor cur_;
};

Result<std::unique_ptr<Index>> build(std::unique_ptr<Index> index) {
  Status status = parse(*index);
  if (!status.ok()) return std::move(status).error().with_context(index->name);
  return index;
}

}  // namespace

Status parse(Index& index) {
  return Parser(index).run();
}

}  // namespace occam::gguf::detail

namespace occam::gguf {

Result<File> File::open(const std::filesystem::path& path, const OpenOptions& options) {
  auto index = std::make_unique<detail::Index>();
  index->name = path.string();
  index->options = options;
  OCCAM_ASSIGN_OR_RETURN(detail::MappedFile mapping, detail::MappedFile::open(path, options.populate));
  index->base = mapping.bytes().data();
  index->size = mapping.bytes().size();
  index->storage = std::move(mapping);
  OCCAM_ASSIGN_OR_RETURN(index, detail::build(std::move(index)));
  return File(std::move(index));
}

Result<File> File::open_bytes(std::span<const uint8_t> bytes, std::string name, const OpenOptions& options) {
  auto index = std::make_unique<detail::Index>();
  index->name = std::move(name);
  index->options = options;
  index->base = bytes.data();
  index->size = bytes.size();
  OCCAM_ASSIGN_OR_RETURN(index, detail::build(std::move(index)));
  return File(std::move(index));
}

Result<File> File::open_owned(std::vector<uint8_t> bytes, std::string name, const OpenOptions& options) {
  auto index = std::make_unique<detail::Index>();
  index->name = std::move(name);
  index->options = options;
  index->storage = std::move(bytes);
  const auto& owned = std::get<std::vector<uint8_t>>(index->storage);
  index->base = owned.data();
  index->size = owned.size();
  OCCAM_ASSIGN_OR_RETURN(index, detail::build(std::move(index)));
  return File(std::move(index));
}

}  // namespace occam::gguf
