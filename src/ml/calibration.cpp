#include "ml/internal/calibration.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace occam::ml::internal {

void softmax(std::span<float> values, float temperature) {
  if (values.empty()) return;
  const float inv = 1.0f / temperature;
  float top = *std::max_element(values.begin(), values.end());
  float sum = 0.0f;
  for (float& v : values) {
    v = std::exp((v - top) * inv);
    sum += v;
  }
  for (float& v : values) v /= sum;
}

namespace {

double mean_nll(std::span<const float> logits, std::span<const int> truth, uint32_t k, double inv_t) {
  double total = 0.0;
  const size_t n = truth.size();
  for (size_t i = 0; i < n; ++i) {
    const float* z = logits.data() + i * k;
    double top = *std::max_element(z, z + k);
    double sum = 0.0;
    for (uint32_t j = 0; j < k; ++j) sum += std::exp((z[j] - top) * inv_t);
    total += std::log(sum) - (z[truth[i]] - top) * inv_t;
  }
  return n ? total / static_cast<double>(n) : 0.0;
}

}  // namespace

float fit_temperature(std::span<const float> logits, std::span<const int> truth, uint32_t k) {
  if (truth.empty() || k < 2) return 1.0f;
  // Golden-section search on ln T in [ln 0.01, ln 100]; the NLL is convex in 1/T.
  double lo = std::log(0.01), hi = std::log(100.0);
  const double g = (std::sqrt(5.0) - 1.0) / 2.0;
  double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
  double fa = mean_nll(logits, truth, k, std::exp(-a)), fb = mean_nll(logits, truth, k, std::exp(-b));
  for (int it = 0; it < 50; ++it) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - g * (hi - lo);
      fa = mean_nll(logits, truth, k, std::exp(-a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + g * (hi - lo);
      fb = mean_nll(logits, truth, k, std::exp(-b));
    }
  }
  return static_cast<float>(std::exp((lo + hi) / 2.0));
}

void fit_platt(std::span<const float> scores, std::span<const uint8_t> targets, float& a_out, float& b_out) {
  // Newton's method on the logistic loss of (a z + b), with a small ridge for stability.
  double a = 1.0, b = 0.0;
  const size_t n = scores.size();
  if (n == 0) {
    a_out = 1.0f;
    b_out = 0.0f;
    return;
  }
  auto loss = [&](double pa, double pb) {
    double total = 0.0;
    for (size_t i = 0; i < n; ++i) {
      double m = pa * scores[i] + pb;
      double y = targets[i] ? 1.0 : 0.0;
      total += std::max(m, 0.0) - m * y + std::log1p(std::exp(-std::abs(m)));
    }
    return total / static_cast<double>(n) + 1e-6 * (pa * pa + pb * pb);
  };
  double current = loss(a, b);
  for (int it = 0; it < 50; ++it) {
    double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (size_t i = 0; i < n; ++i) {
      double z = scores[i];
      double p = 1.0 / (1.0 + std::exp(-(a * z + b)));
      double r = p - (targets[i] ? 1.0 : 0.0);
      double w = p * (1.0 - p);
      ga += r * z;
      gb += r;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    const double inv_n = 1.0 / static_cast<double>(n);
    ga = ga * inv_n + 2e-6 * a;
    gb = gb * inv_n + 2e-6 * b;
    haa = haa * inv_n + 2e-6 + 1e-9;
    hab *= inv_n;
    hbb = hbb * inv_n + 2e-6 + 1e-9;
    const double det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    double da = (hbb * ga - hab * gb) / det;
    double db = (haa * gb - hab * ga) / det;
    double step = 1.0;
    double next = loss(a - da, b - db);
    while (next > current && step > 1e-4) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > current) break;
    a -= step * da;
    b -= step * db;
    if (current - next < 1e-10) {
      current = next;
      break;
    }
    current = next;
  }
  a_out = static_cast<float>(a);
  b_out = static_cast<float>(b);
}

double expected_calibration_error(std::span<const float> confidence, std::span<const uint8_t> correct, int bins) {
  std::vector<double> conf_sum(bins, 0.0), hits(bins, 0.0), count(bins, 0.0);
  for (size_t i = 0; i < confidence.size(); ++i) {
    int bin = std::clamp(static_cast<int>(confidence[i] * static_cast<float>(bins)), 0, bins - 1);
    conf_sum[bin] += confidence[i];
    hits[bin] += correct[i] ? 1.0 : 0.0;
    count[bin] += 1.0;
  }
  double ece = 0.0;
  for (int b = 0; b < bins; ++b) {
    if (count[b] > 0) ece += std::abs(hits[b] - conf_sum[b]);
  }
  return confidence.empty() ? 0.0 : ece / static_cast<double>(confidence.size());
}

float choose_oos_threshold(std::span<const float> confidence, std::span<const uint8_t> is_oos,
                           std::span<const uint8_t> predicted_oos, std::span<const uint8_t> in_scope_correct,
                           double max_in_scope_loss) {
  const size_t n = confidence.size();
  size_t n_in = 0, n_oos = 0;
  for (size_t i = 0; i < n; ++i) (is_oos[i] ? n_oos : n_in)++;
  if (n_in == 0 || n_oos == 0) return 0.0f;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return confidence[x] < confidence[y]; });
  size_t kept_correct = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!is_oos[i]) kept_correct += (!predicted_oos[i] && in_scope_correct[i]);
  }
  const double floor = static_cast<double>(kept_correct) / static_cast<double>(n_in) - max_in_scope_loss - 1e-12;
  float best_t = 0.0f;
  // Raising t past confidence c rejects every example with confidence ≤ c; in-scope accuracy only
  // falls and OOS recall only rises, so the last feasible t is the answer.
  for (size_t p = 0; p < n;) {
    const float c = confidence[order[p]];
    size_t q = p;
    while (q < n && confidence[order[q]] == c) {
      size_t i = order[q];
      if (!predicted_oos[i] && !is_oos[i] && in_scope_correct[i]) --kept_correct;
      ++q;
    }
    if (static_cast<double>(kept_correct) / static_cast<double>(n_in) < floor) break;
    best_t = std::min(1.0f, q < n ? (c + confidence[order[q]]) / 2.0f : std::nextafter(c, 2.0f));
    p = q;
  }
  return best_t;
}

}  // namespace occam::ml::internal
