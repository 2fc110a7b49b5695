// Building GGUF files. Layout as llama.cpp's gguf_write_to_buf and gguf-py's GGUFWriter: header,
// metadata, tensor infos (offsets relative to the data section, each tensor's start padded to the
// alignment), zero padding to the alignment, then each tensor's bytes followed by zero padding.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include <fmt/ranges.h>
#include <unistd.h>

#include "gguf/checked.h"
#include "gguf/index.h"

namespace occam::gguf {

namespace {

template <typename T>
void put(std::vector<uint8_t>& out, T value) {
  size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}

void put_string(std::vector<uint8_t>& out, std::string_view s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

template <typename T>
void put_primitive(const MetaValue& value, std::vector<uint8_t>& out) {
  put<T>(out, *value.as<T>());
}

// Appends a value's payload (no type tag); checks array element types.
Status encode(const MetaValue& value, std::vector<uint8_t>& out) {
  switch (value.type()) {
    case ValueType::u8:
      put_primitive<uint8_t>(value, out);
      break;
    case ValueType::i8:
      put_primitive<int8_t>(value, out);
      break;
    case ValueType::u16:
      put_primitive<uint16_t>(value, out);
      break;
    case ValueType::i16:
      put_primitive<int16_t>(value, out);
      break;
    case ValueType::u32:
      put_primitive<uint32_t>(value, out);
      break;
    case ValueType::i32:
      put_primitive<int32_t>(value, out);
      break;
    case ValueType::f32:
      put_primitive<float>(value, out);
      break;
    case ValueType::boolean:
      put<uint8_t>(out, *value.as<bool>() ? 1 : 0);
      break;
    case ValueType::u64:
      put_primitive<uint64_t>(value, out);
      break;
    case ValueType::i64:
      put_primitive<int64_t>(value, out);
      break;
    case ValueType::f64:
      put_primitive<double>(value, out);
      break;
    case ValueType::string:
      put_string(out, *value.as_string());
      break;
    case ValueType::array: {
      const MetaValue::Array& array = *value.as_array();
      if (!is_valid(array.element_type)) {
        return make_error(ErrorCode::invalid_argument, "array element type {} is not a GGUF type",
                          static_cast<uint32_t>(array.element_type));
      }
      put<uint32_t>(out, static_cast<uint32_t>(array.element_type));
      put<uint64_t>(out, array.elements.size());
      for (size_t i = 0; i < array.elements.size(); ++i) {
        const MetaValue& element = array.elements[i];
        if (element.type() != array.element_type) {
          return make_error(ErrorCode::invalid_argument, "array element {} is {}, expected {}", i,
                            to_string(element.type()), to_string(array.element_type));
        }
        Status status = encode(element, out);
        if (!status.ok()) return std::move(status).error().with_context(fmt::format("array element {}", i));
      }
      break;
    }
  }
  return ok_status();
}

// The payload's integer value, for general.alignment.
std::optional<uint64_t> payload_integer(ValueType type, std::span<const uint8_t> payload) {
  auto load = [&]<typename T>(T) -> std::optional<uint64_t> {
    T v;
    std::memcpy(&v, payload.data(), sizeof v);
    if (v < 0 && std::is_signed_v<T>) return std::nullopt;
    return static_cast<uint64_t>(v);
  };
  switch (type) {
    case ValueType::u8:
      return load(uint8_t{});
    case ValueType::i8:
      return load(int8_t{});
    case ValueType::u16:
      return load(uint16_t{});
    case ValueType::i16:
      return load(int16_t{});
    case ValueType::u32:
      return load(uint32_t{});
    case ValueType::i32:
      return load(int32_t{});
    case ValueType::u64:
      return load(uint64_t{});
    case ValueType::i64:
      return load(int64_t{});
    default:
      return std::nullopt;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// MetaValue

MetaValue MetaValue::array(ValueType element_type, std::vector<MetaValue> elements) {
  return MetaValue(Array{element_type, std::move(elements)});
}

ValueType MetaValue::type() const {
  // The variant's alternatives are declared in ValueType order.
  return static_cast<ValueType>(data_.index());
}

MetaValue MetaValue::from(const Value& value) {
  return value.visit([](auto v) -> MetaValue {
    using T = decltype(v);
    if constexpr (std::is_same_v<T, ArrayView>) {
      Array out{v.element_type(), {}};
      out.elements.reserve(v.size());
      for (uint64_t i = 0; i < v.size(); ++i) out.elements.push_back(from(v[i]));
      return MetaValue(std::move(out));
    } else if constexpr (std::is_same_v<T, std::string_view>) {
      return std::string(v);
    } else {
      return v;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Writer

struct Writer::Impl {
  struct Entry {
    std::string key;
    ValueType type = ValueType::u8;
    std::vector<uint8_t> owned;
    std::span<const uint8_t> borrowed;  // into a File's mapping
    bool is_borrowed = false;
    std::span<const uint8_t> payload() const {
      return is_borrowed ? borrowed : std::span<const uint8_t>(owned);
    }
  };
  struct Tensor {
    std::string name;
    TensorType type = TensorType::F32;
    uint32_t n_dims = 0;
    std::array<uint64_t, kMaxDims> ne{1, 1, 1, 1};
    std::vector<uint8_t> owned;
    std::span<const uint8_t> data;  // into owned or the caller's memory
  };

  std::vector<Entry> entries;
  std::vector<Tensor> tensors;
  std::unordered_set<std::string> tensor_names;
  uint32_t version = 3;
  bool pad_without_tensors = true;
  std::optional<Error> deferred;  // the first error of set(), reported by to_bytes()

  Entry& slot(std::string_view key) {
    for (Entry& e : entries) {
      if (e.key == key) return e;
    }
    Entry& entry = entries.emplace_back();
    entry.key = std::string(key);
    return entry;
  }

  Result<uint64_t> alignment() const {
    for (const Entry& e : entries) {
      if (e.key != "general.alignment") continue;
      std::optional<uint64_t> v = payload_integer(e.type, e.payload());
      if (!v || !is_power_of_two(*v) || *v > UINT32_MAX) {
        return make_error(ErrorCode::invalid_argument,
                          "gguf writer: general.alignment must be an integer power of two (u32), got a {}",
                          to_string(e.type));
      }
      return *v;
    }
    return uint64_t{kDefaultAlignment};
  }
};

Writer::Writer() : impl_(std::make_unique<Impl>()) {}
Writer::Writer(Writer&&) noexcept = default;
Writer& Writer::operator=(Writer&&) noexcept = default;
Writer::~Writer() = default;

Writer& Writer::set(std::string_view key, MetaValue value) {
  std::vector<uint8_t> payload;
  Status status = key.empty() ? make_error(ErrorCode::invalid_argument, "empty key") : encode(value, payload);
  if (!status.ok()) {
    if (!impl_->deferred)
      impl_->deferred = std::move(status).error().with_context(fmt::format("gguf writer: key '{}'", key));
    return *this;
  }
  Impl::Entry& entry = impl_->slot(key);
  entry.type = value.type();
  entry.owned = std::move(payload);
  entry.borrowed = {};
  entry.is_borrowed = false;
  return *this;
}

Writer& Writer::set(std::string_view key, const Value& value) {
  if (key.empty()) {
    if (!impl_->deferred) impl_->deferred = make_error(ErrorCode::invalid_argument, "gguf writer: empty key");
    return *this;
  }
  Impl::Entry& entry = impl_->slot(key);
  entry.type = value.type();
  entry.owned.clear();
  entry.borrowed = value.raw();
  entry.is_borrowed = true;
  return *this;
}

bool Writer::remove(std::string_view key) {
  auto it = std::find_if(impl_->entries.begin(), impl_->entries.end(),
                         [&](const Impl::Entry& e) { return e.key == key; });
  if (it == impl_->entries.end()) return false;
  impl_->entries.erase(it);
  return true;
}

bool Writer::contains(std::string_view key) const {
  return std::any_of(impl_->entries.begin(), impl_->entries.end(),
                     [&](const Impl::Entry& e) { return e.key == key; });
}

Status Writer::copy_metadata(const File& file) {
  for (const KeyValue& kv : file.metadata()) set(kv.key, kv.value);
  return ok_status();
}

Status Writer::add_tensor_owned(std::string_view name, TensorType type, std::span<const uint64_t> shape,
                                std::vector<uint8_t> data) {
  OCCAM_TRY(add_tensor(name, type, shape, std::span<const uint8_t>(data)));
  // The vector's buffer does not move when the vector does, so the span stays valid.
  impl_->tensors.back().owned = std::move(data);
  return ok_status();
}

Status Writer::add_tensor(std::string_view name, TensorType type, std::span<const uint64_t> shape,
                          std::span<const uint8_t> data) {
  auto where = [&] { return fmt::format("gguf writer: tensor '{}'", name); };
  if (name.size() > detail::kMaxTensorName) {
    return make_error(ErrorCode::invalid_argument, "{}: name of {} bytes is longer than {}", where(),
                      name.size(), detail::kMaxTensorName);
  }
  if (impl_->tensor_names.count(std::string(name)) != 0) {
    return make_error(ErrorCode::invalid_argument, "{}: duplicate tensor name", where());
  }
  if (shape.empty() || shape.size() > kMaxDims) {
    return make_error(ErrorCode::invalid_argument, "{}: {} dimensions (1 to {} allowed)", where(),
                      shape.size(), kMaxDims);
  }
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return make_error(ErrorCode::invalid_argument, "{}: dimension {} is zero", where(), d);
  }
  Result<uint64_t> bytes = tensor_bytes(type, shape);
  if (!bytes.ok()) return std::move(bytes).error().with_context(where());
  if (*bytes != data.size()) {
    return make_error(ErrorCode::invalid_argument, "{}: {} {} needs {} bytes, got {}", where(),
                      to_string(type), fmt::join(shape, "x"), *bytes, data.size());
  }
  Impl::Tensor tensor;
  tensor.name = std::string(name);
  tensor.type = type;
  tensor.n_dims = static_cast<uint32_t>(shape.size());
  std::copy(shape.begin(), shape.end(), tensor.ne.begin());
  tensor.data = data;
  impl_->tensor_names.insert(tensor.name);
  impl_->tensors.push_back(std::move(tensor));
  return ok_status();
}

Status Writer::add_tensor(const TensorInfo& tensor, std::string_view new_name) {
  return add_tensor(new_name.empty() ? tensor.name : new_name, tensor.type, tensor.shape(), tensor.bytes());
}

Status Writer::copy_tensors(const File& file) {
  for (const TensorInfo& tensor : file.tensors()) OCCAM_TRY(add_tensor(tensor));
  return ok_status();
}

size_t Writer::metadata_count() const {
  return impl_->entries.size();
}
size_t Writer::tensor_count() const {
  return impl_->tensors.size();
}
uint64_t Writer::alignment() const {
  return impl_->alignment().value_or(kDefaultAlignment);
}
void Writer::set_version(uint32_t version) {
  impl_->version = version;
}
void Writer::set_pad_without_tensors(bool pad) {
  impl_->pad_without_tensors = pad;
}

Result<std::vector<uint8_t>> Writer::to_bytes() const {
  if (impl_->deferred) return *impl_->deferred;
  if (impl_->version != 2 && impl_->version != 3) {
    return make_error(ErrorCode::invalid_argument, "gguf writer: version {} (2 or 3 can be written)",
                      impl_->version);
  }
  OCCAM_ASSIGN_OR_RETURN(uint64_t alignment, impl_->alignment());
  auto pad = [alignment](uint64_t n) { return (alignment - n % alignment) % alignment; };

  uint64_t data_size = 0;
  for (const Impl::Tensor& t : impl_->tensors) data_size += t.data.size() + pad(t.data.size());

  std::vector<uint8_t> out;
  put<uint32_t>(out, kMagic);
  put<uint32_t>(out, impl_->version);
  put<uint64_t>(out, impl_->tensors.size());
  put<uint64_t>(out, impl_->entries.size());
  for (const Impl::Entry& e : impl_->entries) {
    put_string(out, e.key);
    put<uint32_t>(out, static_cast<uint32_t>(e.type));
    std::span<const uint8_t> payload = e.payload();
    out.insert(out.end(), payload.begin(), payload.end());
  }
  uint64_t offset = 0;
  for (const Impl::Tensor& t : impl_->tensors) {
    put_string(out, t.name);
    put<uint32_t>(out, t.n_dims);
    for (uint32_t d = 0; d < t.n_dims; ++d) put<uint64_t>(out, t.ne[d]);
    put<uint32_t>(out, static_cast<uint32_t>(t.type));
    put<uint64_t>(out, offset);
    offset += t.data.size() + pad(t.data.size());
  }
  if (!impl_->tensors.empty() || impl_->pad_without_tensors) out.resize(out.size() + pad(out.size()), 0);
  out.reserve(out.size() + data_size);
  for (const Impl::Tensor& t : impl_->tensors) {
    out.insert(out.end(), t.data.begin(), t.data.end());
    out.resize(out.size() + pad(t.data.size()), 0);
  }
  return out;
}

Status Writer::write(const std::filesystem::path& path) const {
  OCCAM_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, to_bytes());
  std::filesystem::path temp = path;
  temp += fmt::format(".tmp-{}", ::getpid());
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (f == nullptr) {
    return make_error(ErrorCode::io, "gguf writer: cannot create '{}': {}", temp.string(),
                      std::strerror(errno));
  }
  size_t written = std::fwrite(bytes.data(), 1, bytes.size(), f);
  int write_errno = errno;
  bool closed = std::fclose(f) == 0;
  if (written != bytes.size() || !closed) {
    std::remove(temp.c_str());
    return make_error(ErrorCode::io, "gguf writer: writing {} bytes to '{}' failed: {}", bytes.size(),
                      temp.string(), std::strerror(write_errno));
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::remove(temp.c_str());
    return make_error(ErrorCode::io, "gguf writer: cannot rename '{}' to '{}': {}", temp.string(),
                      path.string(), ec.message());
  }
  return ok_status();
}

}  // namespace occam::gguf
