#include <cmath>
#include <vector>

#include "engine/internal/layers.h"

namespace occam::engine {

// Angles as ggml computes them (float, incremental): theta_i = pos · base^(−2i/n_rot) · freq_scale.
void rope(const ForwardContext& fc, float* x, uint32_t n_heads, uint32_t head_dim, const float* freq_factors) {
  const HParams& hp = fc.hp;
  const uint32_t half = hp.n_rot / 2;
  const float theta_scale = std::pow(hp.rope_base, -2.0f / static_cast<float>(hp.n_rot));
  float cos_sin[2 * 512];
  float* cs = cos_sin;
  std::vector<float> big;
  if (half > 512) {
    big.resize(2 * static_cast<size_t>(half));
    cs = big.data();
  }
  for (int32_t t = 0; t < fc.ub.n; ++t) {
    float theta = static_cast<float>(fc.ub.pos[t]);
    for (uint32_t i = 0; i < half; ++i) {
      const float ff = freq_factors != nullptr ? freq_factors[i] : 1.0f;
      const float angle = hp.rope_freq_scale * (theta / ff);
      cs[2 * i] = std::cos(angle);
      cs[2 * i + 1] = std::sin(angle);
      theta *= theta_scale;
    }
    float* row = x + static_cast<size_t>(t) * n_heads * head_dim;
    for (uint32_t h = 0; h < n_heads; ++h) {
      float* v = row + static_cast<size_t>(h) * head_dim;
      for (uint32_t i = 0; i < half; ++i) {
        const uint32_t a = hp.rope_mode == RopeMode::normal ? 2 * i : i;
        const uint32_t b = hp.rope_mode == RopeMode::normal ? 2 * i + 1 : i + half;
        const float x0 = v[a], x1 = v[b];
        v[a] = x0 * cs[2 * i] - x1 * cs[2 * i + 1];
        v[b] = x0 * cs[2 * i + 1] + x1 * cs[2 * i];
      }
    }
  }
}

}  // namespace occam::engine
