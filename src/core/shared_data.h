// Locating the read-only shared data (models, references, datasets): $OCCAM_SHARED, else ../shared
// relative to the working directory, else ../shared beside the source tree.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/error.h"

namespace occam {

// The shared data folder, or a not_found error that says where it looked.
Result<std::filesystem::path> shared_dir();

// shared_dir() / relative, checked to exist.
Result<std::filesystem::path> shared_path(std::string_view relative);

}  // namespace occam
