#include "engine/internal/decoder.h"

namespace occam::engine {

Result<LoadedGraph> DecoderGraph::load(const gguf::File& file, HParams hp, const DecoderOptions& options) {
  auto graph = std::make_unique<DecoderGraph>();
  graph->options_ = options;
  const TensorLoader loader(file);
  const uint64_t n_embd = hp.n_embd, n_ff = hp.n_ff;
  OCCAM_ASSIGN_OR_RETURN(graph->token_embd_, loader.matrix("token_embd.weight", n_embd, hp.n_vocab));
  OCCAM_ASSIGN_OR_RETURN(graph->output_norm_, loader.vector("output_norm.weight", n_embd));
  OCCAM_ASSIGN_OR_RETURN(graph->output_, loader.optional_matrix("output.weight", n_embd, hp.n_vocab));
  if (!graph->output_) graph->output_ = graph->token_embd_;  // tied embeddings
  OCCAM_ASSIGN_OR_RETURN(graph->rope_freqs_, loader.optional_vector("rope_freqs.weight", hp.n_rot / 2));

  graph->layers_.resize(hp.n_layer);
  for (uint32_t il = 0; il < hp.n_layer; ++il) {
    DecoderLayer& l = graph->layers_[il];
    auto name = [il](std::string_view suffix) { return TensorLoader::layer_name(il, suffix); };
    OCCAM_ASSIGN_OR_RETURN(l.attn_norm, loader.vector(name("attn_norm.weight"), n_embd));
    if (options.fused_qkv) {
      OCCAM_ASSIGN_OR_RETURN(l.wqkv, loader.matrix(name("attn_qkv.weight"), n_embd,
                                                   hp.q_dim() + hp.k_dim() + hp.v_dim()));
    } else {
      OCCAM_ASSIGN_OR_RETURN(l.wq, loader.matrix(name("attn_q.weight"), n_embd, hp.q_dim()));
      OCCAM_ASSIGN_OR_RETURN(l.wk, loader.matrix(name("attn_k.weight"), n_embd, hp.k_dim()));
      OCCAM_ASSIGN_OR_RETURN(l.wv, loader.matrix(name("attn_v.weight"), n_embd, hp.v_dim()));
      if (options.qkv_bias) {
        OCCAM_ASSIGN_OR_RETURN(l.bq, loader.vector(name("attn_q.bias"), hp.q_dim()));
        OCCAM_ASSIGN_OR_RETURN(l.bk, loader.vector(name("attn_k.bias"), hp.k_dim()));
        OCCAM_ASSIGN_OR_RETURN(l.bv, loader.vector(name("attn_v.bias"), hp.v_dim()));
      } else {
        OCCAM_ASSIGN_OR_RETURN(l.bq, loader.optional_vector(name("attn_q.bias"), hp.q_dim()));
        OCCAM_ASSIGN_OR_RETURN(l.bk, loader.optional_vector(name("attn_k.bias"), hp.k_dim()));
        OCCAM_ASSIGN_OR_RETURN(l.bv, loader.optional_vector(name("attn_v.bias"), hp.v_dim()));
      }
    }
    OCCAM_ASSIGN_OR_RETURN(l.wo, loader.matrix(name("attn_output.weight"), hp.attn_out_dim(), n_embd));
    OCCAM_ASSIGN_OR_RETURN(l.ffn_norm, loader.vector(name("ffn_norm.weight"), n_embd));
    if (options.fused_gate_up) {
      OCCAM_ASSIGN_OR_RETURN(l.up, loader.matrix(name("ffn_up.weight"), n_embd, 2 * n_ff));
    } else {
      OCCAM_ASSIGN_OR_RETURN(l.gate, loader.matrix(name("ffn_gate.weight"), n_embd, n_ff));
      OCCAM_ASSIGN_OR_RETURN(l.up, loader.matrix(name("ffn_up.weight"), n_embd, n_ff));
    }
    OCCAM_ASSIGN_OR_RETURN(l.down, loader.matrix(name("ffn_down.weight"), n_ff, n_embd));
    l.window = options.window_all_layers ? hp.sliding_window : 0;
  }
  return LoadedGraph{std::move(hp), std::move(graph)};
}

void DecoderGraph::forward(ForwardContext& fc) const {
  const HParams& hp = fc.hp;
  Workspace& ws = fc.ws;
  const size_t n = static_cast<size_t>(fc.ub.n);
  float* x = ws.x.data();
  float* cur = ws.cur.data();
  float* q = ws.q.data();
  float* k = ws.k.data();
  float* v = ws.v.data();
  embed_tokens(fc, token_embd_, x);

  for (uint32_t il = 0; il < hp.n_layer; ++il) {
    const DecoderLayer& l = layers_[il];
    rms_norm_rows(fc, x, l.attn_norm, cur, hp.n_embd);
    if (l.wqkv) {
      float* qkv = ws.ff_a.data();
      linear(fc, l.wqkv, cur, qkv);
      const size_t qd = hp.q_dim(), kd = hp.k_dim(), vd = hp.v_dim(), stride = qd + kd + vd;
      for (size_t t = 0; t < n; ++t) {
        std::copy_n(qkv + t * stride, qd, q + t * qd);
        std::copy_n(qkv + t * stride + qd, kd, k + t * kd);
        std::copy_n(qkv + t * stride + qd + kd, vd, v + t * vd);
      }
    } else {
      const LinearJob qkv[] = {{&l.wq, cur, q, l.bq}, {&l.wk, cur, k, l.bk}, {&l.wv, cur, v, l.bv}};
      linear_many(fc, qkv);
    }
    rope(fc, q, hp.n_head, hp.head_dim_k, rope_freqs_);
    rope(fc, k, hp.n_head_kv, hp.head_dim_k, rope_freqs_);
    AttentionParams ap;
    ap.scale = hp.attn_scale;
    ap.window = l.window;
    attention(fc, il, ap, q, k, v, ws.attn.data());
    linear(fc, l.wo, ws.attn.data(), cur);
    add_rows(fc, x, cur, hp.n_embd);

    rms_norm_rows(fc, x, l.ffn_norm, cur, hp.n_embd);
    ffn_glu(fc, l.gate, l.up, l.down, Activation::silu, cur, ws.hidden.data());
    add_rows(fc, x, ws.hidden.data(), hp.n_embd);
  }
  output_logits(fc, x, output_norm_, output_, hp.final_softcap);
}

}  // namespace occam::engine
