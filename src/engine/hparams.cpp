#include "engine/internal/hparams.h"

#include <cmath>

namespace occam::engine {

namespace {

Result<uint32_t> required_u32(const gguf::File& file, std::string_view suffix) {
  return file.get_integer<uint32_t>(file.arch_key(suffix));
}

}  // namespace

Result<HParams> read_hparams(const gguf::File& file, std::string_view norm_eps_key) {
  HParams hp;
  hp.arch = std::string(file.architecture());
  OCCAM_ASSIGN_OR_RETURN(hp.n_layer, required_u32(file, "block_count"));
  OCCAM_ASSIGN_OR_RETURN(hp.n_embd, required_u32(file, "embedding_length"));
  OCCAM_ASSIGN_OR_RETURN(hp.n_ff, required_u32(file, "feed_forward_length"));
  OCCAM_ASSIGN_OR_RETURN(hp.n_head, required_u32(file, "attention.head_count"));
  OCCAM_ASSIGN_OR_RETURN(hp.n_head_kv, file.get_integer_or<uint32_t>(file.arch_key("attention.head_count_kv"),
                                                                    hp.n_head));
  OCCAM_ASSIGN_OR_RETURN(hp.n_ctx_train, file.get_integer_or<uint32_t>(file.arch_key("context_length"), 2048));
  if (hp.n_layer == 0 || hp.n_embd == 0 || hp.n_ff == 0 || hp.n_head == 0 || hp.n_head_kv == 0 ||
      hp.n_ctx_train == 0) {
    return make_error(ErrorCode::invalid_argument, "{}: block_count, embedding_length, feed_forward_length, "
                      "head counts and context_length must be positive", hp.arch);
  }
  if (hp.n_head % hp.n_head_kv != 0) {
    return make_error(ErrorCode::invalid_argument, "{}: head_count {} is not a multiple of head_count_kv {}",
                      hp.arch, hp.n_head, hp.n_head_kv);
  }
  const uint32_t default_hd = hp.n_embd / hp.n_head;
  OCCAM_ASSIGN_OR_RETURN(hp.head_dim_k, file.get_integer_or<uint32_t>(file.arch_key("attention.key_length"),
                                                                     default_hd));
  OCCAM_ASSIGN_OR_RETURN(hp.head_dim_v, file.get_integer_or<uint32_t>(file.arch_key("attention.value_length"),
                                                                     default_hd));
  OCCAM_ASSIGN_OR_RETURN(hp.n_rot, file.get_integer_or<uint32_t>(file.arch_key("rope.dimension_count"),
                                                                hp.head_dim_k));
  if (hp.head_dim_k == 0 || hp.head_dim_v == 0 || hp.n_rot > hp.head_dim_k || hp.n_rot % 2 != 0) {
    return make_error(ErrorCode::invalid_argument, "{}: bad head dims (key {}, value {}, rope {})", hp.arch,
                      hp.head_dim_k, hp.head_dim_v, hp.n_rot);
  }
  OCCAM_ASSIGN_OR_RETURN(double base, file.get_float_or(file.arch_key("rope.freq_base"), 10000.0));
  hp.rope_base = static_cast<float>(base);
  // Linear scaling: rope.scaling.factor (or the older rope.scale_linear); YaRN is not implemented.
  OCCAM_ASSIGN_OR_RETURN(std::string_view scaling,
                         file.get_or<std::string_view>(file.arch_key("rope.scaling.type"), "none"));
  if (scaling != "none" && scaling != "linear") {
    return make_error(ErrorCode::unsupported, "{}: rope scaling type '{}' is not supported", hp.arch, scaling);
  }
  OCCAM_ASSIGN_OR_RETURN(double factor, file.get_float_or(file.arch_key("rope.scaling.factor"), 0.0));
  if (factor == 0.0) {
    OCCAM_ASSIGN_OR_RETURN(factor, file.get_float_or(file.arch_key("rope.scale_linear"), 0.0));
  }
  if (factor > 0.0) hp.rope_freq_scale = static_cast<float>(1.0 / factor);  // as llama.cpp: any type
  OCCAM_ASSIGN_OR_RETURN(double eps, file.get_float(file.arch_key(norm_eps_key)));
  hp.norm_eps = static_cast<float>(eps);
  OCCAM_ASSIGN_OR_RETURN(hp.sliding_window,
                         file.get_integer_or<uint32_t>(file.arch_key("attention.sliding_window"), 0));
  OCCAM_ASSIGN_OR_RETURN(double attn_cap, file.get_float_or(file.arch_key("attn_logit_softcapping"), 0.0));
  OCCAM_ASSIGN_OR_RETURN(double final_cap, file.get_float_or(file.arch_key("final_logit_softcapping"), 0.0));
  hp.attn_softcap = static_cast<float>(attn_cap);
  hp.final_softcap = static_cast<float>(final_cap);
  hp.attn_scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim_k));

  const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight");
  if (embd == nullptr) {
    return make_error(ErrorCode::invalid_argument, "{}: missing tensor 'token_embd.weight'", hp.arch);
  }
  if (embd->n_dims != 2 || embd->ne[0] != hp.n_embd || embd->ne[1] == 0 || embd->ne[1] > INT32_MAX) {
    return make_error(ErrorCode::invalid_argument,
                      "tensor 'token_embd.weight': expected shape [{}, n_vocab], found {}", hp.n_embd,
                      embd->shape_string());
  }
  hp.n_vocab = static_cast<uint32_t>(embd->ne[1]);
  return hp;
}

}  // namespace occam::engine
