// `occam router train|calibrate|eval`: the complexity router on routing data (routellm_gsm8k's format:
// a prompt and, per model, whether it was correct or a score).
//
//   occam router train --data gsm8k_outcomes.jsonl -o gsm8k.occam-complexity      # held-out split kept aside
//   occam router calibrate --model gsm8k.occam-complexity --data rows.jsonl --target-quality 0.95
//   occam router eval --router gsm8k.occam-complexity --data gsm8k_outcomes.jsonl [--json] [--html
//   curve.html]
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <boost/json.hpp>

#include "cli/command.h"
#include "router/complexity.h"
#include "router/eval.h"

namespace occam::cli {
namespace {

using namespace ::occam::router;

struct SplitArgs {
  double holdout = 0.3;
  uint64_t seed = 42;
  bool keep_contaminated = false;
};

struct RouterArgs {
  std::string data, output, model, strong, weak, html, split = "heldout";
  double target = 0.95, c = 1.0;
  int random_repeats = 200;
  bool json = false;
  SplitArgs split_args;
};

void add_split_options(CLI::App* app, RouterArgs& a) {
  app->add_option("--holdout", a.split_args.holdout, "share of rows held out for evaluation (fixed seed)")
      ->check(CLI::Range(0.0, 0.9));
  app->add_option("--seed", a.split_args.seed, "seed of the held-out split");
  app->add_flag("--keep-contaminated", a.split_args.keep_contaminated, "keep rows flagged contaminated");
  app->add_option("--strong", a.strong, "strong model name (default: the better one on average)");
  app->add_option("--weak", a.weak, "weak model name (default: the worse one on average)");
}

// Rows of one split: "train" (not held out), "heldout", or "all".
Result<std::vector<OutcomeRow>> load_split(const RouterArgs& a, const std::string& split) {
  OCCAM_ASSIGN_OR_RETURN(auto rows, load_outcome_rows(a.data));
  std::vector<OutcomeRow> out;
  for (OutcomeRow& r : rows) {
    if (r.contaminated && !a.split_args.keep_contaminated) continue;
    bool held = is_held_out(r, a.split_args.holdout, a.split_args.seed);
    if (split == "all" || (split == "heldout") == held) out.push_back(std::move(r));
  }
  if (out.empty())
    return make_error(ErrorCode::invalid_argument, "no rows in split '{}' of '{}'", split, a.data);
  return out;
}

int fail(const Error& e) {
  std::fprintf(stderr, "occam router: %s\n", e.message().c_str());
  return kExitFailure;
}

void qualities(const std::vector<OutcomeRow>& rows, const ModelPair& pair, std::vector<double>& weak,
               std::vector<double>& strong) {
  for (const OutcomeRow& r : rows) {
    auto w = r.quality.find(pair.weak);
    auto s = r.quality.find(pair.strong);
    weak.push_back(w == r.quality.end() ? 0.0 : w->second);
    strong.push_back(s == r.quality.end() ? 0.0 : s->second);
  }
}

int run_train(const RouterArgs& a) {
  auto rows = load_split(a, "train");
  if (!rows.ok()) return fail(rows.error());
  auto pair = pick_model_pair(*rows, a.strong, a.weak);
  if (!pair.ok()) return fail(pair.error());
  ComplexityTrainOptions options;
  options.c = a.c;
  auto model = train_calibrated(*rows, *pair, options, a.target);
  if (!model.ok()) return fail(model.error());
  Status saved = model->save(a.output);
  if (!saved.ok()) return fail(saved.error());
  std::fprintf(stderr,
               "trained on %zu rows (strong %s, weak %s); threshold %.4f for %.0f%% of strong quality "
               "(out-of-fold); wrote %s\n",
               rows->size(), pair->strong.c_str(), pair->weak.c_str(), model->threshold(), 100 * a.target,
               a.output.c_str());
  return kExitOk;
}

int run_calibrate(const RouterArgs& a) {
  auto model = ComplexityModel::load(a.model);
  if (!model.ok()) return fail(model.error());
  auto rows = load_split(a, a.split);
  if (!rows.ok()) return fail(rows.error());
  std::vector<double> scores, weak, strong;
  for (const OutcomeRow& r : *rows) scores.push_back(model->score(r.prompt));
  qualities(*rows, model->pair(), weak, strong);
  double before = model->threshold();
  model->set_threshold(calibrate_threshold(scores, weak, strong, a.target));
  Status saved = model->save(a.model);
  if (!saved.ok()) return fail(saved.error());
  std::printf("threshold %.4f -> %.4f (target %.0f%% of %s quality on %zu rows of split '%s')\n", before,
              model->threshold(), 100 * a.target, model->pair().strong.c_str(), rows->size(),
              a.split.c_str());
  return kExitOk;
}

int run_eval(const RouterArgs& a) {
  auto model = ComplexityModel::load(a.model);
  if (!model.ok()) return fail(model.error());
  auto rows = load_split(a, a.split);
  if (!rows.ok()) return fail(rows.error());
  std::vector<double> scores, weak, strong;
  for (const OutcomeRow& r : *rows) scores.push_back(model->score(r.prompt));
  qualities(*rows, model->pair(), weak, strong);
  EvalSummary summary = summarize(weak, strong);
  summary.routers.push_back(router_curve("complexity", scores, weak, strong));
  summary.routers.push_back(random_router_curve(weak, strong, a.random_repeats, a.split_args.seed));
  // The operating point of the calibrated threshold.
  size_t to_strong = 0;
  double quality = 0;
  for (size_t i = 0; i < rows->size(); ++i) {
    bool s = scores[i] < model->threshold();
    to_strong += s ? 1 : 0;
    quality += s ? strong[i] : weak[i];
  }
  const double n = static_cast<double>(rows->size());
  if (!a.html.empty()) {
    std::ofstream out(a.html, std::ios::trunc);
    out << eval_html(summary, "occam router eval: " + a.data);
    if (!out.flush()) return fail(make_error(ErrorCode::io, "cannot write '{}'", a.html));
  }
  if (a.json) {
    boost::json::object o;
    o["rows"] = rows->size();
    o["split"] = a.split;
    o["strong_model"] = model->pair().strong;
    o["weak_model"] = model->pair().weak;
    o["strong_quality"] = summary.strong_quality;
    o["weak_quality"] = summary.weak_quality;
    o["oracle_cpt50"] = summary.oracle_cpt50;
    o["oracle_cpt80"] = summary.oracle_cpt80;
    boost::json::array routers;
    for (const RouterCurve& c : summary.routers) {
      auto num = [](double v) {
        return std::isfinite(v) ? boost::json::value(v) : boost::json::value(nullptr);
      };
      routers.push_back({{"router", c.name},
                         {"apgr", c.apgr},
                         {"cpt50", num(c.cpt50)},
                         {"cpt80", num(c.cpt80)},
                         {"cpt95", num(c.cpt95)}});
    }
    o["routers"] = std::move(routers);
    o["threshold"] = model->threshold();
    o["threshold_strong_share"] = static_cast<double>(to_strong) / n;
    o["threshold_quality"] = quality / n;
    std::cout << boost::json::serialize(o) << "\n";
    return kExitOk;
  }
  std::printf(
      "%zu rows (split %s); %s quality %.4f, %s quality %.4f; oracle CPT(50%%) %.1f%%, CPT(80%%) %.1f%%\n",
      rows->size(), a.split.c_str(), model->pair().strong.c_str(), summary.strong_quality,
      model->pair().weak.c_str(), summary.weak_quality, 100 * summary.oracle_cpt50,
      100 * summary.oracle_cpt80);
  std::printf("%-12s %8s %10s %10s %10s\n", "router", "APGR", "CPT(50%)", "CPT(80%)", "CPT(95%)");
  for (const RouterCurve& c : summary.routers) {
    std::printf("%-12s %8.4f %9.1f%% %9.1f%% %9.1f%%\n", c.name.c_str(), c.apgr, 100 * c.cpt50, 100 * c.cpt80,
                100 * c.cpt95);
  }
  std::printf("%-12s %8s %9.1f%% (quality %.4f, %.1f%% of the strong model)\n", "best single", "-", 100.0,
              summary.strong_quality, 100.0);
  std::printf("threshold %.4f: %.1f%% strong calls, quality %.4f (%.1f%% of the strong model)\n",
              model->threshold(), 100.0 * static_cast<double>(to_strong) / n, quality / n,
              summary.strong_quality > 0 ? 100 * quality / n / summary.strong_quality : 0.0);
  return kExitOk;
}

CommandRun setup_router(CLI::App& app) {
  auto a = std::make_shared<RouterArgs>();
  app.require_subcommand(1);
  CLI::App* train = app.add_subcommand("train", "Train the complexity router (held-out rows kept aside)");
  train->add_option("--data", a->data, "routing data (JSONL)")->required();
  train->add_option("-o,--output", a->output, "model file to write")->required();
  train->add_option("--c", a->c, "liblinear C");
  train->add_option("--target-quality", a->target,
                    "threshold keeps this share of the strong model's quality");
  add_split_options(train, *a);
  CLI::App* calibrate = app.add_subcommand("calibrate", "Set the threshold for a target quality");
  calibrate->add_option("--model", a->model, "complexity model (rewritten)")->required();
  calibrate->add_option("--data", a->data, "routing data (JSONL)")->required();
  calibrate->add_option("--target-quality", a->target, "share of the strong model's quality to keep")
      ->required();
  calibrate->add_option("--split", a->split, "train, heldout or all (default heldout)");
  add_split_options(calibrate, *a);
  CLI::App* eval = app.add_subcommand("eval", "Quality/cost curve, APGR and CPT against a random router");
  eval->add_option("--router", a->model, "complexity model")->required();
  eval->add_option("--data", a->data, "routing data (JSONL)")->required();
  eval->add_option("--split", a->split, "heldout (default), train or all");
  eval->add_option("--html", a->html, "write the curves as a self-contained HTML page");
  eval->add_option("--random-repeats", a->random_repeats, "random orders averaged for the random router");
  eval->add_flag("--json", a->json, "figures as JSON");
  add_split_options(eval, *a);
  return [a, train, calibrate, eval]() -> int {
    for (const std::string* split : {&a->split})
      if (*split != "train" && *split != "heldout" && *split != "all") {
        std::fprintf(stderr, "occam router: --split must be train, heldout or all\n");
        return kExitUsage;
      }
    if (train->parsed()) return run_train(*a);
    if (calibrate->parsed()) return run_calibrate(*a);
    if (eval->parsed()) return run_eval(*a);
    return kExitUsage;
  };
}

}  // namespace

OCCAM_REGISTER_COMMAND(router, "Train, calibrate and evaluate the complexity router", setup_router);

}  // namespace occam::cli
