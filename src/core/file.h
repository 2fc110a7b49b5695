// Reading a whole file, with the one error message every caller wants.
#pragma once

#include <filesystem>
#include <string>

#include "core/error.h"

namespace occam {

// The file's bytes; an io error "cannot read '<path>': <reason>" otherwise.
Result<std::string> read_file(const std::filesystem::path& path);

}  // namespace occam
