#include "engine/random_model.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "engine/quantize.h"
#include "gguf/gguf.h"

namespace occam::engine {

namespace {

// xoshiro256** with Box–Muller: fast enough for a billion weights.
class Normal {
 public:
  explicit Normal(uint64_t seed) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    for (uint64_t& v : s_) {
      z += 0x9E3779B97F4A7C15ull;
      uint64_t x = z;
      x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
      x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
      v = x ^ (x >> 31);
    }
  }
  void fill(float* out, size_t n, float sigma) {
    for (size_t i = 0; i < n; i += 2) {
      const double u1 = (static_cast<double>(next() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
      const double u2 = static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
      const double r = std::sqrt(-2.0 * std::log(u1)) * sigma;
      out[i] = static_cast<float>(r * std::cos(6.283185307179586 * u2));
      if (i + 1 < n) out[i + 1] = static_cast<float>(r * std::sin(6.283185307179586 * u2));
    }
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  uint64_t s_[4];
};

}  // namespace

RandomModelSpec smollm2_135m_shape() {
  RandomModelSpec s;
  s.arch = "llama";
  s.n_layer = 30;
  s.n_embd = 576;
  s.n_ff = 1536;
  s.n_head = 9;
  s.n_head_kv = 3;
  s.n_vocab = 49152;
  s.n_ctx = 8192;
  s.rope_base = 100000.0f;
  s.norm_eps = 1e-5f;
  s.tied_embeddings = true;
  return s;
}

RandomModelSpec qwen25_05b_shape() {
  RandomModelSpec s;
  s.arch = "qwen2";
  s.n_layer = 24;
  s.n_embd = 896;
  s.n_ff = 4864;
  s.n_head = 14;
  s.n_head_kv = 2;
  s.n_vocab = 151936;
  s.n_ctx = 32768;
  s.rope_base = 1000000.0f;
  s.norm_eps = 1e-6f;
  s.tied_embeddings = true;
  return s;
}

Status write_random_model(const RandomModelSpec& spec, const std::filesystem::path& path) {
  if (spec.arch != "llama" && spec.arch != "qwen2") {
    return make_error(ErrorCode::unsupported, "random model: architecture '{}' not supported (llama, qwen2)", spec.arch);
  }
  if (spec.n_head == 0 || spec.n_head_kv == 0 || spec.n_embd % spec.n_head != 0 || spec.n_head % spec.n_head_kv != 0) {
    return make_error(ErrorCode::invalid_argument, "random model: bad head counts ({} / {}, n_embd {})", spec.n_head,
                      spec.n_head_kv, spec.n_embd);
  }
  OCCAM_ASSIGN_OR_RETURN(QuantScheme scheme, parse_quant_scheme(spec.type));
  const std::string& a = spec.arch;
  gguf::Writer w;
  w.set("general.architecture", a);
  w.set("general.name", fmt::format("occam-random-{}", a));
  w.set("general.file_type", scheme.file_type);
  w.set(a + ".context_length", spec.n_ctx);
  w.set(a + ".embedding_length", spec.n_embd);
  w.set(a + ".block_count", spec.n_layer);
  w.set(a + ".feed_forward_length", spec.n_ff);
  w.set(a + ".attention.head_count", spec.n_head);
  w.set(a + ".attention.head_count_kv", spec.n_head_kv);
  w.set(a + ".rope.freq_base", spec.rope_base);
  w.set(a + ".attention.layer_norm_rms_epsilon", spec.norm_eps);
  if (scheme.base != gguf::TensorType::F32 && scheme.base != gguf::TensorType::F16) {
    w.set("general.quantization_version", uint32_t{2});
  }

  const uint32_t hd = spec.n_embd / spec.n_head;
  const uint32_t kv_dim = spec.n_head_kv * hd;
  QuantLayout layout{spec.n_layer, !spec.tied_embeddings};
  Normal rng(spec.seed);
  std::vector<float> buf;
  auto add_matrix = [&](const std::string& name, uint64_t ne0, uint64_t ne1) -> Status {
    buf.resize(ne0 * ne1);
    rng.fill(buf.data(), buf.size(), 0.02f);
    const gguf::TensorType type = choose_tensor_type(scheme, name, ne0, layout);
    auto bytes = quantize_rows(buf.data(), ne1, ne0, type, spec.threads);
    if (!bytes.ok()) return std::move(bytes).error().with_context(fmt::format("tensor '{}'", name));
    const uint64_t shape[2] = {ne0, ne1};
    return w.add_tensor_owned(name, type, shape, std::move(*bytes));
  };
  auto add_vector = [&](const std::string& name, uint64_t n, bool ones) -> Status {
    std::vector<float> v(n, 1.0f);
    if (!ones) rng.fill(v.data(), n, 0.02f);
    std::vector<uint8_t> bytes(n * 4);
    std::memcpy(bytes.data(), v.data(), bytes.size());
    const uint64_t shape[1] = {n};
    return w.add_tensor_owned(name, gguf::TensorType::F32, shape, std::move(bytes));
  };

  OCCAM_TRY(add_matrix("token_embd.weight", spec.n_embd, spec.n_vocab));
  OCCAM_TRY(add_vector("output_norm.weight", spec.n_embd, true));
  if (!spec.tied_embeddings) OCCAM_TRY(add_matrix("output.weight", spec.n_embd, spec.n_vocab));
  for (uint32_t il = 0; il < spec.n_layer; ++il) {
    auto n = [il](std::string_view s) { return fmt::format("blk.{}.{}", il, s); };
    OCCAM_TRY(add_vector(n("attn_norm.weight"), spec.n_embd, true));
    OCCAM_TRY(add_matrix(n("attn_q.weight"), spec.n_embd, spec.n_embd));
    OCCAM_TRY(add_matrix(n("attn_k.weight"), spec.n_embd, kv_dim));
    OCCAM_TRY(add_matrix(n("attn_v.weight"), spec.n_embd, kv_dim));
    if (a == "qwen2") {
      OCCAM_TRY(add_vector(n("attn_q.bias"), spec.n_embd, false));
      OCCAM_TRY(add_vector(n("attn_k.bias"), kv_dim, false));
      OCCAM_TRY(add_vector(n("attn_v.bias"), kv_dim, false));
    }
    OCCAM_TRY(add_matrix(n("attn_output.weight"), spec.n_embd, spec.n_embd));
    OCCAM_TRY(add_vector(n("ffn_norm.weight"), spec.n_embd, true));
    OCCAM_TRY(add_matrix(n("ffn_gate.weight"), spec.n_embd, spec.n_ff));
    OCCAM_TRY(add_matrix(n("ffn_up.weight"), spec.n_embd, spec.n_ff));
    OCCAM_TRY(add_matrix(n("ffn_down.weight"), spec.n_ff, spec.n_embd));
  }
  return w.write(path);
}

}  // namespace occam::engine
