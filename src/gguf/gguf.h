// GGUF model files (v2 and v3): a validating, zero-copy mmap reader and a writer.
//
// Reading: File::open(path) maps the file, parses the header, every metadata value and the tensor
// table, and validates all of it (bounds, overflow, alignment, types, duplicates, overlaps) before
// returning; a File that exists is safe to use. Strings are string_views and tensors are pointers into
// the mapping, so the File must outlive every view taken from it. Arrays give O(1) access by index.
// A File is immutable once open: any number of threads may read it at once.
//
//   OCCAM_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(path));
//   OCCAM_ASSIGN_OR_RETURN(uint32_t n_layer, file.get_integer<uint32_t>("{arch}.block_count"));
//   OCCAM_ASSIGN_OR_RETURN(gguf::ArrayView vocab, file.get_array("tokenizer.ggml.tokens"));
//   std::string_view piece = vocab.string(42);
//   const gguf::TensorInfo* wq = file.find_tensor("blk.0.attn_q.weight");
//
// Writing: Writer collects metadata (in insertion order) and tensors, then lays them out exactly as
// llama.cpp does (data section and every tensor padded with zeros to general.alignment).
//
//   gguf::Writer writer;
//   OCCAM_TRY(writer.copy_metadata(file));          // every key, in the file's order
//   writer.set("general.file_type", uint32_t{15});  // replaces in place, or appends
//   OCCAM_TRY(writer.add_tensor("output.weight", gguf::TensorType::Q6_K, {64, 512}, bytes));
//   OCCAM_TRY(writer.write(out_path));
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.h"

namespace occam::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
inline constexpr uint32_t kDefaultAlignment = 32;
inline constexpr uint32_t kMaxDims = 4;
inline constexpr uint32_t kDefaultMaxArrayDepth = 8;  // arrays of arrays nested deeper are refused

// ---------------------------------------------------------------------------------------------
// Types

// Metadata value types, numbered as on disk.
enum class ValueType : uint32_t {
  u8 = 0,
  i8 = 1,
  u16 = 2,
  i16 = 3,
  u32 = 4,
  i32 = 5,
  f32 = 6,
  boolean = 7,
  string = 8,
  array = 9,
  u64 = 10,
  i64 = 11,
  f64 = 12,
};

// "u8", "i32", "f32", "bool", "string", "array", ...; "type#?" for an id that is not a type.
std::string_view to_string(ValueType type);
bool is_valid(ValueType type);
// Bytes of one value of a fixed-size type (0 for string and array, which are variable-sized).
uint32_t fixed_size(ValueType type);

// ggml tensor types, numbered as in llama.cpp at commit c392e50 (ids 4, 5 and 31–33 were removed).
enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
};

struct TensorTypeTraits {
  TensorType type;
  std::string_view name;  // "F32", "Q4_K", ... as llama.cpp prints it
  uint32_t block_size;    // elements per block (1 for plain types)
  uint32_t bytes_per_block;
  bool quantized;
};

// Traits of a known type id, or nullptr.
const TensorTypeTraits* find_tensor_type(uint32_t id);
// Traits of a known type id, or an unsupported error naming the id.
Result<TensorTypeTraits> tensor_type_traits(uint32_t id);
// Every known type, by increasing id.
std::span<const TensorTypeTraits> all_tensor_types();
// "Q4_K" for TensorType::Q4_K; "type#?" for an unknown id.
std::string_view to_string(TensorType type);
// TensorType named "Q4_K" (case-sensitive, as llama.cpp prints it), or a not_found error.
Result<TensorType> tensor_type_from_name(std::string_view name);
// Bytes of a row of n_elements (must be a multiple of the block size), with overflow checks.
Result<uint64_t> row_bytes(TensorType type, uint64_t n_elements);
// Bytes of a tensor of this shape (ggml order: shape[0] is the row length), with overflow checks.
Result<uint64_t> tensor_bytes(TensorType type, std::span<const uint64_t> shape);

// llama.cpp's name for a `general.file_type` value (llama_ftype): 15 → "MOSTLY_Q4_K_M",
// 0 → "ALL_F32", 1024 → "GUESSED"; "unknown(<n>)" otherwise.
std::string file_type_name(uint32_t file_type);

// The ValueType that stores a C++ type: value_type_of<uint32_t> == ValueType::u32. std::string_view
// and std::string map to string.
template <typename T>
struct ValueTypeOf;
template <>
struct ValueTypeOf<uint8_t> {
  static constexpr ValueType value = ValueType::u8;
};
template <>
struct ValueTypeOf<int8_t> {
  static constexpr ValueType value = ValueType::i8;
};
template <>
struct ValueTypeOf<uint16_t> {
  static constexpr ValueType value = ValueType::u16;
};
template <>
struct ValueTypeOf<int16_t> {
  static constexpr ValueType value = ValueType::i16;
};
template <>
struct ValueTypeOf<uint32_t> {
  static constexpr ValueType value = ValueType::u32;
};
template <>
struct ValueTypeOf<int32_t> {
  static constexpr ValueType value = ValueType::i32;
};
template <>
struct ValueTypeOf<float> {
  static constexpr ValueType value = ValueType::f32;
};
template <>
struct ValueTypeOf<bool> {
  static constexpr ValueType value = ValueType::boolean;
};
template <>
struct ValueTypeOf<uint64_t> {
  static constexpr ValueType value = ValueType::u64;
};
template <>
struct ValueTypeOf<int64_t> {
  static constexpr ValueType value = ValueType::i64;
};
template <>
struct ValueTypeOf<double> {
  static constexpr ValueType value = ValueType::f64;
};
template <>
struct ValueTypeOf<std::string_view> {
  static constexpr ValueType value = ValueType::string;
};
template <>
struct ValueTypeOf<std::string> {
  static constexpr ValueType value = ValueType::string;
};
template <typename T>
inline constexpr ValueType value_type_of = ValueTypeOf<T>::value;

// A fixed-size metadata type read by memcpy (all numbers and bool).
template <typename T>
concept Primitive = std::is_arithmetic_v<T> && requires {
  ValueTypeOf<T>::value;
};

namespace detail {
struct Index;  // the parsed file: mapping, metadata records, array offset tables, tensors
}  // namespace detail

class ArrayView;

// ---------------------------------------------------------------------------------------------
// Reading metadata: views into the mapping, valid while the File lives.

// One metadata value (a top-level value or an array element).
class Value {
 public:
  Value() = default;
  ValueType type() const { return type_; }
  // Byte offset in the file of the value's payload (after its type tag).
  uint64_t offset() const { return offset_; }

  // The value as exactly this type (T: a Primitive, std::string_view, std::string or ArrayView);
  // an invalid_argument error naming the expected and the actual type otherwise.
  template <typename T>
  Result<T> as() const;
  // Any integer value (u8..i64; bool is not an integer) whose value fits in T; an error naming the
  // value and T when it does not fit or is not an integer.
  template <std::integral T>
  Result<T> as_integer() const;
  // f32 or f64, as double.
  Result<double> as_float() const;
  Result<std::string_view> as_string() const;
  Result<ArrayView> as_array() const;
  // Calls f with the value as its own C++ type: an integer type, float, double, bool,
  // std::string_view or ArrayView. The one switch over GGUF types that readers of any value share.
  template <typename F>
  decltype(auto) visit(F&& f) const;

  // The encoded payload (no type tag): what a writer copies to reproduce the value byte for byte.
  std::span<const uint8_t> raw() const;

  // A short human rendering: numbers, "quoted" strings, [a, b, ... (n)] arrays (first few elements).
  std::string to_display(size_t max_elements = 8) const;

 private:
  friend struct detail::Index;
  friend class ArrayView;
  Value(const detail::Index* index, ValueType type, uint64_t offset, uint32_t node)
      : index_(index), type_(type), offset_(offset), node_(node) {}
  Result<void> check_type(ValueType expected) const;
  template <Primitive T>
  T load() const {
    T out;
    std::memcpy(&out, data(), sizeof(T));
    return out;
  }
  const uint8_t* data() const;
  std::string_view string_unchecked() const;

  const detail::Index* index_ = nullptr;
  ValueType type_ = ValueType::u8;
  uint64_t offset_ = 0;  // payload: the number's bytes, a string's u64 length, an array's element type
  uint32_t node_ = 0;    // arrays: their record in the Index
};

// An array value: element type, count and O(1) access to element i.
class ArrayView {
 public:
  ArrayView() = default;
  ValueType element_type() const;
  uint64_t size() const;
  bool empty() const { return size() == 0; }
  // Element i as a Value (i < size(), checked by assert; use at() for a checked access).
  Value operator[](uint64_t i) const;
  Result<Value> at(uint64_t i) const;

  // Element i of a primitive array of exactly type T (checked: type and index).
  template <Primitive T>
  Result<T> get(uint64_t i) const;
  // Element i of a string array (unchecked index for speed: i < size() is the caller's promise,
  // asserted in debug builds); returns "" for a non-string array.
  std::string_view string(uint64_t i) const;

  // A copy of every element; T must match the element type exactly (std::string_view or
  // std::string for strings). Primitive arrays are copied with one memcpy.
  template <typename T>
  Result<std::vector<T>> to_vector() const;

  // Where the array's payload starts in the file (its element type tag).
  uint64_t offset() const;

 private:
  friend class Value;
  friend struct detail::Index;
  ArrayView(const detail::Index* index, uint32_t node) : index_(index), node_(node) {}
  const uint8_t* element_data(uint64_t i) const;  // primitives only
  Result<void> check_element_type(ValueType expected) const;

  const detail::Index* index_ = nullptr;
  uint32_t node_ = 0;
};

// One metadata entry, in file order.
struct KeyValue {
  std::string_view key;
  Value value;
  uint64_t offset = 0;  // where the entry (its key length) starts in the file
};

// ---------------------------------------------------------------------------------------------
// Tensors

struct TensorInfo {
  std::string_view name;
  TensorType type = TensorType::F32;
  uint32_t n_dims = 0;
  std::array<uint64_t, kMaxDims> ne{1, 1, 1, 1};  // ggml order: ne[0] is the row length; unused = 1
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  uint64_t offset = 0;       // relative to the data section, as stored
  uint64_t file_offset = 0;  // absolute: data_offset + offset
  uint64_t info_offset = 0;  // where this tensor's info record starts in the file
  // Into the mapping: aligned to the file's alignment for File::open (page-aligned mapping); for
  // open_bytes, aligned as far as the caller's buffer is.
  const uint8_t* data = nullptr;

  std::span<const uint8_t> bytes() const { return {data, static_cast<size_t>(n_bytes)}; }
  std::span<const uint64_t> shape() const { return {ne.data(), n_dims}; }
  uint64_t row_length() const { return ne[0]; }
  uint64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
  uint64_t row_bytes() const { return n_rows() == 0 ? 0 : n_bytes / n_rows(); }
  // "[64, 512]"
  std::string shape_string() const;
};

// ---------------------------------------------------------------------------------------------
// File

struct OpenOptions {
  uint32_t max_array_depth = kDefaultMaxArrayDepth;  // nesting of arrays of arrays
  bool populate = false;  // pre-fault the whole mapping (MAP_POPULATE) instead of paging lazily
};

class File {
 public:
  // Maps and validates a file. Errors: io (cannot open/map), invalid_argument (malformed, with the
  // field and byte offset), unsupported (v1, unknown tensor type).
  static Result<File> open(const std::filesystem::path& path, const OpenOptions& options = {});
  // Validates bytes the caller keeps alive for the File's lifetime (zero-copy; for tests, fuzzing,
  // files embedded in memory). `name` appears in error messages.
  static Result<File> open_bytes(std::span<const uint8_t> bytes, std::string name = "<memory>",
                                 const OpenOptions& options = {});
  // Same, taking ownership of the bytes.
  static Result<File> open_owned(std::vector<uint8_t> bytes, std::string name = "<memory>",
                                 const OpenOptions& options = {});

  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

  const std::string& name() const;  // the path, or the name given to open_bytes
  uint32_t version() const;
  uint64_t size() const;                   // bytes in the file
  uint64_t alignment() const;              // general.alignment, default 32
  uint64_t data_offset() const;            // where the tensor data section starts (aligned)
  std::span<const uint8_t> bytes() const;  // the whole file

  // Metadata in file order, and lookup by key. Keys may contain "{arch}", replaced by the value of
  // general.architecture ("{arch}.context_length" → "llama.context_length").
  std::span<const KeyValue> metadata() const;
  const KeyValue* find(std::string_view key) const;  // nullptr when absent
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // The value at key, exactly of type T; not_found naming the key, or invalid_argument naming the
  // key, the expected and the actual type.
  template <typename T>
  Result<T> get(std::string_view key) const;
  // As get<T>, but `fallback` when the key is absent (a present key of another type is still an error).
  template <typename T>
  Result<T> get_or(std::string_view key, T fallback) const;
  // Any integer type whose value fits T (llama.cpp files vary between u32, i32 and u64).
  template <std::integral T>
  Result<T> get_integer(std::string_view key) const;
  template <std::integral T>
  Result<T> get_integer_or(std::string_view key, T fallback) const;
  // f32 or f64 as double.
  Result<double> get_float(std::string_view key) const;
  Result<double> get_float_or(std::string_view key, double fallback) const;
  Result<std::string_view> get_string(std::string_view key) const;
  Result<ArrayView> get_array(std::string_view key) const;

  // general.architecture ("" when absent) and "<arch>.<suffix>".
  std::string_view architecture() const;
  std::string arch_key(std::string_view suffix) const;
  // `key` with "{arch}" replaced by the architecture.
  std::string resolve_key(std::string_view key) const;

  // Tensors in file order, and lookup by name (hash map).
  std::span<const TensorInfo> tensors() const;
  const TensorInfo* find_tensor(std::string_view name) const;     // nullptr when absent
  Result<const TensorInfo*> tensor(std::string_view name) const;  // not_found naming the tensor
  uint64_t parameter_count() const;                               // sum of every tensor's element count

 private:
  explicit File(std::unique_ptr<detail::Index> index);
  Result<Value> lookup(std::string_view key) const;
  std::unique_ptr<detail::Index> index_;
};

// ---------------------------------------------------------------------------------------------
// Writing

// An owned metadata value for the Writer: any GGUF type, arrays nested to any depth.
class MetaValue {
 public:
  struct Array {
    ValueType element_type = ValueType::u8;
    std::vector<MetaValue> elements;
  };

  MetaValue() : data_(uint8_t{0}) {}
  MetaValue(uint8_t v) : data_(v) {}                 // NOLINT: implicit, so set("k", uint32_t{3}) reads well
  MetaValue(int8_t v) : data_(v) {}                  // NOLINT
  MetaValue(uint16_t v) : data_(v) {}                // NOLINT
  MetaValue(int16_t v) : data_(v) {}                 // NOLINT
  MetaValue(uint32_t v) : data_(v) {}                // NOLINT
  MetaValue(int32_t v) : data_(v) {}                 // NOLINT
  MetaValue(float v) : data_(v) {}                   // NOLINT
  MetaValue(bool v) : data_(v) {}                    // NOLINT
  MetaValue(uint64_t v) : data_(v) {}                // NOLINT
  MetaValue(int64_t v) : data_(v) {}                 // NOLINT
  MetaValue(double v) : data_(v) {}                  // NOLINT
  MetaValue(std::string v) : data_(std::move(v)) {}  // NOLINT
  MetaValue(std::string_view v) : data_(std::string(v)) {}  // NOLINT
  MetaValue(const char* v) : data_(std::string(v)) {}       // NOLINT
  MetaValue(Array v) : data_(std::move(v)) {}               // NOLINT

  // An array of one element type; every element must be of that type (checked when written).
  static MetaValue array(ValueType element_type, std::vector<MetaValue> elements = {});
  // An array of primitives or strings from a span: MetaValue::array_of<int32_t>(ids).
  template <typename T>
  static MetaValue array_of(std::span<const T> values) {
    Array out{value_type_of<T>, {}};
    out.elements.reserve(values.size());
    for (const T& v : values) out.elements.emplace_back(v);
    return MetaValue(std::move(out));
  }
  template <typename T>
  static MetaValue array_of(std::initializer_list<T> values) {
    return array_of<T>(std::span<const T>(values.begin(), values.size()));
  }
  // A deep copy of a value read from a File.
  static MetaValue from(const Value& value);

  ValueType type() const;
  const Array* as_array() const { return std::get_if<Array>(&data_); }
  const std::string* as_string() const { return std::get_if<std::string>(&data_); }
  template <Primitive T>
  const T* as() const {
    return std::get_if<T>(&data_);
  }

 private:
  std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool, std::string, Array,
               uint64_t, int64_t, double>
      data_;
};

class Writer {
 public:
  Writer();
  Writer(Writer&&) noexcept;
  Writer& operator=(Writer&&) noexcept;
  ~Writer();

  // Sets a key: replaces the value in place if the key exists (keeping its position), else appends.
  // Setting general.alignment (u32, a non-zero power of two) changes the layout's alignment.
  // A malformed value (an array element of the wrong type) is reported by to_bytes()/write().
  Writer& set(std::string_view key, MetaValue value);
  // Copies the encoded bytes of a value read from a File (fastest way to keep it byte-identical).
  Writer& set(std::string_view key, const Value& value);
  bool remove(std::string_view key);  // false when absent
  bool contains(std::string_view key) const;
  // Every metadata entry of `file`, in its order (existing keys are replaced in place). The File
  // must outlive the Writer's write()/to_bytes() calls (values are copied lazily from the mapping).
  Status copy_metadata(const File& file);

  // Adds a tensor whose bytes the caller keeps alive until write()/to_bytes(). Checks the name is
  // new, 1–4 non-zero dims, the row length is a multiple of the block size and data.size() is the
  // tensor's exact byte size.
  Status add_tensor(std::string_view name, TensorType type, std::span<const uint64_t> shape,
                    std::span<const uint8_t> data);
  Status add_tensor(std::string_view name, TensorType type, std::initializer_list<uint64_t> shape,
                    std::span<const uint8_t> data) {
    return add_tensor(name, type, std::span<const uint64_t>(shape.begin(), shape.size()), data);
  }
  // Same, the Writer owning the bytes.
  Status add_tensor_owned(std::string_view name, TensorType type, std::span<const uint64_t> shape,
                          std::vector<uint8_t> data);
  // A tensor of an opened File (zero-copy; the File must outlive the write), optionally renamed.
  Status add_tensor(const TensorInfo& tensor, std::string_view new_name = {});
  // Every tensor of `file`, in its order.
  Status copy_tensors(const File& file);

  size_t metadata_count() const;
  size_t tensor_count() const;
  uint64_t alignment() const;

  // The whole file. version 3 unless set_version(2).
  Result<std::vector<uint8_t>> to_bytes() const;
  // Writes to `path` (via a temporary file renamed into place).
  Status write(const std::filesystem::path& path) const;
  void set_version(uint32_t version);  // 2 or 3
  // Whether a file without tensors still ends with zero padding to the alignment: true as in
  // llama.cpp's gguf_write_to_buf (the default); false as in gguf-py's vocab-only files.
  void set_pad_without_tensors(bool pad);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------
// Template definitions

template <typename T>
Result<T> Value::as() const {
  if constexpr (std::is_same_v<T, ArrayView>) {
    return as_array();
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    return as_string();
  } else if constexpr (std::is_same_v<T, std::string>) {
    OCCAM_ASSIGN_OR_RETURN(std::string_view s, as_string());
    return std::string(s);
  } else {
    static_assert(Primitive<T>, "Value::as<T>: T must be a GGUF number, bool, string or ArrayView");
    OCCAM_TRY(check_type(value_type_of<T>));
    return load<T>();
  }
}

namespace detail {
// Error for an integer that does not fit the requested type.
Error integer_range_error(std::string_view type_name, std::string_view value);
template <typename T>
constexpr std::string_view integer_type_name() {
  if constexpr (std::is_same_v<T, bool>)
    return "bool";
  else if constexpr (std::is_signed_v<T>) {
    if constexpr (sizeof(T) == 1)
      return "i8";
    else if constexpr (sizeof(T) == 2)
      return "i16";
    else if constexpr (sizeof(T) == 4)
      return "i32";
    else
      return "i64";
  } else {
    if constexpr (sizeof(T) == 1)
      return "u8";
    else if constexpr (sizeof(T) == 2)
      return "u16";
    else if constexpr (sizeof(T) == 4)
      return "u32";
    else
      return "u64";
  }
}
}  // namespace detail

template <typename F>
decltype(auto) Value::visit(F&& f) const {
  switch (type_) {
    case ValueType::u8:
      return f(load<uint8_t>());
    case ValueType::i8:
      return f(load<int8_t>());
    case ValueType::u16:
      return f(load<uint16_t>());
    case ValueType::i16:
      return f(load<int16_t>());
    case ValueType::u32:
      return f(load<uint32_t>());
    case ValueType::i32:
      return f(load<int32_t>());
    case ValueType::u64:
      return f(load<uint64_t>());
    case ValueType::i64:
      return f(load<int64_t>());
    case ValueType::f32:
      return f(load<float>());
    case ValueType::f64:
      return f(load<double>());
    case ValueType::boolean:
      return f(load<uint8_t>() != 0);
    case ValueType::string:
      return f(string_unchecked());
    case ValueType::array:
      break;
  }
  return f(ArrayView(index_, node_));  // the reader admits no other type
}

template <std::integral T>
Result<T> Value::as_integer() const {
  static_assert(!std::is_same_v<T, bool>, "as_integer: use as<bool>()");
  constexpr std::string_view name = detail::integer_type_name<T>();
  return visit([&](auto v) -> Result<T> {
    using V = decltype(v);
    if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
      if (!std::in_range<T>(v)) return detail::integer_range_error(name, std::to_string(v));
      return static_cast<T>(v);
    } else {
      return make_error(ErrorCode::invalid_argument,
                        "expected an integer ({} or any integer type that fits), found {}", name,
                        to_string(type_));
    }
  });
}

template <Primitive T>
Result<T> ArrayView::get(uint64_t i) const {
  OCCAM_TRY(check_element_type(value_type_of<T>));
  if (i >= size()) {
    return make_error(ErrorCode::invalid_argument, "array index {} out of range (size {})", i, size());
  }
  T out;
  std::memcpy(&out, element_data(i), sizeof(T));
  return out;
}

template <typename T>
Result<std::vector<T>> ArrayView::to_vector() const {
  if constexpr (std::is_same_v<T, std::string_view> || std::is_same_v<T, std::string>) {
    OCCAM_TRY(check_element_type(ValueType::string));
    std::vector<T> out;
    out.reserve(size());
    for (uint64_t i = 0; i < size(); ++i) out.emplace_back(string(i));
    return out;
  } else {
    static_assert(Primitive<T>, "ArrayView::to_vector<T>: T must be a GGUF number, bool or string");
    OCCAM_TRY(check_element_type(value_type_of<T>));
    std::vector<T> out(size());
    if constexpr (std::is_same_v<T, bool>) {  // std::vector<bool> is packed: no memcpy
      for (uint64_t i = 0; i < out.size(); ++i) out[i] = element_data(i)[0] != 0;
    } else if (!out.empty()) {
      std::memcpy(out.data(), element_data(0), out.size() * sizeof(T));
    }
    return out;
  }
}

template <typename T>
Result<T> File::get(std::string_view key) const {
  OCCAM_ASSIGN_OR_RETURN(Value value, lookup(key));
  Result<T> out = value.template as<T>();
  if (!out.ok()) return std::move(out).error().with_context(fmt::format("gguf: key '{}'", resolve_key(key)));
  return out;
}

template <typename T>
Result<T> File::get_or(std::string_view key, T fallback) const {
  if (find(key) == nullptr) return fallback;
  return get<T>(key);
}

template <std::integral T>
Result<T> File::get_integer(std::string_view key) const {
  OCCAM_ASSIGN_OR_RETURN(Value value, lookup(key));
  Result<T> out = value.template as_integer<T>();
  if (!out.ok()) return std::move(out).error().with_context(fmt::format("gguf: key '{}'", resolve_key(key)));
  return out;
}

template <std::integral T>
Result<T> File::get_integer_or(std::string_view key, T fallback) const {
  if (find(key) == nullptr) return fallback;
  return get_integer<T>(key);
}

}  // namespace occam::gguf
