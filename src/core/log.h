// Logging set-up. Every component logs through spdlog's default logger, which writes to stderr
// (stdout belongs to command output: ids, generated text, JSON).
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace occam {

// Level names as spdlog spells them: trace, debug, info, warn, error, critical, off.
// The OCCAM_LOG_LEVEL environment variable overrides `default_level`.
void init_logging(std::string_view default_level = "warn");

}  // namespace occam
