// qwen2 (Qwen2, Qwen2.5): llama with q/k/v biases and RoPE NEOX mode; usually tied embeddings.
#include "engine/internal/decoder.h"

namespace occam::engine {

namespace {

Result<LoadedGraph> load_qwen2(const gguf::File& file) {
  OCCAM_ASSIGN_OR_RETURN(HParams hp, read_hparams(file, "attention.layer_norm_rms_epsilon"));
  hp.rope_mode = RopeMode::neox;
  DecoderOptions options;
  options.qkv_bias = true;
  return DecoderGraph::load(file, std::move(hp), options);
}

}  // namespace

OCCAM_REGISTER_ARCH(qwen2, load_qwen2);

}  // namespace occam::engine
