#include "core/file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace occam {

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::io, "cannot read '{}': {}", path.string(), std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error(ErrorCode::io, "error while reading '{}'", path.string());
  return std::move(text).str();
}

}  // namespace occam
