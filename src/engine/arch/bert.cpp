// bert (BGE, MiniLM, ...): encoder without causal mask; absolute position and token-type embeddings;
// post-LayerNorm; GELU FFN with biases. Outputs the final hidden state of every token (pooled by the
// context).
#include <cmath>

#include "engine/internal/layers.h"
#include "engine/internal/registry.h"

namespace occam::engine {

namespace {

struct BertLayer {
  Matrix wq, wk, wv, wo, up, down;
  const float *bq, *bk, *bv, *bo, *b_up, *b_down;
  const float *attn_norm_w, *attn_norm_b, *out_norm_w, *out_norm_b;
};

class BertGraph final : public Graph {
 public:
  Matrix token_embd;
  const float* token_types = nullptr;
  const float* position_embd = nullptr;
  const float *embd_norm_w = nullptr, *embd_norm_b = nullptr;
  std::vector<BertLayer> layers;

  void forward(ForwardContext& fc) const override {
    const HParams& hp = fc.hp;
    Workspace& ws = fc.ws;
    const uint32_t n_embd = hp.n_embd;
    float* x = ws.x.data();
    float* cur = ws.cur.data();
    embed_tokens(fc, token_embd, x);
    for (int32_t t = 0; t < fc.ub.n; ++t) {
      float* row = x + static_cast<size_t>(t) * n_embd;
      kernels::add(row, token_types, row, n_embd);  // token type 0
      kernels::add(row, position_embd + static_cast<size_t>(fc.ub.pos[t]) * n_embd, row, n_embd);
    }
    layer_norm_rows(fc, x, embd_norm_w, embd_norm_b, x, n_embd);
    for (uint32_t il = 0; il < hp.n_layer; ++il) {
      const BertLayer& l = layers[il];
      linear(fc, l.wq, x, ws.q.data(), l.bq);
      linear(fc, l.wk, x, ws.k.data(), l.bk);
      linear(fc, l.wv, x, ws.v.data(), l.bv);
      AttentionParams ap;
      ap.scale = hp.attn_scale;
      ap.causal = false;
      attention(fc, il, ap, ws.q.data(), ws.k.data(), ws.v.data(), ws.attn.data());
      linear(fc, l.wo, ws.attn.data(), cur, l.bo);
      add_rows(fc, cur, x, n_embd);
      layer_norm_rows(fc, cur, l.attn_norm_w, l.attn_norm_b, x, n_embd);
      ffn_gelu(fc, l.up, l.b_up, l.down, l.b_down, x, cur);
      add_rows(fc, cur, x, n_embd);
      layer_norm_rows(fc, cur, l.out_norm_w, l.out_norm_b, x, n_embd);
    }
    std::copy_n(x, static_cast<size_t>(fc.ub.n) * n_embd, fc.out);
  }
};

Result<LoadedGraph> load_bert(const gguf::File& file) {
  OCCAM_ASSIGN_OR_RETURN(HParams hp, read_hparams(file, "attention.layer_norm_epsilon"));
  OCCAM_ASSIGN_OR_RETURN(bool causal, file.get_or<bool>(file.arch_key("attention.causal"), false));
  hp.causal = causal;
  if (causal) return make_error(ErrorCode::unsupported, "bert: attention.causal = true is not supported");
  OCCAM_ASSIGN_OR_RETURN(uint32_t pooling, file.get_integer_or<uint32_t>(file.arch_key("pooling_type"), 1));
  // llama_pooling_type: 0 none, 1 mean, 2 cls, 3 last.
  switch (pooling) {
    case 0: case 1: hp.pooling = Pooling::mean; break;
    case 2: hp.pooling = Pooling::cls; break;
    case 3: hp.pooling = Pooling::last; break;
    default:
      return make_error(ErrorCode::unsupported, "bert: pooling_type {} is not supported", pooling);
  }
  auto graph = std::make_unique<BertGraph>();
  const TensorLoader loader(file);
  const uint64_t n_embd = hp.n_embd, n_ff = hp.n_ff;
  OCCAM_ASSIGN_OR_RETURN(graph->token_embd, loader.matrix("token_embd.weight", n_embd, hp.n_vocab));
  const gguf::TensorInfo* types = file.find_tensor("token_types.weight");
  const uint64_t n_types = types != nullptr && types->n_dims == 2 ? types->ne[1] : 2;
  OCCAM_ASSIGN_OR_RETURN(graph->token_types, loader.table("token_types.weight", n_embd, n_types));
  OCCAM_ASSIGN_OR_RETURN(graph->position_embd, loader.table("position_embd.weight", n_embd, hp.n_ctx_train));
  OCCAM_ASSIGN_OR_RETURN(graph->embd_norm_w, loader.vector("token_embd_norm.weight", n_embd));
  OCCAM_ASSIGN_OR_RETURN(graph->embd_norm_b, loader.vector("token_embd_norm.bias", n_embd));
  graph->layers.resize(hp.n_layer);
  for (uint32_t il = 0; il < hp.n_layer; ++il) {
    BertLayer& l = graph->layers[il];
    auto name = [il](std::string_view suffix) { return TensorLoader::layer_name(il, suffix); };
    OCCAM_ASSIGN_OR_RETURN(l.wq, loader.matrix(name("attn_q.weight"), n_embd, hp.q_dim()));
    OCCAM_ASSIGN_OR_RETURN(l.bq, loader.vector(name("attn_q.bias"), hp.q_dim()));
    OCCAM_ASSIGN_OR_RETURN(l.wk, loader.matrix(name("attn_k.weight"), n_embd, hp.k_dim()));
    OCCAM_ASSIGN_OR_RETURN(l.bk, loader.vector(name("attn_k.bias"), hp.k_dim()));
    OCCAM_ASSIGN_OR_RETURN(l.wv, loader.matrix(name("attn_v.weight"), n_embd, hp.v_dim()));
    OCCAM_ASSIGN_OR_RETURN(l.bv, loader.vector(name("attn_v.bias"), hp.v_dim()));
    OCCAM_ASSIGN_OR_RETURN(l.wo, loader.matrix(name("attn_output.weight"), hp.attn_out_dim(), n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.bo, loader.vector(name("attn_output.bias"), n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.attn_norm_w, loader.vector(name("attn_output_norm.weight"), n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.attn_norm_b, loader.vector(name("attn_output_norm.bias"), n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.up, loader.matrix(name("ffn_up.weight"), n_embd, n_ff));
    OCCAM_ASSIGN_OR_RETURN(l.b_up, loader.vector(name("ffn_up.bias"), n_ff));
    OCCAM_ASSIGN_OR_RETURN(l.down, loader.matrix(name("ffn_down.weight"), n_ff, n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.b_down, loader.vector(name("ffn_down.bias"), n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.out_norm_w, loader.vector(name("layer_output_norm.weight"), n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.out_norm_b, loader.vector(name("layer_output_norm.bias"), n_embd));
  }
  return LoadedGraph{std::move(hp), std::move(graph)};
}

}  // namespace

OCCAM_REGISTER_ARCH(bert, load_bert);

}  // namespace occam::engine
