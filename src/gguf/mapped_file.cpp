// mmap of a model file: read-only, private, closed descriptor once mapped.
#include "gguf/mapped_file.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace occam::gguf::detail {

namespace {

// Closes the descriptor on every path out of open().
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<MappedFile> MappedFile::open(const std::filesystem::path& path, bool populate) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return make_error(err == ENOENT ? ErrorCode::not_found : ErrorCode::io, "cannot open '{}': {}",
                      path.string(), std::strerror(err));
  }
  FdGuard guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return make_error(ErrorCode::io, "cannot stat '{}': {}", path.string(), std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorCode::invalid_argument, "'{}' is not a regular file", path.string());
  }
  if (st.st_size == 0) {
    return make_error(ErrorCode::invalid_argument, "'{}' is empty (0 bytes)", path.string());
  }
  auto size = static_cast<size_t>(st.st_size);
  int flags = MAP_PRIVATE | (populate ? MAP_POPULATE : 0);
  void* data = ::mmap(nullptr, size, PROT_READ, flags, fd, 0);
  if (data == MAP_FAILED) {
    return make_error(ErrorCode::io, "cannot mmap '{}' ({} bytes): {}", path.string(), size,
                      std::strerror(errno));
  }
  return MappedFile(static_cast<const uint8_t*>(data), size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  release();
}

void MappedFile::release() {
  if (data_ != nullptr) {
    ::munmap(const_cast<uint8_t*>(data_), size_);
    data_ = nullptr;
    size_ = 0;
  }
}

}  // namespace occam::gguf::detail
