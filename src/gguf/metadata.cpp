// Access to a validated file: Value and ArrayView views, keyed lookups and the tensor table. All
// offsets were checked by the parser, so reads here need no bounds checks of their own.
#include <cassert>

#include "gguf/index.h"

namespace occam::gguf {

namespace {

// "text" with quotes, backslashes and control bytes escaped. (Not fmt's "{:?}": fmt 9 asserts on
// invalid UTF-8, which untrusted files contain.)
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Value

const uint8_t* Value::data() const {
  return index_->base + offset_;
}

std::string_view Value::string_unchecked() const {
  uint64_t length = index_->load_u64(offset_);
  return {reinterpret_cast<const char*>(index_->base + offset_ + 8), static_cast<size_t>(length)};
}

Status Value::check_type(ValueType expected) const {
  if (index_ == nullptr) return make_error(ErrorCode::invalid_argument, "empty value");
  if (type_ != expected) {
    return make_error(ErrorCode::invalid_argument, "expected {}, found {} (value at offset {:#x})",
                      to_string(expected), to_string(type_), offset_);
  }
  return ok_status();
}

Result<double> Value::as_float() const {
  if (index_ != nullptr && type_ == ValueType::f32) return static_cast<double>(load<float>());
  if (index_ != nullptr && type_ == ValueType::f64) return load<double>();
  return make_error(ErrorCode::invalid_argument, "expected f32 or f64, found {} (value at offset {:#x})",
                    to_string(type_), offset_);
}

Result<std::string_view> Value::as_string() const {
  OCCAM_TRY(check_type(ValueType::string));
  return string_unchecked();
}

Result<ArrayView> Value::as_array() const {
  OCCAM_TRY(check_type(ValueType::array));
  return ArrayView(index_, node_);
}

std::span<const uint8_t> Value::raw() const {
  if (index_ == nullptr) return {};
  uint64_t end = offset_;
  switch (type_) {
    case ValueType::string:
      end = offset_ + 8 + index_->load_u64(offset_);
      break;
    case ValueType::array:
      end = index_->nodes[node_].end;
      break;
    default:
      end = offset_ + fixed_size(type_);
      break;
  }
  return {index_->base + offset_, static_cast<size_t>(end - offset_)};
}

std::string Value::to_display(size_t max_elements) const {
  if (index_ == nullptr) return "(none)";
  return visit([&](auto v) -> std::string {
    using T = decltype(v);
    if constexpr (std::is_same_v<T, std::string_view>) {
      return quote(v);
    } else if constexpr (std::is_same_v<T, ArrayView>) {
      std::string out = "[";
      const uint64_t shown = std::min<uint64_t>(v.size(), max_elements);
      for (uint64_t i = 0; i < shown; ++i) {
        if (i > 0) out += ", ";
        out += v[i].to_display(max_elements);
      }
      if (shown < v.size()) out += fmt::format(", ... ({} {})", v.size(), to_string(v.element_type()));
      return out + "]";
    } else {
      return fmt::format("{}", v);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// ArrayView

ValueType ArrayView::element_type() const {
  return index_ == nullptr ? ValueType::u8 : index_->nodes[node_].element_type;
}

uint64_t ArrayView::size() const {
  return index_ == nullptr ? 0 : index_->nodes[node_].count;
}

uint64_t ArrayView::offset() const {
  return index_ == nullptr ? 0 : index_->nodes[node_].offset;
}

const uint8_t* ArrayView::element_data(uint64_t i) const {
  const detail::ArrayNode& node = index_->nodes[node_];
  return index_->base + node.first() + i * fixed_size(node.element_type);
}

Value ArrayView::operator[](uint64_t i) const {
  assert(index_ != nullptr && i < size());
  const detail::ArrayNode& node = index_->nodes[node_];
  switch (node.element_type) {
    case ValueType::string:
      return Value(index_, ValueType::string, index_->element_offsets[node.table + i], 0);
    case ValueType::array: {
      auto child = static_cast<uint32_t>(node.children + i);
      return Value(index_, ValueType::array, index_->nodes[child].offset, child);
    }
    default:
      return Value(index_, node.element_type, node.first() + i * fixed_size(node.element_type), 0);
  }
}

Result<Value> ArrayView::at(uint64_t i) const {
  if (i >= size()) {
    return make_error(ErrorCode::invalid_argument, "array index {} out of range (size {})", i, size());
  }
  return (*this)[i];
}

std::string_view ArrayView::string(uint64_t i) const {
  assert(index_ != nullptr && i < size());
  const detail::ArrayNode& node = index_->nodes[node_];
  if (node.element_type != ValueType::string) return {};
  uint64_t at = index_->element_offsets[node.table + i];
  uint64_t length = index_->load_u64(at);
  return {reinterpret_cast<const char*>(index_->base + at + 8), static_cast<size_t>(length)};
}

Status ArrayView::check_element_type(ValueType expected) const {
  if (index_ == nullptr) return make_error(ErrorCode::invalid_argument, "empty array view");
  if (element_type() != expected) {
    return make_error(ErrorCode::invalid_argument,
                      "expected an array of {}, found an array of {} (at offset {:#x})", to_string(expected),
                      to_string(element_type()), offset());
  }
  return ok_status();
}

// ---------------------------------------------------------------------------------------------
// TensorInfo

std::string TensorInfo::shape_string() const {
  std::string out = "[";
  for (uint32_t d = 0; d < n_dims; ++d) {
    if (d > 0) out += ", ";
    out += std::to_string(ne[d]);
  }
  return out + "]";
}

// ---------------------------------------------------------------------------------------------
// File

File::File(std::unique_ptr<detail::Index> index) : index_(std::move(index)) {}
File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

const std::string& File::name() const {
  return index_->name;
}
uint32_t File::version() const {
  return index_->version;
}
uint64_t File::size() const {
  return index_->size;
}
uint64_t File::alignment() const {
  return index_->alignment;
}
uint64_t File::data_offset() const {
  return index_->data_offset;
}
std::span<const uint8_t> File::bytes() const {
  return {index_->base, static_cast<size_t>(index_->size)};
}
std::span<const KeyValue> File::metadata() const {
  return index_->metadata;
}
std::string_view File::architecture() const {
  return index_->architecture;
}
std::span<const TensorInfo> File::tensors() const {
  return index_->tensors;
}
uint64_t File::parameter_count() const {
  return index_->parameter_count;
}

std::string File::arch_key(std::string_view suffix) const {
  return fmt::format("{}.{}", index_->architecture, suffix);
}

std::string File::resolve_key(std::string_view key) const {
  std::string out;
  size_t start = 0;
  for (size_t at = key.find("{arch}"); at != std::string_view::npos; at = key.find("{arch}", start)) {
    out.append(key.substr(start, at - start));
    out.append(index_->architecture);
    start = at + 6;
  }
  out.append(key.substr(start));
  return out;
}

const KeyValue* File::find(std::string_view key) const {
  std::string resolved;
  if (key.find('{') != std::string_view::npos) {
    resolved = resolve_key(key);
    key = resolved;
  }
  auto it = index_->key_index.find(key);
  return it == index_->key_index.end() ? nullptr : &index_->metadata[it->second];
}

Result<Value> File::lookup(std::string_view key) const {
  const KeyValue* entry = find(key);
  if (entry == nullptr) {
    if (key.find("{arch}") != std::string_view::npos && index_->architecture.empty()) {
      return make_error(ErrorCode::not_found,
                        "gguf: key '{}' not found (no general.architecture to expand {{arch}})", key);
    }
    return make_error(ErrorCode::not_found, "gguf: key '{}' not found in '{}'", resolve_key(key),
                      index_->name);
  }
  return entry->value;
}

Result<double> File::get_float(std::string_view key) const {
  OCCAM_ASSIGN_OR_RETURN(Value value, lookup(key));
  Result<double> out = value.as_float();
  if (!out.ok()) return std::move(out).error().with_context(fmt::format("gguf: key '{}'", resolve_key(key)));
  return out;
}

Result<double> File::get_float_or(std::string_view key, double fallback) const {
  if (find(key) == nullptr) return fallback;
  return get_float(key);
}

Result<std::string_view> File::get_string(std::string_view key) const {
  return get<std::string_view>(key);
}

Result<ArrayView> File::get_array(std::string_view key) const {
  return get<ArrayView>(key);
}

const TensorInfo* File::find_tensor(std::string_view name) const {
  auto it = index_->tensor_index.find(name);
  return it == index_->tensor_index.end() ? nullptr : &index_->tensors[it->second];
}

Result<const TensorInfo*> File::tensor(std::string_view name) const {
  const TensorInfo* tensor = find_tensor(name);
  if (tensor == nullptr) {
    return make_error(ErrorCode::not_found, "gguf: tensor '{}' not found in '{}'", name, index_->name);
  }
  return tensor;
}

}  // namespace occam::gguf
