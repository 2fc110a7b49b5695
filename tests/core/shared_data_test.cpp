#include "core/shared_data.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace occam {
namespace {

TEST(SharedData, FindsTheSharedFolder) {
  auto dir = shared_dir();
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  EXPECT_TRUE(std::filesystem::exists(*dir / "models"));
}

TEST(SharedData, MissingFileIsNotFound) {
  auto path = shared_path("no/such/file.gguf");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().code(), ErrorCode::not_found);
  EXPECT_NE(path.error().message().find("no/such/file.gguf"), std::string::npos);
}

TEST(SharedData, EnvironmentOverrides) {
  const char* saved = std::getenv("OCCAM_SHARED");
  std::string restore = saved ? saved : "";
  setenv("OCCAM_SHARED", "/nonexistent/occam-shared", 1);
  auto dir = shared_dir();
  EXPECT_FALSE(dir.ok());
  if (saved) setenv("OCCAM_SHARED", restore.c_str(), 1); else unsetenv("OCCAM_SHARED");
}

}  // namespace
}  // namespace occam
