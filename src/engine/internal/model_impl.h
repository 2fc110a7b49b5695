// What a loaded Model holds: the mapping, the hyperparameters and the architecture's graph.
#pragma once

#include <memory>
#include <vector>

#include "engine/engine.h"
#include "engine/internal/forward.h"
#include "engine/internal/hparams.h"
#include "gguf/gguf.h"

namespace occam::engine {

class ModelImpl {
 public:
  explicit ModelImpl(gguf::File f) : file(std::move(f)) {}
  gguf::File file;
  HParams hp;
  std::unique_ptr<Graph> graph;
  ModelInfo info;
  std::vector<int32_t> end_tokens;  // EOS, EOT: generation stops on any of them
};

}  // namespace occam::engine
