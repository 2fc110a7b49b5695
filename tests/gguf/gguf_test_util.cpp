#include "gguf_test_util.h"

#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

#include "core/shared_data.h"

namespace occam::gguf::testing {

std::vector<std::filesystem::path> shared_ggufs(std::string_view relative_dir) {
  std::vector<std::filesystem::path> out;
  auto dir = occam::shared_path(relative_dir);
  if (!dir.ok()) {
    ADD_FAILURE() << dir.error().message();
    return out;
  }
  for (const auto& entry : std::filesystem::directory_iterator(*dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".gguf") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(std::filesystem::file_size(path));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in) ADD_FAILURE() << "cannot read " << path;
  return bytes;
}

}  // namespace occam::gguf::testing
