#include "engine/speed.h"

#include <chrono>
#include <random>

namespace occam::engine {

namespace {

using Clock = std::chrono::steady_clock;

int32_t random_token(std::mt19937& rng, uint32_t n_vocab) {
  return static_cast<int32_t>(rng() % n_vocab);
}

}  // namespace

Result<double> measure_prefill(Context& ctx, int n_tokens, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  const uint32_t n_vocab = ctx.model().info().n_vocab;
  Batch batch;
  for (int i = 0; i < n_tokens; ++i) batch.add(random_token(rng, n_vocab), i, 0, i + 1 == n_tokens);
  ctx.clear();
  const auto start = Clock::now();
  OCCAM_TRY(ctx.decode(batch));
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  ctx.clear();
  return n_tokens / s;
}

Result<double> measure_decode(Context& ctx, int n_tokens, int n_seq, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  const uint32_t n_vocab = ctx.model().info().n_vocab;
  ctx.clear();
  Batch batch;
  const auto start = Clock::now();
  for (int step = 0; step < n_tokens; ++step) {
    batch.clear();
    for (int s = 0; s < n_seq; ++s) batch.add(random_token(rng, n_vocab), step, s, true);
    OCCAM_TRY(ctx.decode(batch));
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  ctx.clear();
  return static_cast<double>(n_tokens) * n_seq / s;
}

}  // namespace occam::engine
