// bench_classify: the classic-ML tier on the shared datasets. Per dataset: training time,
// test accuracy (in-scope accuracy / OOS recall for clinc150), single-text predict latency
// p50/p99, and the featurizer's own p50/p99. When scikit-learn is importable,
// bench/classify_sklearn.py runs the equivalent TF-IDF + LogisticRegression pipeline in the same
// run and the ratios are printed.
//
//   build/release/bench/bench_classify [--datasets banking77,clinc150,sib200_fr] [--no-sklearn]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/shared_data.h"
#include "ml/evaluate.h"
#include "ml/ml.h"

namespace {

using namespace occam;

struct Spec {
  std::string name, file, oos;
};

struct Figures {
  double train_seconds = 0, train_cpu_seconds = 0, accuracy = 0, in_scope = 0, oos_recall = 0, p50_us = 0,
         p99_us = 0, ece = 0, ece_raw = 0, feat_p50_us = 0, feat_p99_us = 0;
  std::string kind;
};

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

Result<Figures> run(const Spec& spec) {
  OCCAM_ASSIGN_OR_RETURN(auto path, shared_path(spec.file));
  OCCAM_ASSIGN_OR_RETURN(ml::Dataset data, ml::load_jsonl(path, {}));
  ml::TrainOptions options;
  options.oos_label = spec.oos;
  ml::TrainReport report;
  const std::clock_t cpu0 = std::clock();
  OCCAM_ASSIGN_OR_RETURN(ml::Classifier model, ml::Classifier::train(data, options, &report));
  Figures f;
  f.train_cpu_seconds = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  f.train_seconds = report.seconds;
  f.kind = std::string(ml::to_string(model.kind()));
  OCCAM_ASSIGN_OR_RETURN(ml::EvalReport eval, ml::evaluate(model, data, {}));
  f.accuracy = eval.accuracy;
  f.in_scope = eval.in_scope_accuracy;
  f.oos_recall = eval.oos_recall;
  f.ece = eval.ece;
  f.ece_raw = eval.ece_uncalibrated;
  // Latency of one predict() on short texts (test split, ≤ 100 bytes), after a warm-up pass.
  std::vector<const ml::Example*> texts;
  for (const ml::Example* e : data.split("test")) {
    if (e->text.size() <= 100) texts.push_back(e);
  }
  if (texts.size() > 2000) texts.resize(2000);
  for (const auto* e : texts) (void)model.predict(e->text);
  std::vector<double> us;
  for (const auto* e : texts) {
    auto t0 = std::chrono::steady_clock::now();
    ml::Prediction p = model.predict(e->text);
    auto t1 = std::chrono::steady_clock::now();
    if (p.index < 0) std::abort();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  f.p50_us = percentile(us, 0.5);
  f.p99_us = percentile(us, 0.99);
  // The featurizer alone (what the router pays per decision), fitted on the training split with
  // the model's settings: the same texts, after a warm-up pass.
  std::vector<std::string_view> train_texts;
  for (const ml::Example* e : data.split("train")) train_texts.push_back(e->text);
  ml::Featurizer featurizer(model.features());
  featurizer.fit(train_texts);
  ml::FeatureScratch scratch;
  for (const auto* e : texts) featurizer.transform(e->text, scratch);
  us.clear();
  for (const auto* e : texts) {
    auto t0 = std::chrono::steady_clock::now();
    featurizer.transform(e->text, scratch);
    auto t1 = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  f.feat_p50_us = percentile(us, 0.5);
  f.feat_p99_us = percentile(us, 0.99);
  return f;
}

std::map<std::string, boost::json::object> run_sklearn(const std::vector<Spec>& specs) {
  std::map<std::string, boost::json::object> out;
  if (std::system("python3 -c 'import sklearn' >/dev/null 2>&1") != 0) {
    std::printf("scikit-learn not importable: no reference (pip install scikit-learn)\n");
    return out;
  }
  std::string command = "python3 " OCCAM_SOURCE_DIR "/bench/classify_sklearn.py";
  for (const Spec& s : specs) {
    auto path = shared_path(s.file);
    if (!path.ok()) continue;
    command += " " + s.name + "=" + path->string() + (s.oos.empty() ? "" : ":" + s.oos);
  }
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char line[4096];
  while (std::fgets(line, sizeof line, pipe)) {
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    if (!ec && value.is_object()) out[std::string(value.as_object().at("name").as_string())] = value.as_object();
  }
  pclose(pipe);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Spec> specs = {{"banking77", "datasets/banking77/banking77.jsonl", ""},
                             {"clinc150", "datasets/clinc150/clinc150.jsonl", "oos"},
                             {"sib200_fr", "datasets/sib200_fr/sib200_fr.jsonl", ""}};
  bool sklearn = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-sklearn") sklearn = false;
    if (a == "--datasets" && i + 1 < argc) {
      std::string keep = argv[++i];
      std::erase_if(specs, [&](const Spec& s) { return keep.find(s.name) == std::string::npos; });
    }
  }
  std::map<std::string, Figures> ours;
  std::printf("%-10s %-7s %8s %8s %9s %9s %9s %8s %8s %8s %8s %8s\n", "dataset", "model", "train_s", "cpu_s",
              "accuracy", "in_scope", "oos_rec", "ECE", "p50_us", "p99_us", "feat_p50", "feat_p99");
  for (const Spec& s : specs) {
    auto f = run(s);
    if (!f.ok()) {
      std::printf("%-10s error: %s\n", s.name.c_str(), f.error().message().c_str());
      continue;
    }
    ours[s.name] = *f;
    std::printf("%-10s %-7s %8.2f %8.2f %9.4f %9.4f %9.4f %8.4f %8.1f %8.1f %8.1f %8.1f   (ECE uncalibrated %.4f)\n",
                s.name.c_str(), f->kind.c_str(), f->train_seconds, f->train_cpu_seconds, f->accuracy, f->in_scope,
                f->oos_recall, f->ece, f->p50_us, f->p99_us, f->feat_p50_us, f->feat_p99_us, f->ece_raw);
    std::fflush(stdout);
  }
  if (!sklearn) return 0;
  auto ref = run_sklearn(specs);
  if (ref.empty()) return 0;
  std::printf("\nscikit-learn TF-IDF + LogisticRegression (same run) and ratios occam / sklearn\n");
  std::printf("%-10s %8s %9s %9s %9s %8s %8s | %9s %9s %9s\n", "dataset", "train_s", "accuracy", "in_scope",
              "oos_rec", "p50_us", "p99_us", "acc_ratio", "p50_speedup", "train_speedup");
  for (const auto& [name, o] : ref) {
    auto num = [&](const char* key) { return o.contains(key) ? o.at(key).to_number<double>() : 0.0; };
    const Figures& f = ours[name];
    const bool oos = o.contains("in_scope_accuracy");
    const double acc_ratio = oos ? f.in_scope / num("in_scope_accuracy") : f.accuracy / num("accuracy");
    std::printf("%-10s %8.2f %9.4f %9.4f %9.4f %8.1f %8.1f | %9.3f %9.1fx %9.2fx\n", name.c_str(),
                num("train_seconds"), num("accuracy"), num("in_scope_accuracy"), num("oos_recall"),
                num("predict_p50_us"), num("predict_p99_us"), acc_ratio, num("predict_p50_us") / f.p50_us,
                num("train_seconds") / f.train_seconds);
  }
  return 0;
}
