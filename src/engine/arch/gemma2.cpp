// gemma2: embeddings × √n_embd, GeGLU, RMSNorm before and after both blocks, attention-score and
// final-logit softcaps, sliding-window attention on even layers, tied embeddings.
#include <cmath>

#include "engine/internal/layers.h"
#include "engine/internal/registry.h"

namespace occam::engine {

namespace {

struct Gemma2Layer {
  const float *attn_norm, *post_attn_norm, *ffn_norm, *post_ffn_norm;
  Matrix wq, wk, wv, wo, gate, up, down;
};

class Gemma2Graph final : public Graph {
 public:
  Matrix token_embd, output;
  const float* output_norm = nullptr;
  std::vector<Gemma2Layer> layers;

  void forward(ForwardContext& fc) const override {
    const HParams& hp = fc.hp;
    Workspace& ws = fc.ws;
    float* x = ws.x.data();
    float* cur = ws.cur.data();
    float* h = ws.hidden.data();
    embed_tokens(fc, token_embd, x);
    kernels::scale(x, std::sqrt(static_cast<float>(hp.n_embd)), x, static_cast<int64_t>(fc.ub.n) * hp.n_embd);
    for (uint32_t il = 0; il < hp.n_layer; ++il) {
      const Gemma2Layer& l = layers[il];
      rms_norm_rows(fc, x, l.attn_norm, cur, hp.n_embd);
      const LinearJob qkv[] = {{&l.wq, cur, ws.q.data()}, {&l.wk, cur, ws.k.data()}, {&l.wv, cur, ws.v.data()}};
      linear_many(fc, qkv);
      rope(fc, ws.q.data(), hp.n_head, hp.head_dim_k, nullptr);
      rope(fc, ws.k.data(), hp.n_head_kv, hp.head_dim_k, nullptr);
      AttentionParams ap;
      ap.scale = hp.attn_scale;
      ap.softcap = hp.attn_softcap;
      ap.window = il % 2 == 0 ? hp.sliding_window : 0;
      attention(fc, il, ap, ws.q.data(), ws.k.data(), ws.v.data(), ws.attn.data());
      linear(fc, l.wo, ws.attn.data(), cur);
      rms_norm_rows(fc, cur, l.post_attn_norm, cur, hp.n_embd);
      add_rows(fc, x, cur, hp.n_embd);

      rms_norm_rows(fc, x, l.ffn_norm, cur, hp.n_embd);
      ffn_glu(fc, l.gate, l.up, l.down, Activation::gelu, cur, h);
      rms_norm_rows(fc, h, l.post_ffn_norm, h, hp.n_embd);
      add_rows(fc, x, h, hp.n_embd);
    }
    output_logits(fc, x, output_norm, output, hp.final_softcap);
  }
};

Result<LoadedGraph> load_gemma2(const gguf::File& file) {
  OCCAM_ASSIGN_OR_RETURN(HParams hp, read_hparams(file, "attention.layer_norm_rms_epsilon"));
  hp.rope_mode = RopeMode::neox;
  // Gemma 2 27B (46 layers) scales queries by 1/√(n_embd/n_head) (query_pre_attn_scalar = 144);
  // 2B and 9B by 1/√key_length, as llama.cpp does.
  hp.attn_scale = hp.n_layer == 46 ? 1.0f / std::sqrt(static_cast<float>(hp.n_embd / hp.n_head))
                                   : 1.0f / std::sqrt(static_cast<float>(hp.head_dim_k));
  auto graph = std::make_unique<Gemma2Graph>();
  const TensorLoader loader(file);
  const uint64_t n_embd = hp.n_embd, n_ff = hp.n_ff;
  OCCAM_ASSIGN_OR_RETURN(graph->token_embd, loader.matrix("token_embd.weight", n_embd, hp.n_vocab));
  OCCAM_ASSIGN_OR_RETURN(graph->output_norm, loader.vector("output_norm.weight", n_embd));
  OCCAM_ASSIGN_OR_RETURN(graph->output, loader.optional_matrix("output.weight", n_embd, hp.n_vocab));
  if (!graph->output) graph->output = graph->token_embd;
  graph->layers.resize(hp.n_layer);
  for (uint32_t il = 0; il < hp.n_layer; ++il) {
    Gemma2Layer& l = graph->layers[il];
    auto name = [il](std::string_view suffix) { return TensorLoader::layer_name(il, suffix); };
    OCCAM_ASSIGN_OR_RETURN(l.attn_norm, loader.vector(name("attn_norm.weight"), n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.wq, loader.matrix(name("attn_q.weight"), n_embd, hp.q_dim()));
    OCCAM_ASSIGN_OR_RETURN(l.wk, loader.matrix(name("attn_k.weight"), n_embd, hp.k_dim()));
    OCCAM_ASSIGN_OR_RETURN(l.wv, loader.matrix(name("attn_v.weight"), n_embd, hp.v_dim()));
    OCCAM_ASSIGN_OR_RETURN(l.wo, loader.matrix(name("attn_output.weight"), hp.attn_out_dim(), n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.post_attn_norm, loader.vector(name("post_attention_norm.weight"), n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.ffn_norm, loader.vector(name("ffn_norm.weight"), n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.gate, loader.matrix(name("ffn_gate.weight"), n_embd, n_ff));
    OCCAM_ASSIGN_OR_RETURN(l.up, loader.matrix(name("ffn_up.weight"), n_embd, n_ff));
    OCCAM_ASSIGN_OR_RETURN(l.down, loader.matrix(name("ffn_down.weight"), n_ff, n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.post_ffn_norm, loader.vector(name("post_ffw_norm.weight"), n_embd));
  }
  return LoadedGraph{std::move(hp), std::move(graph)};
}

}  // namespace

OCCAM_REGISTER_ARCH(gemma2, load_gemma2);

}  // namespace occam::engine
