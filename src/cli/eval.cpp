// `occam eval --model MODEL --data FILE.jsonl`: accuracy, macro-F1, per-class table, confused
// pairs, calibration error, out-of-scope figures and the coverage/accuracy curve (ml/evaluate.h).
#include <cstdio>
#include <iostream>

#include <boost/json.hpp>

#include "cli/command.h"
#include "ml/evaluate.h"

namespace occam::cli {

namespace {

struct EvalArgs {
  std::string model, data, split = "test", oos_label, text_field = "text", label_field = "label",
                            split_field = "split";
  bool json = false;
  int threads = 2;
};

boost::json::object report_json(const ml::EvalReport& r, const ml::Classifier& model) {
  boost::json::object o;
  o["examples"] = r.examples;
  o["accuracy"] = r.accuracy;
  o["macro_f1"] = r.macro_f1;
  if (model.multi_label()) o["micro_f1"] = r.micro_f1;
  o["ece"] = r.ece;
  o["ece_uncalibrated"] = r.ece_uncalibrated;
  if (r.has_oos) {
    boost::json::object oos;
    oos["threshold"] = r.threshold;
    oos["in_scope_accuracy"] = r.in_scope_accuracy;
    oos["oos_recall"] = r.oos_recall;
    oos["oos_precision"] = r.oos_precision;
    oos["in_scope_examples"] = r.in_scope_examples;
    oos["oos_examples"] = r.oos_examples;
    o["out_of_scope"] = oos;
  }
  boost::json::array classes;
  for (const auto& c : r.per_class) {
    classes.push_back({{"label", c.label}, {"support", c.support}, {"predicted", c.predicted},
                       {"precision", c.precision}, {"recall", c.recall}, {"f1", c.f1}});
  }
  o["per_class"] = classes;
  boost::json::array confused;
  for (const auto& p : r.confused) {
    confused.push_back({{"truth", p.truth}, {"predicted", p.predicted}, {"count", p.count}});
  }
  o["confused"] = confused;
  boost::json::array coverage;
  for (const auto& p : r.coverage) {
    coverage.push_back({{"threshold", p.threshold}, {"coverage", p.coverage}, {"accuracy", p.accuracy}});
  }
  o["coverage"] = coverage;
  o["seconds"] = r.seconds;
  return o;
}

void print_report(const ml::EvalReport& r, const ml::Classifier& model) {
  std::printf("examples        %zu\n", r.examples);
  std::printf("accuracy        %.4f%s\n", r.accuracy, model.multi_label() ? " (exact match)" : "");
  if (model.multi_label()) std::printf("micro-F1        %.4f\n", r.micro_f1);
  std::printf("macro-F1        %.4f\n", r.macro_f1);
  std::printf("ECE             %.4f (uncalibrated %.4f)\n", r.ece, r.ece_uncalibrated);
  if (r.has_oos) {
    std::printf("out of scope    threshold %.4f: in-scope accuracy %.4f (%zu), OOS recall %.4f, precision %.4f (%zu)\n",
                r.threshold, r.in_scope_accuracy, r.in_scope_examples, r.oos_recall, r.oos_precision,
                r.oos_examples);
  }
  std::printf("\n%-40s %8s %8s %8s %8s\n", "label", "support", "prec", "recall", "f1");
  for (const auto& c : r.per_class) {
    std::printf("%-40s %8zu %8.3f %8.3f %8.3f\n", c.label.c_str(), c.support, c.precision, c.recall, c.f1);
  }
  if (!r.confused.empty()) {
    std::printf("\nmost confused (truth -> predicted)\n");
    for (const auto& p : r.confused) std::printf("%5zu  %s -> %s\n", p.count, p.truth.c_str(), p.predicted.c_str());
  }
  std::printf("\ncoverage / accuracy (answers with confidence >= t)\n%6s %9s %9s\n", "t", "coverage", "accuracy");
  for (const auto& p : r.coverage) std::printf("%6.2f %9.4f %9.4f\n", p.threshold, p.coverage, p.accuracy);
}

int run_eval(const EvalArgs& a) {
  auto model = ml::Classifier::load(a.model);
  if (!model.ok()) {
    std::fprintf(stderr, "occam eval: %s\n", model.error().message().c_str());
    return kExitFailure;
  }
  ml::DatasetOptions dopts;
  dopts.text_field = a.text_field;
  dopts.label_field = a.label_field;
  dopts.split_field = a.split_field;
  dopts.numeric_fields = model->numeric_fields();
  auto data = ml::load_jsonl(a.data, dopts);
  if (!data.ok()) {
    std::fprintf(stderr, "occam eval: %s\n", data.error().message().c_str());
    return kExitFailure;
  }
  ml::EvalOptions options;
  options.split = a.split;
  options.oos_label = a.oos_label;
  options.threads = a.threads;
  auto report = ml::evaluate(*model, *data, options);
  if (!report.ok()) {
    std::fprintf(stderr, "occam eval: %s\n", report.error().message().c_str());
    return kExitFailure;
  }
  if (a.json) {
    std::cout << boost::json::serialize(report_json(*report, *model)) << "\n";
  } else {
    print_report(*report, *model);
  }
  return kExitOk;
}

CommandRun setup_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  app.add_option("--model", args->model, "model file (occam train classify)")->required();
  app.add_option("--data", args->data, "JSONL data")->required();
  app.add_option("--split", args->split, "split to evaluate (\"\" = all)")->capture_default_str();
  app.add_option("--oos-label", args->oos_label, "label of out-of-scope examples (default: the model's)");
  app.add_option("--text-field", args->text_field, "field holding the text")->capture_default_str();
  app.add_option("--label-field", args->label_field, "field holding the label")->capture_default_str();
  app.add_option("--split-field", args->split_field, "field holding the split")->capture_default_str();
  app.add_option("--threads", args->threads, "evaluation threads")->capture_default_str();
  app.add_flag("--json", args->json, "print the report as one JSON object");
  return [args] { return run_eval(*args); };
}

}  // namespace

OCCAM_REGISTER_COMMAND(eval, "Evaluate a classifier on labelled JSONL", setup_eval);

}  // namespace occam::cli
