// Persistent workers woken by a generation counter: spin (a decode step dispatches hundreds of short
// sections per token, a futex wake costs microseconds) and fall back to a futex wait (std::atomic::wait)
// after kSpinTime idle, so an idle engine uses no CPU.
#include <immintrin.h>

#include <chrono>

#include "kernels/kernels.h"

namespace occam::kernels {

namespace {
constexpr auto kSpinTime = std::chrono::microseconds(300);
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  workers_.reserve(static_cast<size_t>(n_threads_ - 1));
  for (int t = 1; t < n_threads_; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_seq_cst);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  generation_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void ThreadPool::worker_loop(int thread) {
  // The generation at construction (0), not a fresh load: a section dispatched before this thread
  // got to run would otherwise be skipped and run_raw would wait for it forever.
  uint32_t seen = 0;
  for (;;) {
    uint32_t g = generation_.load(std::memory_order_acquire);
    if (g == seen) {
      auto start = std::chrono::steady_clock::now();
      for (int spin = 1; (g = generation_.load(std::memory_order_acquire)) == seen; ++spin) {
        _mm_pause();
        if ((spin & 255) == 0 && std::chrono::steady_clock::now() - start > kSpinTime) {
          sleepers_.fetch_add(1, std::memory_order_seq_cst);
          generation_.wait(seen, std::memory_order_seq_cst);  // returns at once if it already changed
          sleepers_.fetch_sub(1, std::memory_order_seq_cst);
          start = std::chrono::steady_clock::now();
        }
      }
    }
    seen = g;
    if (stop_.load(std::memory_order_acquire)) return;
    fn_(ctx_, thread, n_threads_);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run_raw(RawFn fn, void* ctx) {
  if (n_threads_ == 1) {
    fn(ctx, 0, 1);
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_seq_cst);  // publishes fn_, ctx_, pending_
  if (sleepers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
  fn(ctx, 0, n_threads_);
  for (int spin = 1; pending_.load(std::memory_order_acquire) != 0; ++spin) {
    _mm_pause();
    if ((spin & 1023) == 0) std::this_thread::yield();  // an oversubscribed host: let the worker run
  }
}

}  // namespace occam::kernels
