// phi3 (Phi-3 mini/medium 4k): fused attn_qkv and gate+up, RoPE NEOX, sliding window on every layer.
#include "engine/internal/decoder.h"

namespace occam::engine {

namespace {

Result<LoadedGraph> load_phi3(const gguf::File& file) {
  OCCAM_ASSIGN_OR_RETURN(HParams hp, read_hparams(file, "attention.layer_norm_rms_epsilon"));
  hp.rope_mode = RopeMode::neox;
  // The 128k variants scale RoPE per dimension (LongRoPE factors); not implemented.
  if (file.find_tensor("rope_factors_long.weight") != nullptr) {
    return make_error(ErrorCode::unsupported, "phi3: LongRoPE factors (rope_factors_long.weight) are not supported");
  }
  DecoderOptions options;
  options.fused_qkv = true;
  options.fused_gate_up = true;
  options.window_all_layers = true;
  return DecoderGraph::load(file, std::move(hp), options);
}

}  // namespace

OCCAM_REGISTER_ARCH(phi3, load_phi3);

}  // namespace occam::engine
