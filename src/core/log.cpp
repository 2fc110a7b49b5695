#include "core/log.h"

#include <cstdlib>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace occam {

void init_logging(std::string_view default_level) {
  auto logger = spdlog::stderr_color_mt("occam");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  const char* env = std::getenv("OCCAM_LOG_LEVEL");
  std::string level = env != nullptr ? env : std::string(default_level);
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace occam
