// matmul: converts the activations the way ggml's CPU backend does, then splits the weight rows into
// tasks for the pool; the dot products themselves are the dispatched kernels of dot_simd.cpp.
#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

#include "kernels/detail/blocks.h"
#include "kernels/detail/dot.h"
#include "kernels/kernels.h"

namespace occam::kernels {

namespace detail {

size_t act_row_bytes_blocks(Type type, int64_t ne0) {
  switch (type) {
    case Type::Q4_0: case Type::Q5_0: case Type::Q8_0: case Type::Q4_1: case Type::Q5_1:
      return static_cast<size_t>(ne0 / kQK) * sizeof(ActQ8);
    case Type::Q4_K: case Type::Q5_K: case Type::Q6_K:
      return static_cast<size_t>(ne0 / kQKK) * sizeof(BlockQ8_K);
    case Type::F16: case Type::BF16: case Type::F32:
      return static_cast<size_t>(ne0) * sizeof(float);
    default:
      return 0;
  }
}

void convert_act_blocks(Type type, const float* x, int64_t ne0, uint8_t* dst) {
  switch (type) {
    case Type::Q4_0: case Type::Q5_0: case Type::Q8_0:
      quantize_act_q8(x, reinterpret_cast<ActQ8*>(dst), ne0, false);
      break;
    case Type::Q4_1: case Type::Q5_1:
      quantize_act_q8(x, reinterpret_cast<ActQ8*>(dst), ne0, true);
      break;
    case Type::Q4_K: case Type::Q5_K: case Type::Q6_K:
      quantize_act_q8_k(x, reinterpret_cast<BlockQ8_K*>(dst), ne0);
      break;
    case Type::F16: {  // llama.cpp rounds activations to f16 before F16 products
      auto* out = reinterpret_cast<float*>(dst);
      int64_t i = 0;
      for (; i + 8 <= ne0; i += 8) {
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT)));
      }
      for (; i < ne0; ++i) out[i] = h2f(f2h(x[i]));
      break;
    }
    case Type::BF16: {
      auto* out = reinterpret_cast<float*>(dst);
      for (int64_t i = 0; i < ne0; ++i) out[i] = bf16_to_fp32(fp32_to_bf16(x[i]));
      break;
    }
    default:
      std::memcpy(dst, x, static_cast<size_t>(ne0) * sizeof(float));
      break;
  }
}

}  // namespace detail

namespace {

using detail::act_row_bytes;
using detail::convert_act;

// Types without an integer kernel here (Q2_K, Q3_K): each weight row is dequantized once and dotted
// in F32 with every token.
void rows_dot_dequantized(const WeightView& w, size_t stride, int64_t r0, int64_t r1, const float* x,
                          int64_t n_tokens, float* y) {
  thread_local std::vector<float> row;
  row.resize(static_cast<size_t>(w.ne0));
  for (int64_t r = r0; r < r1; ++r) {
    dequantize_row(w.type, static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r) * stride, row.data(),
                   w.ne0);
    for (int64_t t = 0; t < n_tokens; ++t) y[t * w.n_rows + r] = dot_f32(row.data(), x + t * w.ne0, w.ne0);
  }
}

struct Plan {
  size_t stride;
  size_t act_bytes;
  int64_t rows_per_task;
  int64_t n_tasks;
};

Plan plan(const WeightView& w, int64_t n_tokens, int n_threads) {
  Plan p{};
  p.stride = w.row_stride ? w.row_stride : row_bytes(w.type, w.ne0);
  p.act_bytes = act_row_bytes(w.type, w.ne0);
  // Enough tasks for dynamic balance (≈8 per thread), few enough that a task streams a useful run of
  // rows; with many tokens a task's rows are revisited per token group, so keep them cache-sized.
  const int64_t by_balance = (w.n_rows + 8 * n_threads - 1) / (8 * n_threads);
  const int64_t by_cache = std::max<int64_t>(4, static_cast<int64_t>((96 << 10) / std::max<size_t>(p.stride, 1)));
  p.rows_per_task = std::max<int64_t>(1, n_tokens > 4 ? std::min(by_balance, by_cache) : by_balance);
  if (n_threads == 1 && n_tokens <= 4) p.rows_per_task = w.n_rows;
  p.n_tasks = (w.n_rows + p.rows_per_task - 1) / p.rows_per_task;
  return p;
}

void run_task(const WeightView& w, const Plan& p, const uint8_t* act, const float* x, int64_t n_tokens, float* y,
              int64_t task) {
  const int64_t r0 = task * p.rows_per_task;
  const int64_t r1 = std::min(w.n_rows, r0 + p.rows_per_task);
  if (p.act_bytes == 0) {
    rows_dot_dequantized(w, p.stride, r0, r1, x, n_tokens, y);
    return;
  }
  detail::RowsDot job{w.type,
                      static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r0) * p.stride,
                      p.stride,
                      r1 - r0,
                      act,
                      p.act_bytes,
                      n_tokens,
                      w.ne0,
                      y + r0,
                      w.n_rows};
  detail::rows_dot(job);
}

std::vector<uint8_t>& act_scratch() {
  thread_local std::vector<uint8_t> buffer;
  return buffer;
}

}  // namespace

Status check_weight(const WeightView& w) {
  OCCAM_TRY(check_row(w.type, w.ne0, Op::matmul));
  if (w.n_rows <= 0) return make_error(ErrorCode::invalid_argument, "kernels: matmul weight has {} rows", w.n_rows);
  if (w.data == nullptr) return make_error(ErrorCode::invalid_argument, "kernels: matmul weight has no data");
  if (w.row_stride != 0 && w.row_stride < row_bytes(w.type, w.ne0)) {
    return make_error(ErrorCode::invalid_argument, "kernels: row stride {} below the row size {}", w.row_stride,
                      row_bytes(w.type, w.ne0));
  }
  return ok_status();
}

void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  assert(check_weight(w).ok());
  if (n_tokens <= 0) return;
  const Plan p = plan(w, n_tokens, pool.size());
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  if (p.act_bytes != 0 && w.type != Type::F32) {
    std::vector<uint8_t>& buffer = act_scratch();
    buffer.resize(p.act_bytes * static_cast<size_t>(n_tokens));
    uint8_t* dst = buffer.data();
    if (n_tokens >= 4 && pool.size() > 1) {
      pool.parallel_for(n_tokens, [&](int64_t t, int) { convert_act(w.type, x + t * w.ne0, w.ne0, dst + t * p.act_bytes); });
    } else {
      for (int64_t t = 0; t < n_tokens; ++t) convert_act(w.type, x + t * w.ne0, w.ne0, dst + t * p.act_bytes);
    }
    act = dst;
  }
  if (p.n_tasks == 1) {
    run_task(w, p, act, x, n_tokens, y, 0);
    return;
  }
  pool.parallel_for(p.n_tasks, [&](int64_t task, int) { run_task(w, p, act, x, n_tokens, y, task); });
}

void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y) {
  assert(check_weight(w).ok());
  if (n_tokens <= 0) return;
  Plan p = plan(w, n_tokens, 1);
  p.rows_per_task = w.n_rows;
  p.n_tasks = 1;
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  if (p.act_bytes != 0 && w.type != Type::F32) {
    std::vector<uint8_t>& buffer = act_scratch();
    buffer.resize(p.act_bytes * static_cast<size_t>(n_tokens));
    for (int64_t t = 0; t < n_tokens; ++t) convert_act(w.type, x + t * w.ne0, w.ne0, buffer.data() + t * p.act_bytes);
    act = buffer.data();
  }
  run_task(w, p, act, x, n_tokens, y, 0);
}

}  // namespace occam::kernels
