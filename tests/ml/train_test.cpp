#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "ml/evaluate.h"
#include "ml/internal/model.h"
#include "ml/ml.h"
#include "test_support.h"

namespace occam::ml {
namespace {

Dataset load(std::string_view relative) {
  auto data = load_jsonl(occam::testing::shared_file(relative), {});
  EXPECT_TRUE(data.ok()) << data.error().message();
  return data.ok() ? std::move(data).value() : Dataset{};
}

// The examples whose label is one of the first `n` labels (sorted), to keep unit tests small.
Dataset first_labels(const Dataset& data, size_t n, std::string_view keep_also = "") {
  std::set<std::string> labels;
  for (const auto& e : data.examples) labels.insert(e.labels[0]);
  std::set<std::string> kept;
  for (const auto& l : labels) {
    if (kept.size() < n) kept.insert(l);
  }
  Dataset out;
  for (const auto& e : data.examples) {
    if (kept.count(e.labels[0]) || e.labels[0] == keep_also) out.examples.push_back(e);
  }
  return out;
}

TEST(Train, SubsetOfBanking77ReachesASaneAccuracy) {
  Dataset data = first_labels(load("datasets/banking77/banking77.jsonl"), 12);
  TrainOptions options;
  options.c_grid = {16.0};
  TrainReport report;
  auto model = Classifier::train(data, options, &report);
  ASSERT_TRUE(model.ok()) << model.error().message();
  EXPECT_TRUE(report.validation_carved);  // banking77 has no validation split
  EXPECT_EQ(model->labels().size(), 12u);
  auto eval = evaluate(*model, data, {});
  ASSERT_TRUE(eval.ok()) << eval.error().message();
  EXPECT_GT(eval->accuracy, 0.85) << "12-intent banking77 subset";
  EXPECT_GT(eval->macro_f1, 0.8);
  EXPECT_EQ(eval->per_class.size(), 12u);
  ASSERT_EQ(eval->coverage.size(), 20u);
  EXPECT_EQ(eval->coverage[0].coverage, 1.0);
  // Keeping only confident answers must not lower accuracy much (calibration is meaningful).
  EXPECT_GE(eval->coverage[14].accuracy + 1e-9, eval->coverage[0].accuracy);
}

// liblinear shuffles with rand(); each output now has its own generator, so the model file is
// the same byte for byte whatever the thread count or scheduling (it was not with one global rand()).
TEST(Train, LinearModelsAreIdenticalWithOneOrTwoThreads) {
  Dataset data = first_labels(load("datasets/banking77/banking77.jsonl"), 8);
  for (ModelKind kind : {ModelKind::logreg, ModelKind::svm}) {
    std::string bytes[3];
    int threads[3] = {1, 2, 2};
    for (int run = 0; run < 3; ++run) {
      TrainOptions options;
      options.kind = kind;
      options.c_grid = {4.0};
      options.threads = threads[run];
      auto model = Classifier::train(data, options);
      ASSERT_TRUE(model.ok()) << model.error().message();
      bytes[run] = model->to_bytes();
    }
    EXPECT_EQ(bytes[0], bytes[1]) << to_string(kind) << ": 1 vs 2 threads";
    EXPECT_EQ(bytes[1], bytes[2]) << to_string(kind) << ": two runs with 2 threads";
  }
}

TEST(Train, EverySolverFamilyTrains) {
  Dataset data = first_labels(load("datasets/banking77/banking77.jsonl"), 6);
  for (ModelKind kind : {ModelKind::logreg, ModelKind::svm, ModelKind::nb}) {
    TrainOptions options;
    options.kind = kind;
    TrainReport report;
    auto model = Classifier::train(data, options, &report);
    ASSERT_TRUE(model.ok()) << model.error().message();
    EXPECT_EQ(model->kind(), kind);
    auto eval = evaluate(*model, data, {});
    ASSERT_TRUE(eval.ok());
    EXPECT_GT(eval->accuracy, 0.8) << to_string(kind);
  }
}

TEST(Train, OutOfScopeAsAClassAndAThreshold) {
  Dataset data = first_labels(load("datasets/clinc150/clinc150.jsonl"), 15, "oos");
  TrainOptions options;
  options.oos_label = "oos";
  options.kind = ModelKind::svm;
  TrainReport report;
  auto model = Classifier::train(data, options, &report);
  ASSERT_TRUE(model.ok()) << model.error().message();
  ASSERT_GE(model->oos_index(), 0);
  EXPECT_EQ(model->labels()[model->oos_index()], "oos");
  EXPECT_FALSE(report.validation_carved);
  auto eval = evaluate(*model, data, {});
  ASSERT_TRUE(eval.ok());
  ASSERT_TRUE(eval->has_oos);
  EXPECT_EQ(eval->oos_examples, 1000u);
  EXPECT_GT(eval->in_scope_accuracy, 0.8);
  EXPECT_GT(eval->oos_recall, 0.5);
  // The threshold rule: raising the threshold to 1 rejects everything in-scope.
  Prediction p = model->predict("what is the meaning of life and where do socks go", 2);
  EXPECT_EQ(p.top_k.size(), 2u);
}

TEST(Train, MultiLabelOneVsRest) {
  auto parsed = load_jsonl(occam::testing::shared_file("datasets/nlupp/nlupp.jsonl"), {});
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  ASSERT_TRUE(parsed->multi_label);
  Dataset data;
  data.multi_label = true;
  size_t i = 0;
  for (auto& e : parsed->examples) {  // nlupp has no split: alternate rows, banking domain only
    if (i++ % 3 == 2) e.split = "test";
    else e.split = "train";
    data.examples.push_back(e);
    if (data.examples.size() >= 1500) break;
  }
  TrainOptions options;
  options.c_grid = {8.0};
  auto model = Classifier::train(data, options);
  ASSERT_TRUE(model.ok()) << model.error().message();
  EXPECT_TRUE(model->multi_label());
  auto eval = evaluate(*model, data, {});
  ASSERT_TRUE(eval.ok());
  EXPECT_GT(eval->micro_f1, 0.6);
  Prediction p = model->predict("I want to cancel my booking for tomorrow", 3);
  for (const auto& l : p.labels) EXPECT_GE(l.probability, 0.5f);
}

TEST(Train, XgboostUsesNumericFields) {
  // The label depends only on a numeric field; the text is noise shared by both classes.
  std::string jsonl;
  for (int i = 0; i < 600; ++i) {
    double amount = (i * 37) % 1000;
    std::string label = amount > 500 ? "large" : "small";
    std::string split = i % 5 == 0 ? "test" : (i % 5 == 1 ? "validation" : "train");
    jsonl += fmt::format(R"({{"text": "payment number {} received", "amount": {}, "label": "{}", "split": "{}"}})",
                         i % 7, amount, label, split);
    jsonl += "\n";
  }
  DatasetOptions dopts;
  dopts.numeric_fields = {"amount"};
  auto data = parse_jsonl(jsonl, dopts);
  ASSERT_TRUE(data.ok()) << data.error().message();
  TrainOptions options;
  options.kind = ModelKind::xgboost;
  options.xgb_rounds = 30;
  options.threads = 1;
  auto model = Classifier::train(*data, options);
  ASSERT_TRUE(model.ok()) << model.error().message();
  auto eval = evaluate(*model, *data, {});
  ASSERT_TRUE(eval.ok());
  EXPECT_GT(eval->accuracy, 0.95);
  auto loaded = Classifier::from_bytes(model->to_bytes());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  const float big[] = {900.0f}, small[] = {100.0f};
  EXPECT_EQ(loaded->predict("payment number 3 received", big, 1).label, "large");
  EXPECT_EQ(loaded->predict("payment number 3 received", small, 1).label, "small");
  // A booster that does not match the featurizer (here: one numeric field more than it was
  // trained with) is refused on load instead of reading past the row at prediction.
  auto internal_model = internal::deserialize(model->to_bytes());
  ASSERT_TRUE(internal_model.ok());
  (*internal_model)->numeric_fields.push_back("extra");
  auto mismatched = Classifier::from_bytes(internal::serialize(**internal_model));
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message().find("booster has"), std::string::npos) << mismatched.error().message();
}

TEST(Classifier, ConcurrentPredictionsMatchSerialOnes) {
  Dataset data = first_labels(load("datasets/banking77/banking77.jsonl"), 8);
  TrainOptions options;
  options.kind = ModelKind::svm;
  auto model = Classifier::train(data, options);
  ASSERT_TRUE(model.ok());
  std::vector<std::string> texts;
  for (const auto& e : data.examples) texts.push_back(e.text);
  std::vector<int> serial;
  for (const auto& t : texts) serial.push_back(model->predict(t).index);
  std::vector<std::vector<int>> parallel(4, std::vector<int>(texts.size()));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < texts.size(); ++i) parallel[t][i] = model->predict(texts[i]).index;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& run : parallel) EXPECT_EQ(run, serial);
}

TEST(Dataset, ErrorsNameTheLineAndField) {
  auto bad_json = parse_jsonl("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \n", {});
  ASSERT_FALSE(bad_json.ok());
  EXPECT_NE(bad_json.error().message().find("line 2"), std::string::npos) << bad_json.error().message();
  auto no_label = parse_jsonl("{\"text\": \"a\"}\n", {});
  ASSERT_FALSE(no_label.ok());
  EXPECT_NE(no_label.error().message().find("missing field 'label'"), std::string::npos);
  auto wrong_type = parse_jsonl("{\"text\": 3, \"label\": \"x\"}\n", {});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.error().message().find("'text' is not a string"), std::string::npos);
  auto mixed = parse_jsonl("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": [\"y\"]}\n", {});
  ASSERT_FALSE(mixed.ok());
  auto ok = parse_jsonl("\n{\"text\": \"caf\\u00e9\", \"labels\": [\"a\", \"b\"], \"split\": \"train\"}\r\n", {});
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  ASSERT_EQ(ok->examples.size(), 1u);
  EXPECT_EQ(ok->examples[0].text, "café");
  EXPECT_TRUE(ok->multi_label);
  EXPECT_EQ(ok->examples[0].labels, (std::vector<std::string>{"a", "b"}));
}

TEST(Train, RefusesUnusableData) {
  Dataset one_label;
  one_label.examples.push_back({"a", {"x"}, "train", {}});
  one_label.examples.push_back({"b", {"x"}, "train", {}});
  EXPECT_FALSE(Classifier::train(one_label, {}).ok());
  Dataset no_train;
  no_train.examples.push_back({"a", {"x"}, "test", {}});
  EXPECT_FALSE(Classifier::train(no_train, {}).ok());
  TrainOptions oos;
  oos.oos_label = "nope";
  Dataset two;
  two.examples.push_back({"a", {"x"}, "train", {}});
  two.examples.push_back({"b", {"y"}, "train", {}});
  EXPECT_FALSE(Classifier::train(two, oos).ok());
}

}  // namespace
}  // namespace occam::ml
