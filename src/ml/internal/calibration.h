// Probability calibration and the out-of-scope threshold, fitted on a validation split.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace occam::ml::internal {

// p = softmax(z / temperature), in place.
void softmax(std::span<float> values, float temperature);

// Temperature minimising the mean negative log-likelihood of `truth` under softmax(z / T)
// (Guo et al. 2017). `logits` is n × k row-major.
float fit_temperature(std::span<const float> logits, std::span<const int> truth, uint32_t k);

// Platt scaling shared by all outputs: p = sigmoid(a z + b) fitted on (score, target ∈ {0,1}).
void fit_platt(std::span<const float> scores, std::span<const uint8_t> targets, float& a, float& b);

// Expected calibration error of top-label confidences, 15 equal-width bins.
double expected_calibration_error(std::span<const float> confidence, std::span<const uint8_t> correct,
                                  int bins = 15);

// The OOS threshold rule. A query is rejected when the OOS class is the most probable or when
// the best in-scope probability is below t. With
//   in-scope accuracy(t) = share of in-scope examples answered with the right label and kept,
//   OOS recall(t)        = share of OOS examples rejected,
// t is the largest threshold (so the highest OOS recall) whose in-scope accuracy stays within
// `max_in_scope_loss` (absolute, e.g. 0.02 = 2 points) of the accuracy at t = 0 — "catch as much
// out-of-scope traffic as possible while losing at most 2% of the answers we would get right".
// `confidence` is the best in-scope probability, `predicted_oos` whether the OOS class won,
// `in_scope_correct` whether the best in-scope label is right. No OOS example → 0.
float choose_oos_threshold(std::span<const float> confidence, std::span<const uint8_t> is_oos,
                           std::span<const uint8_t> predicted_oos, std::span<const uint8_t> in_scope_correct,
                           double max_in_scope_loss);

}  // namespace occam::ml::internal
