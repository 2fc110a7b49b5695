// Helpers shared by every component's tests.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace occam::testing {

// Path of a file under the shared data folder; fails the current test (fatal) when absent.
std::filesystem::path shared_file(std::string_view relative);

// Reads a whole file as bytes.
std::string read_file(const std::filesystem::path& path);

// A fresh, empty temporary directory, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace occam::testing
