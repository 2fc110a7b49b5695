// llama (also Mistral, TinyLlama, SmolLM, Llama 3): RMSNorm, RoPE normal mode, SwiGLU, GQA.
#include "engine/internal/decoder.h"

namespace occam::engine {

namespace {

Result<LoadedGraph> load_llama(const gguf::File& file) {
  OCCAM_ASSIGN_OR_RETURN(HParams hp, read_hparams(file, "attention.layer_norm_rms_epsilon"));
  hp.rope_mode = RopeMode::normal;
  return DecoderGraph::load(file, std::move(hp), DecoderOptions{});
}

}  // namespace

OCCAM_REGISTER_ARCH(llama, load_llama);

}  // namespace occam::engine
