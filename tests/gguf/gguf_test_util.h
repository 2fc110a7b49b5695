// Helpers for the gguf tests: raw byte builders for hand-made (malformed) files and shared-model lists.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf.h"

namespace occam::gguf::testing {

// Appends little-endian fields, for files the Writer would refuse to make.
class RawBuilder {
 public:
  RawBuilder& u8(uint8_t v) { return put(v); }
  RawBuilder& u32(uint32_t v) { return put(v); }
  RawBuilder& u64(uint64_t v) { return put(v); }
  RawBuilder& str(std::string_view s) {
    u64(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  // "GGUF", version, tensor count, metadata count.
  RawBuilder& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return u32(kMagic).u32(version).u64(n_tensors).u64(n_kv);
  }
  // A metadata entry holding a u32.
  RawBuilder& kv_u32(std::string_view key, uint32_t v) {
    return str(key).u32(static_cast<uint32_t>(ValueType::u32)).u32(v);
  }
  RawBuilder& tensor_info(std::string_view name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) u64(d);
    return u32(type).u64(offset);
  }
  RawBuilder& pad_to(uint64_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back(0);
    return *this;
  }
  RawBuilder& zeros(size_t n) {
    bytes_.resize(bytes_.size() + n, 0);
    return *this;
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  template <typename T>
  RawBuilder& put(T v) {
    size_t at = bytes_.size();
    bytes_.resize(at + sizeof v);
    std::memcpy(bytes_.data() + at, &v, sizeof v);
    return *this;
  }
  std::vector<uint8_t> bytes_;
};

// Every .gguf under shared/<relative_dir> (non-recursive), sorted.
std::vector<std::filesystem::path> shared_ggufs(std::string_view relative_dir);

std::vector<uint8_t> read_bytes(const std::filesystem::path& path);

}  // namespace occam::gguf::testing
