// The run store's contract, the same on SQLite and PostgreSQL.
#include "fixture.h"
#include "postgres_cluster.h"

namespace occam::workflow::testing {
namespace {

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<RunStore> open() {
    RunStoreSettings s;
    if (GetParam() == "sqlite") {
      s.path = (dir_.path() / "runs.db").string();
    } else {
      if (!shared_postgres().running()) return nullptr;
      s.kind = "postgres";
      s.url = shared_postgres().url();
    }
    auto store = make_run_store(s);
    EXPECT_TRUE(store.ok()) << store.error().message();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::string id(std::string_view base) { return fmt::format("{}-{}", base, ::testing::UnitTest::GetInstance()->random_seed()); }
  ::occam::testing::TempDir dir_;
};

TEST_P(StoreTest, RunsAndStepsSurviveReopening) {
  auto store = open();
  if (!store) GTEST_SKIP() << shared_postgres().why_not();
  std::string run = id("run-a");
  auto first = store->open_run(run, "wf", R"({"x":1})");
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(first->status, "running");
  auto second = store->open_run(run, "wf", R"({"x":2})");  // the first input wins
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->input_json, R"({"x":1})");
  ASSERT_TRUE(store->step_started(run, "tool", run + "/tool").ok());
  ASSERT_TRUE(store->step_started(run, "tool", run + "/tool").ok());
  ASSERT_TRUE(store->step_done(run, "pii", R"({"has_pii":false})", "rules").ok());
  store.reset();

  store = open();
  ASSERT_TRUE(store);
  auto steps = store->steps(run);
  ASSERT_TRUE(steps.ok()) << steps.error().message();
  ASSERT_EQ(steps->size(), 2u);
  EXPECT_EQ(steps->at("tool").status, "started");
  EXPECT_EQ(steps->at("tool").attempts, 2);
  EXPECT_EQ(steps->at("tool").idempotency_key, run + "/tool");
  EXPECT_EQ(steps->at("pii").status, "done");
  EXPECT_EQ(steps->at("pii").tier, "rules");
  auto unfinished = store->unfinished_runs("wf");
  ASSERT_TRUE(unfinished.ok());
  EXPECT_NE(std::find(unfinished->begin(), unfinished->end(), run), unfinished->end());
  ASSERT_TRUE(store->finish_run(run, "done", R"({"ok":true})", "").ok());
  unfinished = store->unfinished_runs("wf");
  ASSERT_TRUE(unfinished.ok());
  EXPECT_EQ(std::find(unfinished->begin(), unfinished->end(), run), unfinished->end());
  auto record = store->get_run(run);
  ASSERT_TRUE(record.ok() && *record);
  EXPECT_EQ((*record)->output_json, R"({"ok":true})");
  auto none = store->get_run(id("missing"));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreTest, ::testing::Values("sqlite", "postgres"));

TEST(RunStoreSettings, Urls) {
  auto sqlite = parse_store_url("runs.db");
  ASSERT_TRUE(sqlite.ok());
  EXPECT_EQ(sqlite->kind, "sqlite");
  EXPECT_EQ(sqlite->path, "runs.db");
  auto pg = parse_store_url("postgresql://u@h:5432/db");
  ASSERT_TRUE(pg.ok());
  EXPECT_EQ(pg->kind, "postgres");
  EXPECT_FALSE(parse_store_url("").ok());
  RunStoreSettings bad;
  bad.kind = "redis";
  auto made = make_run_store(bad);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message().find("known: postgres, sqlite"), std::string::npos) << made.error().message();
}

}  // namespace
}  // namespace occam::workflow::testing
