// Helpers shared by the kernels tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace occam::kernels::testing {

// Deterministic N(0, sigma) values with a few outliers, like trained or random model weights.
inline std::vector<float> random_values(size_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  for (size_t i = 0; i < n; i += 97) v[i] *= 4.0f;
  return v;
}

inline double rms(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return v.empty() ? 0.0 : std::sqrt(s / static_cast<double>(v.size()));
}

}  // namespace occam::kernels::testing
