// A read-only memory mapping of a whole file (private to gguf).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

#include "core/error.h"

namespace occam::gguf::detail {

class MappedFile {
 public:
  // Maps `path` read-only. populate: pre-fault every page (MAP_POPULATE).
  static Result<MappedFile> open(const std::filesystem::path& path, bool populate);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const uint8_t> bytes() const { return {data_, size_}; }

 private:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  void release();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace occam::gguf::detail
