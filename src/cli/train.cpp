// `occam train classify --data FILE.jsonl -o MODEL`: trains a classic-ML classifier (ml/ml.h).
#include <chrono>
#include <cstdio>
#include <iostream>

#include <boost/json.hpp>

#include "cli/command.h"
#include "ml/ml.h"

namespace occam::cli {

namespace {

struct TrainArgs {
  std::string data, output, text_field = "text", label_field = "label", split_field = "split";
  std::string model = "auto", oos_label;
  std::vector<std::string> numeric_fields;
  std::vector<double> c_grid;
  uint32_t hash_bits = 20;
  std::vector<uint32_t> word_ngrams{1, 2}, char_ngrams{2, 5};
  bool fold_accents = false, signed_hash = false, no_refit = false, json = false, quiet = false;
  float word_weight = 0.5f;
  double validation_fraction = 0.1, max_in_scope_loss = 0.02;
  uint64_t seed = 42;
  int threads = 2;
};

// A one-line progress bar on stderr, redrawn in place.
void draw_progress(double fraction, std::string_view stage, std::chrono::steady_clock::time_point start) {
  constexpr int kWidth = 30;
  int filled = static_cast<int>(fraction * kWidth);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r[%s] %3d%% %-12.*s %5.1fs", bar.c_str(), static_cast<int>(fraction * 100),
               static_cast<int>(stage.size()), stage.data(), seconds);
  if (fraction >= 1.0) std::fputc('\n', stderr);
  std::fflush(stderr);
}

int run_train(const TrainArgs& a) {
  ml::DatasetOptions dopts;
  dopts.text_field = a.text_field;
  dopts.label_field = a.label_field;
  dopts.split_field = a.split_field;
  dopts.numeric_fields = a.numeric_fields;
  auto data = ml::load_jsonl(a.data, dopts);
  if (!data.ok()) {
    std::fprintf(stderr, "occam train: %s\n", data.error().message().c_str());
    return kExitFailure;
  }
  auto kind = ml::parse_model_kind(a.model);
  if (!kind.ok()) {
    std::fprintf(stderr, "occam train: %s\n", kind.error().message().c_str());
    return kExitUsage;
  }
  if (a.word_ngrams.size() != 2 || a.char_ngrams.size() != 2) {
    std::fprintf(stderr, "occam train: --word-ngrams and --char-ngrams take two numbers (min max)\n");
    return kExitUsage;
  }
  ml::TrainOptions options;
  options.kind = *kind;
  options.features.hash_bits = a.hash_bits;
  options.features.word_ngram_min = a.word_ngrams[0];
  options.features.word_ngram_max = a.word_ngrams[1];
  options.features.char_ngram_min = a.char_ngrams[0];
  options.features.char_ngram_max = a.char_ngrams[1];
  options.features.fold_accents = a.fold_accents;
  options.features.signed_hash = a.signed_hash;
  options.features.word_weight = a.word_weight;
  options.c_grid = a.c_grid;
  options.oos_label = a.oos_label;
  options.max_in_scope_loss = a.max_in_scope_loss;
  options.validation_fraction = a.validation_fraction;
  options.refit_on_carved = !a.no_refit;
  options.refit_with_validation = !a.no_refit;
  options.seed = a.seed;
  options.threads = a.threads;
  const auto start = std::chrono::steady_clock::now();
  if (!a.quiet) {
    options.progress = [start](double f, std::string_view stage) { draw_progress(f, stage, start); };
  }
  ml::TrainReport report;
  auto model = ml::Classifier::train(*data, options, &report);
  if (!model.ok()) {
    std::fprintf(stderr, "\noccam train: %s\n", model.error().message().c_str());
    return kExitFailure;
  }
  if (auto status = model->save(a.output); !status.ok()) {
    std::fprintf(stderr, "occam train: %s\n", status.error().message().c_str());
    return kExitFailure;
  }
  if (a.json) {
    boost::json::object o;
    o["model"] = a.output;
    o["kind"] = std::string(ml::to_string(model->kind()));
    o["members"] = report.description;
    o["refit"] = report.refit;
    o["labels"] = model->labels().size();
    o["train_examples"] = report.train_examples;
    o["validation_examples"] = report.validation_examples;
    o["validation_carved"] = report.validation_carved;
    o["features"] = report.features;
    o["c"] = report.chosen_c;
    o["validation_accuracy"] = report.validation_accuracy;
    o["temperature"] = report.temperature;
    o["threshold"] = report.threshold;
    o["validation_ece_before"] = report.ece_before;
    o["validation_ece_after"] = report.ece_after;
    o["seconds"] = report.seconds;
    std::cout << boost::json::serialize(o) << "\n";
  } else {
    std::printf("model      %s (%s: %s, %zu labels, %zu features)\n", a.output.c_str(),
                std::string(ml::to_string(model->kind())).c_str(), report.description.c_str(), model->labels().size(),
                report.features);
    std::printf("examples   %zu train, %zu validation%s%s\n", report.train_examples, report.validation_examples,
                report.validation_carved ? " (carved from train)" : "",
                report.refit ? "; final weights refit on train + validation" : "");
    std::printf("chosen C   %g (validation accuracy %.4f)\n", report.chosen_c, report.validation_accuracy);
    std::printf("calibrated temperature %.3f, validation ECE %.4f -> %.4f\n", report.temperature, report.ece_before,
                report.ece_after);
    if (model->oos_index() >= 0) std::printf("OOS        threshold %.4f\n", report.threshold);
    std::printf("time       %.2f s\n", report.seconds);
  }
  return kExitOk;
}

CommandRun setup_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  app.require_subcommand(1);
  CLI::App* classify = app.add_subcommand("classify", "Train a text classifier (TF-IDF + liblinear / xgboost)");
  classify->add_option("--data", args->data, "JSONL training data")->required();
  classify->add_option("-o,--output", args->output, "model file to write")->required();
  classify->add_option("--text-field", args->text_field, "field holding the text")->capture_default_str();
  classify->add_option("--label-field", args->label_field, "field holding the label (string, or list)")
      ->capture_default_str();
  classify->add_option("--split-field", args->split_field, "field holding train/validation/test")
      ->capture_default_str();
  classify->add_option("--model", args->model,
                       "auto (best of nb, svm, logreg and their pairwise ensembles on validation), logreg, svm, "
                       "nb or xgboost")
      ->capture_default_str();
  classify->add_option("--oos-label", args->oos_label, "the out-of-scope label (trained as a class + threshold)");
  classify->add_option("--max-in-scope-loss", args->max_in_scope_loss,
                       "in-scope accuracy the OOS threshold may cost on validation")->capture_default_str();
  classify->add_option("--numeric-field", args->numeric_fields, "numeric feature field (xgboost), repeatable");
  classify->add_option("--c", args->c_grid, "regularisation candidates (default: a grid per model)");
  classify->add_option("--hash-bits", args->hash_bits, "hash buckets per view = 2^bits")->capture_default_str();
  classify->add_option("--word-ngrams", args->word_ngrams, "word n-gram range (min max; 0 0 disables)")
      ->expected(2);
  classify->add_option("--char-ngrams", args->char_ngrams, "char n-gram range within words (0 0 disables)")
      ->expected(2);
  classify->add_option("--word-weight", args->word_weight, "share of the norm for the word view")
      ->capture_default_str();
  classify->add_flag("--fold-accents", args->fold_accents, "strip accents (é → e) after normalisation");
  classify->add_flag("--signed-hash", args->signed_hash, "signed feature hashing");
  classify->add_option("--validation-fraction", args->validation_fraction,
                       "share of train carved for validation when the data has none")->capture_default_str();
  classify->add_flag("--no-refit", args->no_refit, "keep the weights trained without the validation rows");
  classify->add_option("--seed", args->seed, "seed for the carved validation split")->capture_default_str();
  classify->add_option("--threads", args->threads, "training threads")->capture_default_str();
  classify->add_flag("--json", args->json, "print the training report as one JSON object");
  classify->add_flag("-q,--quiet", args->quiet, "no progress bar");
  return [args] { return run_train(*args); };
}

}  // namespace

OCCAM_REGISTER_COMMAND(train, "Train a model (train classify: text classifier)", setup_train);

}  // namespace occam::cli
