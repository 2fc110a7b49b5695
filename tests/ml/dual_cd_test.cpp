#include "ml/internal/dual_cd.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace occam::ml::internal {
namespace {

// Two noisy Gaussian blobs in 20 sparse-ish dimensions, labels ±1.
struct Blobs {
  Csr x;
  std::vector<int8_t> y;
  std::vector<double> norm2;
};

Blobs make_blobs(size_t n, uint64_t seed) {
  Blobs b;
  b.x.n_cols = 20;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  std::vector<SparseEntry> row;
  for (size_t i = 0; i < n; ++i) {
    const int8_t label = (i % 2) ? 1 : -1;
    row.clear();
    for (uint32_t j = 0; j < 20; ++j) {
      if ((rng() % 3) == 0) continue;
      row.push_back({j, noise(rng) * 0.5f + (j < 5 ? 0.8f * label : 0.0f)});
    }
    b.x.add_row(row);
    b.y.push_back(label);
    double s = 1.0;
    for (const auto& e : row) s += static_cast<double>(e.value) * e.value;
    b.norm2.push_back(s);
  }
  return b;
}

double training_accuracy(const Blobs& b, const std::vector<float>& w) {
  size_t correct = 0;
  for (size_t i = 0; i < b.x.rows(); ++i) {
    double s = w[b.x.n_cols];
    for (size_t p = b.x.indptr[i]; p < b.x.indptr[i + 1]; ++p) s += w[b.x.indices[p]] * b.x.values[p];
    correct += (s > 0) == (b.y[i] > 0);
  }
  return static_cast<double>(correct) / static_cast<double>(b.x.rows());
}

TEST(DualCd, BothLossesSeparateBlobsAndAreDeterministic) {
  Blobs b = make_blobs(400, 7);
  for (LinearLoss loss : {LinearLoss::logistic, LinearLoss::squared_hinge}) {
    DualParams params;
    params.loss = loss;
    params.c = 1.0;
    params.seed = 3;
    std::vector<double> alpha(400, std::nan("")), alpha2(400, std::nan(""));
    std::vector<float> w(21), w2(21);
    const int epochs = solve_dual({&b.x, b.norm2, b.y}, params, alpha, w);
    EXPECT_GT(epochs, 0);
    EXPECT_LT(epochs, params.max_epochs);
    EXPECT_GT(training_accuracy(b, w), 0.9);
    solve_dual({&b.x, b.norm2, b.y}, params, alpha2, w2);
    EXPECT_EQ(w, w2) << "same seed, same weights";
    for (double a : alpha) EXPECT_TRUE(a >= 0.0 && a <= params.c * (loss == LinearLoss::logistic ? 1.0 : 1e9));
  }
}

// A start at the solution (the seam used by the C grid and the refit) converges at once and keeps
// the weights; a start at another C is rescaled and still converges.
TEST(DualCd, WarmStartFromASolutionStopsEarly) {
  Blobs b = make_blobs(400, 11);
  for (LinearLoss loss : {LinearLoss::logistic, LinearLoss::squared_hinge}) {
    DualParams params;
    params.loss = loss;
    params.c = 4.0;
    params.eps = 0.01;
    std::vector<double> alpha(400, std::nan(""));
    std::vector<float> w(21);
    const int cold = solve_dual({&b.x, b.norm2, b.y}, params, alpha, w);
    std::vector<double> warm_alpha = alpha;
    std::vector<float> warm_w(21);
    const int warm = solve_dual({&b.x, b.norm2, b.y}, params, warm_alpha, warm_w);
    EXPECT_LT(warm, cold);
    EXPECT_LE(warm, 2);
    for (size_t j = 0; j < w.size(); ++j) EXPECT_NEAR(warm_w[j], w[j], 0.05 * (1.0 + std::fabs(w[j]))) << j;
  }
}

}  // namespace
}  // namespace occam::ml::internal
