// Thread pool: every task runs exactly once, every thread index appears, repeated use, idle wake-ups.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "kernels/kernels.h"

namespace occam::kernels {
namespace {

TEST(ThreadPool, ParallelForRunsEveryTaskOnce) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 2, 7, 64, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> bad_thread{0};
      pool.parallel_for(n, [&](int64_t task, int thread) {
        hits[static_cast<size_t>(task)].fetch_add(1);
        if (thread < 0 || thread >= threads) bad_thread.fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << threads << " " << n << " " << i;
      EXPECT_EQ(bad_thread.load(), 0);
    }
  }
}

TEST(ThreadPool, RunGivesEachThreadItsIndex) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> seen(4);
  pool.run([&](int thread, int n) {
    EXPECT_EQ(n, 4);
    seen[static_cast<size_t>(thread)].fetch_add(1);
  });
  for (auto& s : seen) EXPECT_EQ(s.load(), 1);
}

TEST(ThreadPool, NoLostTasksUnderRepeatedUse) {
  ThreadPool pool(3);
  std::atomic<int64_t> sum{0};
  int64_t expected = 0;
  for (int round = 0; round < 3000; ++round) {
    const int64_t n = 1 + round % 9;
    pool.parallel_for(n, [&](int64_t task, int) { sum.fetch_add(task + 1, std::memory_order_relaxed); });
    expected += n * (n + 1) / 2;
    ASSERT_EQ(sum.load(), expected) << "round " << round;
  }
}

// A section dispatched before the workers have started must still run on every thread.
TEST(ThreadPool, FreshPoolsRunTheirFirstSection) {
  for (int round = 0; round < 200; ++round) {
    ThreadPool pool(3);
    std::atomic<int> ran{0};
    pool.run([&](int, int) { ran.fetch_add(1); });
    ASSERT_EQ(ran.load(), 3) << "round " << round;
  }
}

TEST(ThreadPool, WakesWorkersThatWentToSleep) {
  ThreadPool pool(2);
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // longer than the spin phase
    std::atomic<int> ran{0};
    pool.run([&](int, int) { ran.fetch_add(1); });
    ASSERT_EQ(ran.load(), 2);
  }
}

TEST(ThreadPool, SectionResultsAreVisibleToTheCaller) {
  ThreadPool pool(3);
  std::vector<int64_t> out(3000, 0);  // plain, non-atomic writes by the workers
  for (int round = 0; round < 100; ++round) {
    pool.parallel_for(static_cast<int64_t>(out.size()), [&](int64_t i, int) { out[static_cast<size_t>(i)] = i + round; });
    for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], static_cast<int64_t>(i) + round);
  }
}

}  // namespace
}  // namespace occam::kernels
