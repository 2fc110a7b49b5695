// One-vs-rest training (each output is one binary problem, so outputs run in parallel), complement
// naive Bayes, and sparse linear scoring.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "ml/internal/dual_cd.h"
#include "ml/internal/model.h"

namespace occam::ml::internal {

void linear_scores(const LinearWeights& w, std::span<const SparseEntry> x, std::span<float> out) {
  const uint32_t k = w.n_outputs;
  std::copy(w.bias.begin(), w.bias.end(), out.begin());
  float* dst = out.data();
  // Each feature's row of k floats is a few cache lines of a model of megabytes: fetch the rows a
  // few entries ahead so that their misses overlap with the arithmetic.
  constexpr size_t kAhead = 4;
  auto prefetch_row = [&](size_t e) {
    if (e >= x.size() || x[e].index >= w.n_features) return;
    const char* row = reinterpret_cast<const char*>(w.weights.data() + static_cast<size_t>(x[e].index) * k);
    for (size_t offset = 0; offset < k * sizeof(float); offset += 64) __builtin_prefetch(row + offset);
  };
  for (size_t e = 0; e < kAhead; ++e) prefetch_row(e);
  for (size_t i = 0; i < x.size(); ++i) {
    prefetch_row(i + kAhead);
    const SparseEntry& e = x[i];
    if (e.index >= w.n_features) continue;
    const float* row = w.weights.data() + static_cast<size_t>(e.index) * k;
    const float v = e.value;
    for (uint32_t j = 0; j < k; ++j) dst[j] += v * row[j];  // vectorised by the compiler
  }
}

Result<LinearWeights> train_one_vs_rest(const Csr& x, std::span<const uint8_t> targets, uint32_t n_outputs,
                                        const LinearTrainParams& params, const DualSolution* start,
                                        DualSolution* solution) {
  const size_t n = x.rows();
  if (n == 0) return make_error(ErrorCode::invalid_argument, "no training examples");
  if (targets.size() != n * n_outputs) {
    return make_error(ErrorCode::internal, "targets: {} values for {} rows × {} outputs", targets.size(), n,
                      n_outputs);
  }
  if (!(params.c > 0.0) || !(params.eps > 0.0)) {
    return make_error(ErrorCode::invalid_argument, "C {} and tolerance {} must be > 0", params.c, params.eps);
  }
  if (start && start->alpha.size() != n * n_outputs) {
    return make_error(ErrorCode::internal, "dual start: {} values for {} rows × {} outputs", start->alpha.size(), n,
                      n_outputs);
  }
  std::vector<double> row_norm2(n);
  for (size_t i = 0; i < n; ++i) {
    double s = 1.0;  // the bias feature
    for (size_t p = x.indptr[i]; p < x.indptr[i + 1]; ++p) s += static_cast<double>(x.values[p]) * x.values[p];
    row_norm2[i] = s;
  }

  LinearWeights out;
  out.n_features = static_cast<uint32_t>(x.n_cols);
  out.n_outputs = n_outputs;
  out.weights.assign(x.n_cols * n_outputs, 0.0f);
  out.bias.assign(n_outputs, 0.0f);
  std::vector<double> alpha_all(solution ? n * n_outputs : 0, 0.0);
  const double rescale = start && start->c > 0.0 ? params.c / start->c : 1.0;

  std::atomic<uint32_t> next{0};
  auto worker = [&] {
    std::vector<int8_t> y(n);
    std::vector<double> alpha(n);
    std::vector<float> w(x.n_cols + 1);
    for (uint32_t k = next++; k < n_outputs; k = next++) {
      size_t positives = 0;
      for (size_t i = 0; i < n; ++i) {
        const bool pos = targets[i * n_outputs + k] != 0;
        y[i] = pos ? 1 : -1;
        positives += pos;
      }
      if (positives == 0 || positives == n) {
        // Constant target: no boundary to learn; a large bias says so.
        out.bias[k] = positives == 0 ? -8.0f : 8.0f;
        continue;
      }
      if (start) {
        for (size_t i = 0; i < n; ++i) alpha[i] = start->alpha[k * n + i] * rescale;
      } else {
        std::fill(alpha.begin(), alpha.end(), std::nan(""));
      }
      DualParams dual;
      dual.loss = params.loss;
      dual.c = params.c;
      dual.eps = params.eps;
      dual.seed = params.seed * 0x100000001B3ull + k;  // per output: the same whichever thread trains it
      solve_dual({&x, row_norm2, y}, dual, alpha, w);
      for (size_t j = 0; j < x.n_cols; ++j) out.weights[j * n_outputs + k] = w[j];
      out.bias[k] = w[x.n_cols];
      if (solution) std::copy(alpha.begin(), alpha.end(), alpha_all.begin() + static_cast<ptrdiff_t>(k * n));
    }
  };
  const int threads = std::clamp(params.threads, 1, static_cast<int>(std::max<uint32_t>(1, n_outputs)));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (solution) {
    solution->alpha = std::move(alpha_all);
    solution->c = params.c;
  }
  return out;
}

}  // namespace occam::ml::internal

namespace occam::ml::internal {

LinearWeights train_complement_nb(const Csr& x, std::span<const uint8_t> targets, uint32_t n_outputs, double alpha) {
  // Complement naive Bayes (Rennie et al. 2003): the weight of feature j for class k is
  // -log θ(j | not k), θ estimated from the TF-IDF mass of every other class, smoothed by alpha.
  const size_t n = x.rows();
  const size_t d = x.n_cols;
  std::vector<double> per_class(d * n_outputs, 0.0);  // feature mass by class, [j][k]
  std::vector<double> total(d, 0.0);
  std::vector<uint32_t> positive;
  for (size_t i = 0; i < n; ++i) {
    positive.clear();
    for (uint32_t k = 0; k < n_outputs; ++k) {
      if (targets[i * n_outputs + k]) positive.push_back(k);
    }
    for (size_t p = x.indptr[i]; p < x.indptr[i + 1]; ++p) {
      const size_t j = x.indices[p];
      const double v = std::abs(static_cast<double>(x.values[p]));
      total[j] += v;
      for (uint32_t k : positive) per_class[j * n_outputs + k] += v;
    }
  }
  std::vector<double> complement_sum(n_outputs, 0.0);
  for (size_t j = 0; j < d; ++j) {
    for (uint32_t k = 0; k < n_outputs; ++k) complement_sum[k] += total[j] - per_class[j * n_outputs + k] + alpha;
  }
  LinearWeights out;
  out.n_features = static_cast<uint32_t>(d);
  out.n_outputs = n_outputs;
  out.bias.assign(n_outputs, 0.0f);
  out.weights.resize(d * n_outputs);
  for (size_t j = 0; j < d; ++j) {
    for (uint32_t k = 0; k < n_outputs; ++k) {
      const double complement = total[j] - per_class[j * n_outputs + k] + alpha;
      out.weights[j * n_outputs + k] = static_cast<float>(std::log(complement_sum[k]) - std::log(complement));
    }
  }
  return out;
}

}  // namespace occam::ml::internal
