#include "router/eval.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <fmt/format.h>

namespace occam::router {
namespace {

double mean(std::span<const double> v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Quality after routing the prompts in `order` (strongest need first) one by one to the strong model.
std::vector<CurvePoint> curve_for_order(const std::vector<size_t>& order, std::span<const double> weak,
                                        std::span<const double> strong) {
  const size_t n = order.size();
  double total = std::accumulate(weak.begin(), weak.end(), 0.0);
  std::vector<CurvePoint> points;
  points.reserve(n + 1);
  points.push_back({0.0, n ? total / static_cast<double>(n) : 0.0, 0.0});
  for (size_t k = 0; k < n; ++k) {
    total += strong[order[k]] - weak[order[k]];
    points.push_back(
        {static_cast<double>(k + 1) / static_cast<double>(n), total / static_cast<double>(n), 0.0});
  }
  return points;
}

void finish_curve(RouterCurve& curve, double qw, double qs) {
  const double gap = qs - qw;
  for (CurvePoint& p : curve.points) p.pgr = gap != 0 ? (p.quality - qw) / gap : 0.0;
  // RouteLLM: (AUC_router - AUC_weak) / (AUC_strong - AUC_weak), trapezoids over the measured shares.
  double auc = 0, span = 0;
  for (size_t i = 1; i < curve.points.size(); ++i) {
    double dx = curve.points[i].strong_share - curve.points[i - 1].strong_share;
    auc += dx * (curve.points[i].quality + curve.points[i - 1].quality) / 2;
    span += dx;
  }
  curve.apgr = gap != 0 && span > 0 ? (auc - qw * span) / (gap * span) : 0.0;
  curve.cpt50 = share_for_quality(curve, qw + 0.50 * gap);
  curve.cpt80 = share_for_quality(curve, qw + 0.80 * gap);
  curve.cpt95 = share_for_quality(curve, qw + 0.95 * gap);
}

}  // namespace

double share_for_quality(const RouterCurve& curve, double target) {
  const auto& p = curve.points;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i].quality + 1e-12 >= target) {
      if (i == 0) return p[0].strong_share;
      double dq = p[i].quality - p[i - 1].quality;
      double t = dq > 0 ? (target - p[i - 1].quality) / dq : 1.0;
      return p[i - 1].strong_share + t * (p[i].strong_share - p[i - 1].strong_share);
    }
  }
  return NAN;
}

EvalSummary summarize(std::span<const double> weak, std::span<const double> strong) {
  EvalSummary s;
  s.rows = weak.size();
  s.weak_quality = mean(weak);
  s.strong_quality = mean(strong);
  // The oracle sends to the strong model exactly the prompts where it is better, biggest gain first.
  std::vector<double> oracle_score(weak.size());
  for (size_t i = 0; i < weak.size(); ++i) oracle_score[i] = weak[i] - strong[i];
  RouterCurve oracle = router_curve("oracle", oracle_score, weak, strong);
  s.oracle_cpt50 = oracle.cpt50;
  s.oracle_cpt80 = oracle.cpt80;
  return s;
}

RouterCurve router_curve(std::string name, std::span<const double> weak_score, std::span<const double> weak,
                         std::span<const double> strong) {
  std::vector<size_t> order(weak_score.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return weak_score[a] < weak_score[b]; });
  RouterCurve curve;
  curve.name = std::move(name);
  curve.points = curve_for_order(order, weak, strong);
  finish_curve(curve, mean(weak), mean(strong));
  return curve;
}

RouterCurve random_router_curve(std::span<const double> weak, std::span<const double> strong, int repeats,
                                uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<size_t> order(weak.size());
  RouterCurve curve;
  curve.name = "random";
  for (int r = 0; r < std::max(1, repeats); ++r) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    auto points = curve_for_order(order, weak, strong);
    if (curve.points.empty()) {
      curve.points = std::move(points);
    } else {
      for (size_t i = 0; i < points.size(); ++i) curve.points[i].quality += points[i].quality;
    }
  }
  for (CurvePoint& p : curve.points) p.quality /= std::max(1, repeats);
  finish_curve(curve, mean(weak), mean(strong));
  return curve;
}

std::string eval_html(const EvalSummary& s, const std::string& title) {
  const double w = 640, h = 400, left = 60, bottom = 40, top = 20, right = 20;
  double qmin = std::min(s.weak_quality, s.strong_quality), qmax = std::max(s.weak_quality, s.strong_quality);
  for (const RouterCurve& c : s.routers)
    for (const CurvePoint& p : c.points) {
      qmin = std::min(qmin, p.quality);
      qmax = std::max(qmax, p.quality);
    }
  if (qmax <= qmin) qmax = qmin + 1e-3;
  auto x = [&](double share) { return left + share * (w - left - right); };
  auto y = [&](double q) { return top + (1.0 - (q - qmin) / (qmax - qmin)) * (h - top - bottom); };
  static const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"};
  std::string svg = fmt::format("<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}'>", w, h);
  svg += fmt::format("<rect x='{}' y='{}' width='{}' height='{}' fill='none' stroke='#999'/>", left, top,
                     w - left - right, h - top - bottom);
  for (int i = 0; i <= 10; ++i) {
    double share = i / 10.0;
    svg += fmt::format("<text x='{:.1f}' y='{:.1f}' font-size='10' text-anchor='middle'>{}%</text>", x(share),
                       h - bottom + 14, i * 10);
  }
  for (int i = 0; i <= 4; ++i) {
    double q = qmin + (qmax - qmin) * i / 4.0;
    svg += fmt::format("<text x='{:.1f}' y='{:.1f}' font-size='10' text-anchor='end'>{:.3f}</text>", left - 4,
                       y(q) + 3, q);
  }
  svg +=
      fmt::format("<text x='{:.1f}' y='{:.1f}' font-size='12' text-anchor='middle'>strong-model calls</text>",
                  x(0.5), h - 6);
  svg += fmt::format(
      "<line x1='{0:.1f}' x2='{1:.1f}' y1='{2:.1f}' y2='{2:.1f}' stroke='#aaa' stroke-dasharray='4'/>", x(0),
      x(1), y(s.weak_quality));
  svg += fmt::format(
      "<line x1='{0:.1f}' x2='{1:.1f}' y1='{2:.1f}' y2='{2:.1f}' stroke='#d62728' stroke-dasharray='4'/>",
      x(0), x(1), y(s.strong_quality));
  std::string legend;
  for (size_t i = 0; i < s.routers.size(); ++i) {
    const RouterCurve& c = s.routers[i];
    std::string path;
    // At most ~400 vertices per curve: enough for the eye, small page.
    size_t step = std::max<size_t>(1, c.points.size() / 400);
    for (size_t j = 0; j < c.points.size(); j += step) {
      path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", x(c.points[j].strong_share),
                          y(c.points[j].quality));
    }
    const CurvePoint& last = c.points.back();
    path += fmt::format(" L{:.1f},{:.1f}", x(last.strong_share), y(last.quality));
    svg += fmt::format("<path d='{}' fill='none' stroke='{}' stroke-width='1.5'/>", path, colors[i % 5]);
    legend += fmt::format(
        "<li style='color:{}'>{}: APGR {:.3f}, CPT(50%) {:.1f}%, CPT(80%) {:.1f}%, CPT(95%) {:.1f}%</li>",
        colors[i % 5], c.name, c.apgr, 100 * c.cpt50, 100 * c.cpt80, 100 * c.cpt95);
  }
  svg += "</svg>";
  return fmt::format(
      "<!doctype html><html><head><meta charset='utf-8'><title>{0}</title></head><body>"
      "<h2>{0}</h2><p>{1} prompts; weak model quality {2:.3f} (grey), strong model quality {3:.3f} (red).</p>"
      "{4}<ul>{5}</ul></body></html>\n",
      title, s.rows, s.weak_quality, s.strong_quality, svg, legend);
}

}  // namespace occam::router
