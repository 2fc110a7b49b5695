#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace occam::engine {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Higher logit first; the lower id wins a tie, so greedy and top-k are deterministic.
struct ByLogitDesc {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  }
};

}  // namespace

Sampler::Sampler(const SamplerParams& params, int32_t n_vocab)
    : params_(params), n_vocab_(n_vocab), rng_(params.seed) {
  cand_.reserve(static_cast<size_t>(n_vocab));
  counts_.assign(static_cast<size_t>(n_vocab), 0);
}

void Sampler::accept(int32_t token) { history_.push_back(token); }

void Sampler::reset() {
  history_.clear();
  rng_.seed(params_.seed);
}

void Sampler::apply_penalties() {
  const bool any = params_.repeat_penalty != 1.0f || params_.frequency_penalty != 0.0f ||
                   params_.presence_penalty != 0.0f;
  if (!any || history_.empty() || params_.penalty_last_n == 0) return;
  size_t n = history_.size();
  if (params_.penalty_last_n > 0) n = std::min(n, static_cast<size_t>(params_.penalty_last_n));
  const auto window = std::span<const int32_t>(history_).last(n);
  for (int32_t t : window) {
    if (t >= 0 && t < n_vocab_) ++counts_[static_cast<size_t>(t)];
  }
  // cand_ still holds every id at index id (penalties run before any filtering).
  for (int32_t t : window) {
    if (t < 0 || t >= n_vocab_) continue;
    int32_t& count = counts_[static_cast<size_t>(t)];
    if (count == 0) continue;  // already applied for an earlier occurrence
    float& logit = cand_[static_cast<size_t>(t)].logit;
    if (logit != kNegInf) {
      logit = logit > 0 ? logit / params_.repeat_penalty : logit * params_.repeat_penalty;
      logit -= static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty;
    }
    count = 0;
  }
}

void Sampler::fill_logprobs(std::span<const float> logits, int32_t chosen, TokenLogprobs& out) {
  float max = kNegInf;
  for (float l : logits) max = std::max(max, l);
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l - max));
  const float log_z = max + static_cast<float>(std::log(sum));
  out.chosen = chosen >= 0 ? logits[static_cast<size_t>(chosen)] - log_z : kNegInf;
  out.top.clear();
  const int n = std::min(params_.n_logprobs, n_vocab_);
  if (n <= 0) return;
  // A separate scratch list: cand_ is being used by the caller.
  std::vector<Candidate>& all = scratch_;
  all.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) all[i] = {static_cast<int32_t>(i), logits[i]};
  std::partial_sort(all.begin(), all.begin() + n, all.end(), ByLogitDesc{});
  for (int i = 0; i < n; ++i) out.top.push_back({all[static_cast<size_t>(i)].id, all[static_cast<size_t>(i)].logit - log_z});
}

int32_t Sampler::sample(std::span<const float> logits, TokenLogprobs* logprobs) {
  const size_t n_vocab = std::min(logits.size(), static_cast<size_t>(n_vocab_));
  cand_.resize(n_vocab);
  for (size_t i = 0; i < n_vocab; ++i) cand_[i] = {static_cast<int32_t>(i), logits[i]};

  if (mask_) {
    ids_.resize(n_vocab);
    for (size_t i = 0; i < n_vocab; ++i) ids_[i] = static_cast<int32_t>(i);
    allowed_.assign(n_vocab, 1);
    mask_(ids_, allowed_);
    for (size_t i = 0; i < n_vocab; ++i) {
      if (!allowed_[i]) cand_[i].logit = kNegInf;
    }
  }
  apply_penalties();

  // Drop forbidden candidates (−inf) so that every later step works on real choices.
  std::erase_if(cand_, [](const Candidate& c) { return c.logit == kNegInf; });
  int32_t chosen = -1;
  if (cand_.empty()) {
    if (logprobs != nullptr) fill_logprobs(logits.first(n_vocab), chosen, *logprobs);
    return -1;
  }

  if (params_.temperature <= 0.0f) {
    chosen = std::min_element(cand_.begin(), cand_.end(), ByLogitDesc{})->id;
  } else {
    size_t n = cand_.size();
    size_t sorted = 0;  // cand_[0, sorted) is sorted by ByLogitDesc
    auto sort_prefix = [&](size_t m) {
      m = std::min(m, n);
      if (m <= sorted) return;
      std::partial_sort(cand_.begin() + static_cast<std::ptrdiff_t>(sorted),
                        cand_.begin() + static_cast<std::ptrdiff_t>(m),
                        cand_.begin() + static_cast<std::ptrdiff_t>(n), ByLogitDesc{});
      sorted = m;
    };
    if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n) {
      sort_prefix(static_cast<size_t>(params_.top_k));
      n = static_cast<size_t>(params_.top_k);
    }
    sort_prefix(1);
    const float max = cand_[0].logit;
    if (params_.top_p < 1.0f) {
      double z = 0;
      for (size_t i = 0; i < n; ++i) z += std::exp(static_cast<double>(cand_[i].logit - max));
      double cum = 0;
      size_t keep = n;
      size_t i = 0;
      // Sort only as far as the mass needs: 64, 256, 1024, ... candidates.
      for (size_t chunk = 64; i < n && keep == n; chunk *= 4) {
        sort_prefix(chunk);
        for (; i < sorted && i < n; ++i) {
          cum += std::exp(static_cast<double>(cand_[i].logit - max)) / z;
          if (cum >= params_.top_p) {
            keep = i + 1;
            break;
          }
        }
      }
      n = keep;
    }
    if (params_.min_p > 0.0f) {
      const float threshold = max + std::log(params_.min_p);
      size_t w = 0;
      for (size_t i = 0; i < n; ++i) {
        if (cand_[i].logit >= threshold) cand_[w++] = cand_[i];
      }
      n = std::max<size_t>(w, 1);
    }
    probs_.resize(n);
    double z = 0;
    for (size_t i = 0; i < n; ++i) {
      const double p = std::exp(static_cast<double>((cand_[i].logit - max) / params_.temperature));
      probs_[i] = static_cast<float>(p);
      z += p;
    }
    // 53 random bits → [0, 1): the same draw on every platform for a given seed.
    const double u = static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0) * z;
    double cum = 0;
    chosen = cand_[n - 1].id;
    for (size_t i = 0; i < n; ++i) {
      cum += probs_[i];
      if (u < cum) {
        chosen = cand_[i].id;
        break;
      }
    }
  }
  if (logprobs != nullptr) fill_logprobs(logits.first(n_vocab), chosen, *logprobs);
  return chosen;
}

}  // namespace occam::engine
