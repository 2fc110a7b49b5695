#include "store/request_log.h"

#include <thread>

#include <gtest/gtest.h>

#include "test_support.h"

namespace occam::store {
namespace {

RequestRecord record(int i) {
  RequestRecord r;
  r.request_id = "req-" + std::to_string(i);
  r.route = i % 2 ? "auto" : "extract";
  r.unix_ms = 1000 + i;
  r.answered_by = i % 3 ? "small" : "big";
  r.attempts = 1 + i % 2;
  r.escalations = i % 2;
  r.latency_ms = i * 0.5;
  r.prompt_tokens = i;
  r.completion_tokens = 2 * i;
  r.cost = i * 1e-6;
  r.baseline_cost = i * 3e-6;
  r.energy_j = i * 0.1;
  r.trace_json = "{\"request_id\":\"req-" + std::to_string(i) + "\"}";
  return r;
}

TEST(RequestLog, AppendsInBatchesAndReadsBack) {
  occam::testing::TempDir dir;
  auto log = RequestLog::open(dir.path() / "log.db", {64, std::chrono::milliseconds(20)});
  ASSERT_TRUE(log.ok()) << log.error().message();
  // Four writers at once, as the server's I/O threads would.
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = w * 250; i < (w + 1) * 250; ++i) (*log)->append(record(i));
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_TRUE((*log)->flush().ok());
  auto all = (*log)->all();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1000u);
  auto one = (*log)->find("req-7");
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((*one)->route, "auto");
  EXPECT_EQ((*one)->completion_tokens, 14);
  EXPECT_DOUBLE_EQ((*one)->energy_j, 0.7);
  EXPECT_EQ((*one)->trace_json, "{\"request_id\":\"req-7\"}");
  auto missing = (*log)->find("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto totals = (*log)->totals();
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->requests, 1000);
  EXPECT_EQ(totals->prompt_tokens, 999 * 1000 / 2);
  EXPECT_NEAR(totals->cost, 999 * 1000 / 2 * 1e-6, 1e-9);
  auto route = (*log)->all("extract");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->size(), 500u);
}

TEST(RequestLog, DestructorWritesWhatIsQueued) {
  occam::testing::TempDir dir;
  {
    auto log = RequestLog::open(dir.path() / "log.db", {1000, std::chrono::milliseconds(10000)});
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 10; ++i) (*log)->append(record(i));
  }
  auto again = RequestLog::open(dir.path() / "log.db");
  ASSERT_TRUE(again.ok());
  auto all = (*again)->all();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 10u);
}

TEST(RequestLog, UnopenablePathIsAnError) {
  auto log = RequestLog::open("/nonexistent-dir/x/log.db");
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message().find("request log"), std::string::npos);
}

}  // namespace
}  // namespace occam::store
