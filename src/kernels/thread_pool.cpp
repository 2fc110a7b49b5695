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
    // Enter only the section of generation g, and only while it is open. closed_ is read before
    // section_: a section that was reopened for a newer generation then shows its new number.
    active_.fetch_add(1, std::memory_order_seq_cst);
    const bool closed = closed_.load(std::memory_order_seq_cst);
    if (!closed && section_.load(std::memory_order_seq_cst) == g) {
      if (task_mode_) {
        run_tasks(thread);
      } else {
        fn_(ctx_, thread, n_threads_);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
    active_.fetch_sub(1, std::memory_order_seq_cst);
  }
}

void ThreadPool::run_tasks(int thread) {
  for (int64_t task; (task = next_task_.fetch_add(1, std::memory_order_relaxed)) < n_tasks_;) {
    task_fn_(ctx_, task, thread);
    done_tasks_.fetch_add(1, std::memory_order_acq_rel);
  }
}

// The fields of the section are written; number it, open it, wake the workers.
void ThreadPool::open_section() {
  const uint32_t g = generation_.load(std::memory_order_relaxed) + 1;
  section_.store(g, std::memory_order_seq_cst);
  closed_.store(false, std::memory_order_seq_cst);
  generation_.store(g, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
}

// No worker enters after this, and those inside have left when it returns (the fields may be reused).
void ThreadPool::close_section() {
  closed_.store(true, std::memory_order_seq_cst);
  for (int spin = 1; active_.load(std::memory_order_seq_cst) != 0; ++spin) {
    _mm_pause();
    if ((spin & 1023) == 0) std::this_thread::yield();
  }
}

void ThreadPool::run_raw(RawFn fn, void* ctx) {
  if (n_threads_ == 1) {
    fn(ctx, 0, 1);
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  task_mode_ = false;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  open_section();
  fn(ctx, 0, n_threads_);
  for (int spin = 1; pending_.load(std::memory_order_acquire) != 0; ++spin) {
    _mm_pause();
    if ((spin & 1023) == 0) std::this_thread::yield();  // an oversubscribed host: let the worker run
  }
  close_section();
}

void ThreadPool::run_tasks_raw(TaskFn fn, void* ctx, int64_t n_tasks) {
  if (n_threads_ == 1 || n_tasks == 1) {
    for (int64_t task = 0; task < n_tasks; ++task) fn(ctx, task, 0);
    return;
  }
  task_fn_ = fn;
  ctx_ = ctx;
  n_tasks_ = n_tasks;
  task_mode_ = true;
  next_task_.store(0, std::memory_order_relaxed);
  done_tasks_.store(0, std::memory_order_relaxed);
  open_section();
  run_tasks(0);
  // Only tasks a worker has already taken are waited for; a worker that never woke is not.
  for (int spin = 1; done_tasks_.load(std::memory_order_acquire) < n_tasks; ++spin) {
    _mm_pause();
    if ((spin & 1023) == 0) std::this_thread::yield();
  }
  close_section();
}

}  // namespace occam::kernels
