#include "test_support.h"

#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "core/shared_data.h"

namespace occam::testing {

namespace fs = std::filesystem;

fs::path shared_file(std::string_view relative) {
  auto path = occam::shared_path(relative);
  if (!path.ok()) {
    ADD_FAILURE() << path.error().message();
    return {};
  }
  return *path;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("occam-test-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace occam::testing
