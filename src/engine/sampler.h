// Token sampling: penalties, greedy / temperature with top-k, top-p, min-p, seeded randomness,
// top-N log-probabilities, and a mask hook for constrained decoding (JSON-schema grammars).
// The chain follows llama.cpp's common sampler order: mask → penalties → top-k → top-p → min-p →
// temperature → draw.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <vector>

namespace occam::engine {

struct SamplerParams {
  float temperature = 0.0f;      // ≤ 0: greedy (lowest id wins ties)
  int top_k = 0;                 // ≤ 0: off
  float top_p = 1.0f;            // ≥ 1: off
  float min_p = 0.0f;            // ≤ 0: off; keeps p ≥ min_p · p_max
  float repeat_penalty = 1.0f;   // 1: off; logit / penalty if > 0 else · penalty (CTRL / llama.cpp)
  float frequency_penalty = 0.0f;  // − count · f   (OpenAI)
  float presence_penalty = 0.0f;   // − (count > 0) · p
  int penalty_last_n = 64;       // window of recent tokens the penalties look at (-1: all)
  uint64_t seed = 0;
  int n_logprobs = 0;            // top-N log-probabilities to report per token (0: none)
};

struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0.0f;
};

// Log-probabilities of the model's distribution (log-softmax of the raw logits, before penalties
// and temperature) for the chosen token and the top N.
struct TokenLogprobs {
  float chosen = 0.0f;
  std::vector<TokenLogprob> top;
};

// Given candidate token ids, writes allowed[i] = 0 to forbid candidates[i] (allowed starts all 1).
using TokenMask = std::function<void(std::span<const int32_t> candidates, std::span<uint8_t> allowed)>;

class Sampler {
 public:
  Sampler(const SamplerParams& params, int32_t n_vocab);

  // Picks the next token from one row of logits (n_vocab floats); fills `logprobs` when given and
  // params.n_logprobs > 0 (chosen is always filled when logprobs is given). Returns -1 when the mask
  // forbids every token.
  int32_t sample(std::span<const float> logits, TokenLogprobs* logprobs = nullptr);
  // Records a token for the penalties (prompt tokens too, if they should count).
  void accept(int32_t token);
  void reset();  // forget history; the random stream restarts from the seed
  void set_mask(TokenMask mask) { mask_ = std::move(mask); }
  const SamplerParams& params() const { return params_; }

 private:
  struct Candidate {
    int32_t id;
    float logit;
  };
  void apply_penalties();
  void fill_logprobs(std::span<const float> logits, int32_t chosen, TokenLogprobs& out);

  SamplerParams params_;
  int32_t n_vocab_;
  std::mt19937_64 rng_;
  TokenMask mask_;
  std::vector<int32_t> history_;
  std::vector<Candidate> cand_;      // reused between calls (no allocation per token)
  std::vector<Candidate> scratch_;   // top-N log-probabilities
  std::vector<int32_t> ids_;
  std::vector<uint8_t> allowed_;
  std::vector<float> probs_;
  std::vector<int32_t> counts_;      // per vocab id, within the penalty window
};

}  // namespace occam::engine
