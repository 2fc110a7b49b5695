// `occam predict --model MODEL [TEXT | -]`: classifies one text, or JSONL from stdin
// ({"text": ...} per line → one JSON object per line, same order).
#include <cstdio>
#include <iostream>
#include <string>

#include <boost/json.hpp>

#include "cli/command.h"
#include "ml/ml.h"

namespace occam::cli {

namespace {

struct PredictArgs {
  std::string model, text, text_field = "text";
  int top_k = 3;
  bool json = false;
};

boost::json::object prediction_json(const ml::Prediction& p, const ml::Classifier& model) {
  boost::json::object o;
  o["label"] = p.label;
  o["probability"] = p.probability;
  o["out_of_scope"] = p.out_of_scope;
  boost::json::array top;
  for (const auto& s : p.top_k) top.push_back({{"label", s.label}, {"probability", s.probability}});
  o["top_k"] = top;
  if (model.multi_label()) {
    boost::json::array labels;
    for (const auto& s : p.labels) labels.push_back({{"label", s.label}, {"probability", s.probability}});
    o["labels"] = labels;
  }
  return o;
}

int run_predict(const PredictArgs& a) {
  auto model = ml::Classifier::load(a.model);
  if (!model.ok()) {
    std::fprintf(stderr, "occam predict: %s\n", model.error().message().c_str());
    return kExitFailure;
  }
  if (a.text != "-") {
    ml::Prediction p = model->predict(a.text, a.top_k);
    if (a.json) {
      std::cout << boost::json::serialize(prediction_json(p, *model)) << "\n";
    } else {
      std::printf("%s%s\n", std::string(p.label).c_str(), p.out_of_scope ? "  (out of scope)" : "");
      for (const auto& s : p.top_k) std::printf("  %.4f  %s\n", s.probability, std::string(s.label).c_str());
    }
    return kExitOk;
  }
  ml::DatasetOptions dopts;
  dopts.text_field = a.text_field;
  dopts.require_labels = false;
  dopts.numeric_fields = model->numeric_fields();
  std::string line;
  size_t line_no = 0;
  int status = kExitOk;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto parsed = ml::parse_jsonl(line, dopts);
    if (!parsed.ok() || parsed->examples.size() != 1) {
      std::string message = parsed.ok() ? "expected one JSON object" : parsed.error().message();
      if (message.rfind("line 1: ", 0) == 0) message.erase(0, 8);  // the parser saw this one line
      boost::json::object err{{"error", fmt::format("stdin line {}: {}", line_no, message)}};
      std::cout << boost::json::serialize(err) << "\n";
      status = kExitFailure;
      continue;
    }
    const ml::Example& e = parsed->examples[0];
    ml::Prediction p = model->predict(e.text, e.numeric, a.top_k);
    std::cout << boost::json::serialize(prediction_json(p, *model)) << "\n";
  }
  return status;
}

CommandRun setup_predict(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  app.add_option("--model", args->model, "model file (occam train classify)")->required();
  app.add_option("text", args->text, "text to classify, or - for JSONL on stdin")->required();
  app.add_option("--text-field", args->text_field, "field holding the text in JSONL input")->capture_default_str();
  app.add_option("-k,--top-k", args->top_k, "how many labels to list")->capture_default_str();
  app.add_flag("--json", args->json, "print one JSON object");
  return [args] { return run_predict(*args); };
}

}  // namespace

OCCAM_REGISTER_COMMAND(predict, "Classify text with a trained classifier", setup_predict);

}  // namespace occam::cli
