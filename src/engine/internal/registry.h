// The architecture registry, keyed by general.architecture. Each src/engine/arch/<name>.cpp ends with
//   OCCAM_REGISTER_ARCH(llama, load_llama);
// where load_llama reads hyperparameters and checks every tensor (presence, shape, type).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "engine/internal/forward.h"
#include "engine/internal/hparams.h"
#include "gguf/gguf.h"

namespace occam::engine {

struct LoadedGraph {
  HParams hp;
  std::unique_ptr<Graph> graph;
};

using ArchLoader = Result<LoadedGraph> (*)(const gguf::File& file);

struct ArchRegistration {
  ArchRegistration(std::string_view name, ArchLoader loader);
};

// nullptr when no architecture of that name is registered.
ArchLoader find_arch(std::string_view name);
std::vector<std::string> registered_archs();

}  // namespace occam::engine

#define OCCAM_REGISTER_ARCH(name, loader) \
  static ::occam::engine::ArchRegistration occam_arch_##name(#name, loader)
