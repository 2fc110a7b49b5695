// Binary L2-regularised linear classifiers by dual coordinate descent: the algorithms of
// liblinear 2.30's L2R_L2LOSS_SVC_DUAL (Hsieh et al. 2008) and L2R_LR_DUAL (Yu, Huang & Lin 2011),
// ported so that
//   - the row shuffle draws from a generator owned by the call (liblinear 2.30 draws from the
//     process-wide rand() and offers no seeding API, so two training threads made models depend on
//     scheduling);
//   - rows are read in place from our float CSR (no copy into liblinear's double feature_node),
//     and w is float: half the cache footprint of liblinear's double w, the solver's bottleneck;
//   - a solve can start from dual variables of an earlier one (another C, or a subset of the rows),
//     which liblinear's dual solvers cannot.
// Like liblinear with bias = 1, the bias is a constant feature of value 1 and is regularised.
#pragma once

#include <cstdint>
#include <span>

#include "ml/internal/model.h"

namespace occam::ml::internal {

struct DualProblem {
  const Csr* x = nullptr;
  std::span<const double> row_norm2;  // ‖x_i‖² + 1 (the bias feature)
  std::span<const int8_t> y;          // ±1
};

struct DualParams {
  LinearLoss loss = LinearLoss::logistic;
  double c = 1.0;
  double eps = 0.1;  // liblinear's dual stopping tolerance
  int max_epochs = 1000;
  uint64_t seed = 0;
};

// Solves one binary problem. `alpha` (one per row) holds the start on entry — NaN where a row has
// none — and the solution on exit. `w` (x.n_cols + 1, the bias last) receives the primal weights.
// Returns the number of epochs run.
int solve_dual(const DualProblem& problem, const DualParams& params, std::span<double> alpha, std::span<float> w);

}  // namespace occam::ml::internal
