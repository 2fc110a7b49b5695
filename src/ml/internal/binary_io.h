// Little-endian byte writer/reader for the model file. The reader checks every length against the
// bytes left before it allocates, and its errors name the field and the byte offset.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/error.h"

namespace occam::ml::internal {

static_assert(std::endian::native == std::endian::little, "model files are little-endian; add byte swaps");

uint32_t crc32(std::string_view bytes);

class ByteWriter {
 public:
  template <typename T>
  void scalar(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  template <typename T>
  void array(std::span<const T> values) {
    out_.append(reinterpret_cast<const char*>(values.data()), values.size_bytes());
  }
  void string(std::string_view s) {
    scalar<uint32_t>(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void bytes(std::string_view s) { out_.append(s); }
  std::string& buffer() { return out_; }

 private:
  std::string out_;
};

class ByteReader {
 public:
  // `base_offset` is where `data` starts in the file, for messages.
  ByteReader(std::string_view data, size_t base_offset) : data_(data), base_(base_offset) {}

  size_t offset() const { return base_ + pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  template <typename T>
  Result<T> scalar(std::string_view field) {
    T value{};
    OCCAM_TRY(need(field, sizeof(T)));
    std::memcpy(&value, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  template <typename T>
  Status array(std::string_view field, uint64_t count, std::vector<T>& out) {
    if (count > remaining() / sizeof(T)) {
      return make_error(ErrorCode::invalid_argument,
                        "field '{}' at byte {}: {} elements of {} bytes do not fit in the {} bytes left (truncated "
                        "or corrupted)",
                        field, offset(), count, sizeof(T), remaining());
    }
    out.resize(count);
    std::memcpy(out.data(), data_.data() + pos_, count * sizeof(T));
    pos_ += count * sizeof(T);
    return ok_status();
  }

  Result<std::string_view> bytes(std::string_view field, uint64_t count) {
    if (count > remaining()) {
      return make_error(ErrorCode::invalid_argument, "field '{}' at byte {}: length {} exceeds the {} bytes left",
                        field, offset(), count, remaining());
    }
    std::string_view out = data_.substr(pos_, count);
    pos_ += count;
    return out;
  }

  Result<std::string> string(std::string_view field, uint32_t max_length) {
    OCCAM_ASSIGN_OR_RETURN(uint32_t length, scalar<uint32_t>(field));
    if (length > max_length) {
      return make_error(ErrorCode::invalid_argument, "field '{}' at byte {}: length {} above the limit {}", field,
                        offset() - 4, length, max_length);
    }
    OCCAM_ASSIGN_OR_RETURN(std::string_view view, bytes(field, length));
    return std::string(view);
  }

 private:
  Status need(std::string_view field, size_t n) const {
    if (n > remaining()) {
      return make_error(ErrorCode::invalid_argument, "field '{}' at byte {}: need {} bytes, {} left (truncated)",
                        field, offset(), n, remaining());
    }
    return ok_status();
  }

  std::string_view data_;
  size_t base_;
  size_t pos_ = 0;
};

}  // namespace occam::ml::internal
