#include "router/complexity.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <linear.h>

#include "core/file.h"

namespace occam::router {
namespace json = boost::json;
namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

constexpr uint64_t fnv1a(std::string_view s, uint64_t h = kFnvOffset) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

// ASCII classes without the locale (the features are part of the model format: "C" locale semantics).
bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool is_upper(unsigned char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_word_byte(unsigned char c) {
  return is_digit(c) || is_upper(c) || (c >= 'a' && c <= 'z') || c >= 0x80;
}

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

void quiet(const char*) {}

}  // namespace

void complexity_features(std::string_view prompt, uint32_t hash_bits,
                         std::vector<std::pair<uint32_t, float>>& out) {
  out.clear();
  const uint32_t mask = (1u << hash_bits) - 1;
  // Hashed lower-cased word unigrams and bigrams; numbers collapse to their digit count so that
  // "17 apples" and "23 apples" share a feature. Words are hashed as they are read (no copy of the word).
  thread_local std::vector<uint32_t> keys;
  keys.clear();
  uint64_t prev = 0;
  bool has_prev = false;
  size_t words = 0, numbers = 0, digits = 0;
  uint64_t word_hash = kFnvOffset;
  size_t word_len = 0;
  bool word_numeric = true;
  auto flush = [&] {
    if (word_len == 0) return;
    ++words;
    uint64_t h;
    if (word_numeric) {
      ++numbers;
      h = fnv1a("#num") + word_len;
    } else {
      h = word_hash;
    }
    keys.push_back(static_cast<uint32_t>(mix(h) & mask));
    if (has_prev) keys.push_back(static_cast<uint32_t>(mix(prev * 31 + h + 0x9e3779b97f4a7c15ull) & mask));
    prev = h;
    has_prev = true;
    word_hash = kFnvOffset;
    word_len = 0;
    word_numeric = true;
  };
  size_t sentences = 0, questions = 0, lines = 1, symbols = 0;
  for (char ch : prompt) {
    unsigned char c = static_cast<unsigned char>(ch);
    const bool digit = is_digit(c);
    digits += digit ? 1 : 0;
    if (is_word_byte(c)) {
      word_hash = (word_hash ^ (is_upper(c) ? c | 0x20u : c)) * kFnvPrime;
      ++word_len;
      word_numeric = word_numeric && digit;
      continue;
    }
    flush();
    if (c == '.' || c == '!' || c == '?') ++sentences;
    if (c == '?') ++questions;
    if (c == '\n') ++lines;
    if (c == '%' || c == '$' || c == '/' || c == '*' || c == '+' || c == '=' || c == '-') ++symbols;
  }
  flush();
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  const float norm = keys.empty() ? 0.0f : 1.0f / std::sqrt(static_cast<float>(keys.size()));
  for (uint32_t k : keys) out.emplace_back(k + 1, norm);  // liblinear indices start at 1
  const double chars = static_cast<double>(prompt.size());
  const float dense[kComplexityDenseFeatures] = {
      static_cast<float>(std::log1p(chars) / 8.0),
      static_cast<float>(std::log1p(static_cast<double>(words)) / 6.0),
      static_cast<float>(std::min(1.0, static_cast<double>(numbers) / 10.0)),
      static_cast<float>(chars > 0 ? static_cast<double>(digits) / chars : 0.0),
      static_cast<float>(std::min(1.0, static_cast<double>(sentences) / 10.0)),
      static_cast<float>(std::min(1.0, static_cast<double>(questions) / 3.0)),
      static_cast<float>(std::min(1.0, static_cast<double>(lines) / 10.0)),
      static_cast<float>(std::min(1.0, static_cast<double>(symbols) / 10.0)),
      static_cast<float>(words > 0 ? chars / static_cast<double>(words) / 10.0 : 0.0),
      static_cast<float>(
          std::min(1.0, static_cast<double>(numbers) / (static_cast<double>(sentences) + 1.0) / 3.0)),
  };
  for (size_t i = 0; i < kComplexityDenseFeatures; ++i) {
    out.emplace_back((1u << hash_bits) + 1 + static_cast<uint32_t>(i), dense[i]);
  }
}

Result<ComplexityModel> ComplexityModel::train(std::span<const OutcomeRow> rows, const ModelPair& pair,
                                               const ComplexityTrainOptions& options) {
  if (options.hash_bits < 8 || options.hash_bits > 24) {
    return make_error(ErrorCode::invalid_argument, "complexity: hash_bits must be in [8, 24], got {}",
                      options.hash_bits);
  }
  if (rows.empty()) return make_error(ErrorCode::invalid_argument, "complexity: no training rows");
  const int n_features = static_cast<int>((1u << options.hash_bits) + kComplexityDenseFeatures);
  std::vector<std::vector<feature_node>> x(rows.size());
  std::vector<feature_node*> x_ptr(rows.size());
  std::vector<double> y(rows.size());
  std::vector<std::pair<uint32_t, float>> features;
  int positives = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto weak = rows[i].quality.find(pair.weak);
    auto strong = rows[i].quality.find(pair.strong);
    if (weak == rows[i].quality.end() || strong == rows[i].quality.end()) {
      return make_error(ErrorCode::invalid_argument, "complexity: row '{}' has no outcome for '{}' or '{}'",
                        rows[i].id, pair.weak, pair.strong);
    }
    bool suffices = weak->second >= strong->second - options.margin;
    positives += suffices ? 1 : 0;
    y[i] = suffices ? 1.0 : -1.0;
    complexity_features(rows[i].prompt, options.hash_bits, features);
    for (auto [index, value] : features) x[i].push_back({static_cast<int>(index), value});
    x[i].push_back({static_cast<int>(n_features + 1), 1.0});  // bias term (liblinear's bias feature)
    x[i].push_back({-1, 0.0});
    x_ptr[i] = x[i].data();
  }
  if (positives == 0 || positives == static_cast<int>(rows.size())) {
    return make_error(ErrorCode::invalid_argument, "complexity: every training row has the same label");
  }
  problem prob{};
  prob.l = static_cast<int>(rows.size());
  prob.n = n_features + 1;
  prob.y = y.data();
  prob.x = x_ptr.data();
  prob.bias = -1;  // the bias feature is explicit above
  parameter param{};
  param.solver_type = L2R_LR;
  param.eps = 0.01;
  param.C = options.c;
  if (const char* err = check_parameter(&prob, &param)) {
    return make_error(ErrorCode::invalid_argument, "complexity: liblinear: {}", err);
  }
  set_print_string_function(quiet);
  model* m = ::train(&prob, &param);
  if (!m) return make_error(ErrorCode::internal, "complexity: liblinear training failed");
  ComplexityModel out;
  out.hash_bits_ = options.hash_bits;
  out.pair_ = pair;
  // liblinear's binary w scores label[0]: flip when label[0] is the negative class.
  const double sign = m->label[0] == 1 ? 1.0 : -1.0;
  out.weights_.assign(static_cast<size_t>(n_features), 0.0f);
  for (int j = 0; j < n_features; ++j)
    out.weights_[static_cast<size_t>(j)] = static_cast<float>(sign * m->w[j]);
  out.bias_ = static_cast<float>(sign * m->w[n_features]);
  free_and_destroy_model(&m);
  return out;
}

double ComplexityModel::score(std::string_view prompt) const {
  thread_local std::vector<std::pair<uint32_t, float>> features;
  complexity_features(prompt, hash_bits_, features);
  return score(features);
}

double ComplexityModel::score(std::span<const std::pair<uint32_t, float>> features) const {
  double dot = bias_;
  for (auto [index, value] : features) {
    size_t j = index - 1;
    if (j < weights_.size()) dot += static_cast<double>(weights_[j]) * value;
  }
  return sigmoid(dot);
}

Status ComplexityModel::save(const std::filesystem::path& path) const {
  json::object o;
  o["format"] = "occam-complexity";
  o["version"] = 1;
  o["hash_bits"] = hash_bits_;
  o["bias"] = bias_;
  o["threshold"] = threshold_;
  o["strong"] = pair_.strong;
  o["weak"] = pair_.weak;
  json::array weights;
  for (size_t j = 0; j < weights_.size(); ++j) {
    if (weights_[j] == 0.0f) continue;
    weights.push_back(json::array{j, weights_[j]});
  }
  o["weights"] = std::move(weights);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return make_error(ErrorCode::io, "complexity: cannot write '{}'", path.string());
  file << json::serialize(o);
  if (!file.flush()) return make_error(ErrorCode::io, "complexity: writing '{}' failed", path.string());
  return ok_status();
}

Result<ComplexityModel> ComplexityModel::load(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text.ok()) return std::move(text).error().with_context("complexity model");
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  auto bad = [&](std::string_view what) {
    return make_error(ErrorCode::invalid_argument, "complexity: '{}': {}", path.string(), what);
  };
  if (ec || !v.is_object()) return bad("not a JSON object");
  const json::object& o = v.get_object();
  const json::value* format = o.if_contains("format");
  if (!format || !format->is_string() || format->get_string() != "occam-complexity")
    return bad("not a complexity model");
  auto number = [&](std::string_view key) -> Result<double> {
    const json::value* x = o.if_contains(key);
    if (!x || !x->is_number()) return bad(fmt::format("missing number '{}'", key));
    return x->to_number<double>();
  };
  ComplexityModel m;
  OCCAM_ASSIGN_OR_RETURN(double bits, number("hash_bits"));
  if (bits < 8 || bits > 24) return bad("hash_bits out of range");
  m.hash_bits_ = static_cast<uint32_t>(bits);
  OCCAM_ASSIGN_OR_RETURN(double bias, number("bias"));
  m.bias_ = static_cast<float>(bias);
  OCCAM_ASSIGN_OR_RETURN(m.threshold_, number("threshold"));
  if (const json::value* s = o.if_contains("strong"); s && s->is_string()) m.pair_.strong = s->get_string();
  if (const json::value* s = o.if_contains("weak"); s && s->is_string()) m.pair_.weak = s->get_string();
  m.weights_.assign((size_t{1} << m.hash_bits_) + kComplexityDenseFeatures, 0.0f);
  const json::value* weights = o.if_contains("weights");
  if (!weights || !weights->is_array()) return bad("missing 'weights'");
  for (const json::value& w : weights->get_array()) {
    if (!w.is_array() || w.get_array().size() != 2 || !w.get_array()[0].is_number() ||
        !w.get_array()[1].is_number()) {
      return bad("a weight is not [index, value]");
    }
    double index = w.get_array()[0].to_number<double>();
    if (index < 0 || index >= static_cast<double>(m.weights_.size())) return bad("weight index out of range");
    m.weights_[static_cast<size_t>(index)] = static_cast<float>(w.get_array()[1].to_number<double>());
  }
  return m;
}

}  // namespace occam::router

namespace occam::router {

double calibrate_threshold(std::span<const double> weak_score, std::span<const double> weak_quality,
                           std::span<const double> strong_quality, double target) {
  const size_t n = weak_score.size();
  if (n == 0) return 0.5;
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return weak_score[a] > weak_score[b]; });
  double strong_total = 0;
  for (double q : strong_quality) strong_total += q;
  const double goal = target * strong_total / static_cast<double>(n);
  // k = number of prompts (highest scores first) sent to the weak model.
  double total = strong_total;
  size_t best_k = 0;
  for (size_t k = 1; k <= n; ++k) {
    size_t i = order[k - 1];
    total += weak_quality[i] - strong_quality[i];
    // Only cut between distinct scores: a threshold cannot separate equal scores.
    bool cut_ok = k == n || weak_score[order[k]] < weak_score[i];
    if (cut_ok && total / static_cast<double>(n) + 1e-12 >= goal) best_k = k;
  }
  if (best_k == 0) return 1.0 + 1e-9;
  double lowest_weak = weak_score[order[best_k - 1]];
  double next = best_k < n ? weak_score[order[best_k]] : 0.0;
  return best_k < n ? (lowest_weak + next) / 2 : std::min(lowest_weak, 0.0);
}

Result<ComplexityModel> train_calibrated(std::span<const OutcomeRow> rows, const ModelPair& pair,
                                         const ComplexityTrainOptions& options, double target, int folds,
                                         uint64_t seed) {
  folds = std::max(2, folds);
  std::vector<double> scores(rows.size()), weak(rows.size()), strong(rows.size());
  std::vector<int> fold_of(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    uint64_t h = mix(fnv1a(rows[i].id) ^ seed);
    fold_of[i] = static_cast<int>(h % static_cast<uint64_t>(folds));
    weak[i] = rows[i].quality.count(pair.weak) ? rows[i].quality.at(pair.weak) : 0.0;
    strong[i] = rows[i].quality.count(pair.strong) ? rows[i].quality.at(pair.strong) : 0.0;
  }
  for (int f = 0; f < folds; ++f) {
    std::vector<OutcomeRow> fit;
    for (size_t i = 0; i < rows.size(); ++i)
      if (fold_of[i] != f) fit.push_back(rows[i]);
    OCCAM_ASSIGN_OR_RETURN(ComplexityModel m, ComplexityModel::train(fit, pair, options));
    for (size_t i = 0; i < rows.size(); ++i)
      if (fold_of[i] == f) scores[i] = m.score(rows[i].prompt);
  }
  OCCAM_ASSIGN_OR_RETURN(ComplexityModel model, ComplexityModel::train(rows, pair, options));
  model.set_threshold(calibrate_threshold(scores, weak, strong, target));
  return model;
}

}  // namespace occam::router
