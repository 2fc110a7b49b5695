#include "router/complexity.h"

#include <fstream>

#include <gtest/gtest.h>

#include "router/eval.h"
#include "test_support.h"

namespace occam::router {
namespace {

TEST(RouterEval, RandomOracleAndWorstRouters) {
  // 6 prompts: weak right on 0..2, strong right on all.
  std::vector<double> weak = {1, 1, 1, 0, 0, 0}, strong = {1, 1, 1, 1, 1, 1};
  EvalSummary s = summarize(weak, strong);
  EXPECT_DOUBLE_EQ(s.weak_quality, 0.5);
  EXPECT_DOUBLE_EQ(s.strong_quality, 1.0);
  // The oracle sends 3..5 first: full gap at 50% strong calls.
  EXPECT_NEAR(s.oracle_cpt50, 0.25, 1e-12);
  std::vector<double> perfect = {0.9, 0.8, 0.7, 0.1, 0.2, 0.3};
  RouterCurve best = router_curve("perfect", perfect, weak, strong);
  EXPECT_NEAR(best.cpt80, 0.4, 1e-12);
  // Area: PGR rises linearly to 1 at 50% and stays: (0.25 + 0.5) = 0.75.
  EXPECT_NEAR(best.apgr, 0.75, 1e-12);
  std::vector<double> reversed = {0.1, 0.2, 0.3, 0.9, 0.8, 0.7};
  RouterCurve worst = router_curve("worst", reversed, weak, strong);
  EXPECT_NEAR(worst.apgr, 0.25, 1e-12);
  RouterCurve random = random_router_curve(weak, strong, 2000, 7);
  EXPECT_NEAR(random.apgr, 0.5, 0.02);
  EXPECT_NEAR(random.cpt50, 0.5, 0.05);
}

TEST(RouterEval, CalibratedThresholdMeetsTheTarget) {
  std::vector<double> weak = {1, 1, 0, 1, 0, 0, 1, 0}, strong = {1, 1, 1, 1, 1, 0, 1, 1};
  std::vector<double> score = {0.9, 0.8, 0.75, 0.7, 0.4, 0.35, 0.3, 0.1};
  double t = calibrate_threshold(score, weak, strong, 0.85);
  double q = 0, strong_q = 0;
  for (size_t i = 0; i < score.size(); ++i) {
    q += score[i] >= t ? weak[i] : strong[i];
    strong_q += strong[i];
  }
  EXPECT_GE(q / strong_q, 0.85);
  // The lowest threshold that does: one step lower breaks the target.
  EXPECT_NEAR(t, 0.5 * (0.7 + 0.4), 1e-12);
  EXPECT_GT(calibrate_threshold(score, weak, strong, 1.01), 1.0);
}

// Acceptance: on routellm_gsm8k the learned router beats the random one on held-out rows.
TEST(ComplexityRouter, BeatsRandomOnHeldOutGsm8k) {
  auto rows = load_outcome_rows(occam::testing::shared_file("datasets/routellm_gsm8k/gsm8k_outcomes.jsonl"));
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  std::vector<OutcomeRow> train, held;
  for (const OutcomeRow& r : *rows) {
    if (r.contaminated) continue;
    (is_held_out(r, 0.3, 42) ? held : train).push_back(r);
  }
  ASSERT_GT(held.size(), 300u);
  auto pair = pick_model_pair(train);
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(pair->strong, "gpt-4-1106-preview");
  auto model = train_calibrated(train, *pair, {}, 0.95);
  ASSERT_TRUE(model.ok()) << model.error().message();
  std::vector<double> scores, weak, strong;
  for (const OutcomeRow& r : held) {
    scores.push_back(model->score(r.prompt));
    weak.push_back(r.quality.at(pair->weak));
    strong.push_back(r.quality.at(pair->strong));
  }
  RouterCurve learned = router_curve("complexity", scores, weak, strong);
  RouterCurve random = random_router_curve(weak, strong, 200, 42);
  std::printf("held-out %zu rows: complexity APGR %.4f CPT(50%%) %.3f CPT(80%%) %.3f; random APGR %.4f\n",
              held.size(), learned.apgr, learned.cpt50, learned.cpt80, random.apgr);
  EXPECT_GT(learned.apgr, random.apgr + 0.05);

  // Save / load keeps scores and threshold.
  occam::testing::TempDir dir;
  ASSERT_TRUE(model->save(dir.path() / "m.json").ok());
  auto loaded = ComplexityModel::load(dir.path() / "m.json");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  EXPECT_DOUBLE_EQ(loaded->threshold(), model->threshold());
  EXPECT_NEAR(loaded->score(held[0].prompt), scores[0], 1e-6);
}

TEST(ComplexityRouter, BadFilesAreErrors) {
  occam::testing::TempDir dir;
  auto write = [&](const char* text) {
    std::ofstream(dir.path() / "x") << text;
    return dir.path() / "x";
  };
  EXPECT_FALSE(ComplexityModel::load(write("not json")).ok());
  EXPECT_FALSE(ComplexityModel::load(write("{\"format\": \"other\"}")).ok());
  EXPECT_FALSE(
      ComplexityModel::load(
          write(
              R"({"format":"occam-complexity","hash_bits":8,"bias":0,"threshold":0.5,"weights":[[999999,1]]})"))
          .ok());
  auto rows = load_outcome_rows(write("{\"prompt\": \"x\", \"outcomes\": {\"a\": \"yes\"}}\n"));
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.error().message().find(":1:"), std::string::npos) << rows.error().message();
}

}  // namespace
}  // namespace occam::router
