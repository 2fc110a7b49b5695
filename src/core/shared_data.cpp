#include "core/shared_data.h"

#include <cstdlib>
#include <system_error>
#include <vector>

namespace occam {

namespace fs = std::filesystem;

Result<fs::path> shared_dir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("OCCAM_SHARED"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  } else {
    candidates.emplace_back("../shared");
#ifdef OCCAM_SOURCE_DIR
    candidates.emplace_back(fs::path(OCCAM_SOURCE_DIR) / ".." / "shared");
#endif
  }
  std::string tried;
  for (const fs::path& candidate : candidates) {
    std::error_code ec;
    if (fs::is_directory(candidate, ec)) {
      return fs::weakly_canonical(candidate, ec);
    }
    tried += tried.empty() ? "" : ", ";
    tried += "'" + candidate.string() + "'";
  }
  return make_error(ErrorCode::not_found, "shared data folder not found (looked at {}; set OCCAM_SHARED)",
                    tried);
}

Result<fs::path> shared_path(std::string_view relative) {
  OCCAM_ASSIGN_OR_RETURN(fs::path dir, shared_dir());
  fs::path path = dir / relative;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return make_error(ErrorCode::not_found, "shared data '{}' not found in '{}'", relative, dir.string());
  }
  return path;
}

}  // namespace occam
