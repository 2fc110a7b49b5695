// Sampler: each stage on hand-made logits.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/sampler.h"

namespace occam::engine {
namespace {

TEST(Sampler, GreedyTakesLowestIdOnTies) {
  Sampler s({}, 4);
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, 2.0f};
  EXPECT_EQ(s.sample(logits), 1);
}

TEST(Sampler, MaskRestrictsCandidates) {
  Sampler s({}, 4);
  s.set_mask([](std::span<const int32_t> ids, std::span<uint8_t> allowed) {
    for (size_t i = 0; i < ids.size(); ++i) allowed[i] = ids[i] == 0 || ids[i] == 3;
  });
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 3.0f, 3.0f, 2.0f}), 3);
  s.set_mask([](std::span<const int32_t>, std::span<uint8_t> allowed) { std::fill(allowed.begin(), allowed.end(), 0); });
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 3.0f, 3.0f, 2.0f}), -1);
}

TEST(Sampler, RepetitionFrequencyPresencePenalties) {
  SamplerParams p;
  p.repeat_penalty = 1.1f;
  Sampler s(p, 3);
  s.accept(1);
  EXPECT_EQ(s.sample(std::vector<float>{0.0f, 3.0f, 2.9f}), 2);  // 3 / 1.1 < 2.9
  SamplerParams q;
  q.frequency_penalty = 0.5f;
  Sampler f(q, 3);
  f.accept(1);
  EXPECT_EQ(f.sample(std::vector<float>{0.0f, 3.0f, 2.6f}), 2);  // 3 − 0.5 = 2.5 < 2.6
}

TEST(Sampler, FrequencyPenaltyCountsOccurrences) {
  SamplerParams q;
  q.frequency_penalty = 0.3f;
  Sampler f(q, 3);
  f.accept(1);
  EXPECT_EQ(f.sample(std::vector<float>{0.0f, 3.0f, 2.6f}), 1);  // 2.7 > 2.6
  f.accept(1);
  EXPECT_EQ(f.sample(std::vector<float>{0.0f, 3.0f, 2.6f}), 2);  // 2.4 < 2.6
  SamplerParams r;
  r.presence_penalty = 0.3f;
  Sampler pr(r, 3);
  pr.accept(1);
  pr.accept(1);
  EXPECT_EQ(pr.sample(std::vector<float>{0.0f, 3.0f, 2.6f}), 1);  // presence counts once: 2.7
}

TEST(Sampler, TruncationsLeaveTheTopToken) {
  const std::vector<float> logits = {0.0f, 2.0f, 1.9f, -1.0f, 1.0f};
  for (int variant = 0; variant < 3; ++variant) {
    SamplerParams p;
    p.temperature = 1.0f;
    p.seed = 3;
    if (variant == 0) p.top_k = 1;
    if (variant == 1) p.top_p = 0.01f;
    if (variant == 2) p.min_p = 0.99f;
    Sampler s(p, 5);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(s.sample(logits), 1) << "variant " << variant;
  }
}

TEST(Sampler, TemperatureDrawFollowsTheDistributionAndSeed) {
  SamplerParams p;
  p.temperature = 1.0f;
  p.seed = 42;
  p.top_p = 1.0f;
  const std::vector<float> logits = {0.0f, std::log(3.0f)};  // p = 0.25 / 0.75
  Sampler a(p, 2), b(p, 2);
  int ones = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const int32_t x = a.sample(logits);
    EXPECT_EQ(x, b.sample(logits));  // same seed, same stream
    ones += x == 1;
  }
  EXPECT_NEAR(static_cast<double>(ones) / n, 0.75, 0.03);
  a.reset();
  Sampler c(p, 2);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(a.sample(logits), c.sample(logits));  // reset restarts the stream
}

TEST(Sampler, TopKThenTemperatureNeverLeavesTheTopK) {
  SamplerParams p;
  p.temperature = 5.0f;
  p.top_k = 2;
  p.seed = 9;
  Sampler s(p, 6);
  const std::vector<float> logits = {0.1f, 0.5f, 0.4f, 0.45f, 0.0f, 0.2f};
  for (int i = 0; i < 200; ++i) {
    const int32_t x = s.sample(logits);
    EXPECT_TRUE(x == 1 || x == 3) << x;
  }
}

TEST(Sampler, LogprobsOfTheModelDistribution) {
  SamplerParams p;
  p.n_logprobs = 3;
  Sampler s(p, 4);
  TokenLogprobs lp;
  const std::vector<float> logits = {std::log(0.1f), std::log(0.2f), std::log(0.3f), std::log(0.4f)};
  EXPECT_EQ(s.sample(logits, &lp), 3);
  ASSERT_EQ(lp.top.size(), 3u);
  EXPECT_EQ(lp.top[0].token, 3);
  EXPECT_NEAR(lp.top[0].logprob, std::log(0.4f), 1e-5);
  EXPECT_EQ(lp.top[2].token, 1);
  EXPECT_NEAR(lp.chosen, std::log(0.4f), 1e-5);
}

}  // namespace
}  // namespace occam::engine
