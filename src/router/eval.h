// Router evaluation as RouteLLM defines it (Ong et al. 2024, routellm/evals/evaluate.py): a router that
// sends a share c of the prompts to the strong model reaches quality q(c); the performance gap recovered is
// PGR(c) = (q(c) - q_weak) / (q_strong - q_weak); APGR is the area under q(c) above the weak model's,
// divided by the strong model's (trapezoids over the measured points); CPT(x%) is the strong-call share
// at which q reaches q_weak + x% of the gap (linear interpolation between measured points).
// Here the curve is measured at every cutoff (N+1 points: route the k prompts scored least likely to be
// handled by the weak model to the strong one), not at RouteLLM's 10 percentile thresholds.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace occam::router {

struct CurvePoint {
  double strong_share = 0;  // in [0, 1]
  double quality = 0;
  double pgr = 0;
};

struct RouterCurve {
  std::string name;
  std::vector<CurvePoint> points;  // strong_share ascending
  double apgr = 0;
  double cpt50 = 0, cpt80 = 0, cpt95 = 0;  // strong-call share (NaN when never reached)
};

struct EvalSummary {
  size_t rows = 0;
  double weak_quality = 0;
  double strong_quality = 0;
  double oracle_cpt50 = 0, oracle_cpt80 = 0;  // a perfect router (weak when it suffices)
  std::vector<RouterCurve> routers;
};

// `weak_score[i]` is the router's score that prompt i can stay on the weak model (higher = weaker suffices).
// Ties are broken by index so that the curve is deterministic.
RouterCurve router_curve(std::string name, std::span<const double> weak_score,
                         std::span<const double> weak_quality, std::span<const double> strong_quality);

// A random router: the mean of `repeats` seeded random orders.
RouterCurve random_router_curve(std::span<const double> weak_quality, std::span<const double> strong_quality,
                                int repeats, uint64_t seed);

// Fills weak/strong quality and the oracle figures.
EvalSummary summarize(std::span<const double> weak_quality, std::span<const double> strong_quality);

// The smallest strong share reaching `target` quality on a curve (interpolated), NaN when never reached.
double share_for_quality(const RouterCurve& curve, double target);

// A self-contained HTML page with the curves as inline SVG.
std::string eval_html(const EvalSummary& summary, const std::string& title);

}  // namespace occam::router
