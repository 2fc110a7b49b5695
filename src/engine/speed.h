// Throughput measurements in llama-bench's terms, shared by `occam bench` and bench/engine:
// ppN = one batch of N prompt tokens from an empty context; tgN = N tokens decoded one at a time from
// an empty context (here optionally for n_seq sequences at once, one decode per step).
#pragma once

#include <cstdint>

#include "core/error.h"
#include "engine/engine.h"

namespace occam::engine {

// Tokens per second of one prefill of n_tokens (pseudo-random ids) into sequence 0.
Result<double> measure_prefill(Context& ctx, int n_tokens, uint64_t seed = 1);
// Tokens per second (all sequences together) of n_tokens decode steps for n_seq sequences.
Result<double> measure_decode(Context& ctx, int n_tokens, int n_seq = 1, uint64_t seed = 1);

}  // namespace occam::engine
