// liblinear one-vs-rest training (each output is one binary problem, so outputs run in parallel),
// complement naive Bayes, and sparse linear scoring.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <linear.h>

#include "ml/internal/model.h"

namespace occam::ml::internal {

void linear_scores(const LinearWeights& w, std::span<const SparseEntry> x, std::span<float> out) {
  const uint32_t k = w.n_outputs;
  std::copy(w.bias.begin(), w.bias.end(), out.begin());
  float* dst = out.data();
  // Each feature's row of k floats is a few cache lines of a model of megabytes: fetch the rows a
  // few entries ahead so that their misses overlap with the arithmetic.
  constexpr size_t kAhead = 4;
  auto prefetch_row = [&](size_t e) {
    if (e >= x.size() || x[e].index >= w.n_features) return;
    const char* row = reinterpret_cast<const char*>(w.weights.data() + static_cast<size_t>(x[e].index) * k);
    for (size_t offset = 0; offset < k * sizeof(float); offset += 64) __builtin_prefetch(row + offset);
  };
  for (size_t e = 0; e < kAhead; ++e) prefetch_row(e);
  for (size_t i = 0; i < x.size(); ++i) {
    prefetch_row(i + kAhead);
    const SparseEntry& e = x[i];
    if (e.index >= w.n_features) continue;
    const float* row = w.weights.data() + static_cast<size_t>(e.index) * k;
    const float v = e.value;
    for (uint32_t j = 0; j < k; ++j) dst[j] += v * row[j];  // vectorised by the compiler
  }
}

namespace {

void silent(const char*) {}

// liblinear's dual solvers shuffle with the C library's rand(), whose state is process-global:
// with two training threads the sequence each binary problem sees depended on scheduling, so
// models differed between runs. rand()/srand() below interpose the C library's (executables
// resolve them before libc, also for liblinear's calls): inside a liblinear call made by
// train_one_vs_rest the thread uses its own generator, seeded per output; everywhere else they
// forward to random()/srandom(), which is exactly what glibc's rand()/srand() do.
thread_local bool tls_private_rand = false;
thread_local uint64_t tls_rand_state = 0;

int private_rand() {
  // splitmix64 step, 31 bits like glibc's RAND_MAX.
  uint64_t z = (tls_rand_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<int>((z ^ (z >> 31)) & 0x7fffffffu);
}

struct PrivateRand {
  explicit PrivateRand(uint64_t seed) {
    tls_private_rand = true;
    tls_rand_state = seed;
  }
  ~PrivateRand() { tls_private_rand = false; }
  PrivateRand(const PrivateRand&) = delete;
  PrivateRand& operator=(const PrivateRand&) = delete;
};

}  // namespace

Result<LinearWeights> train_one_vs_rest(const Csr& x, std::span<const uint8_t> targets, uint32_t n_outputs,
                                        const LinearTrainParams& params) {
  static std::once_flag quiet;
  std::call_once(quiet, [] { set_print_string_function(&silent); });
  const size_t n = x.rows();
  if (n == 0) return make_error(ErrorCode::invalid_argument, "no training examples");
  if (targets.size() != n * n_outputs) {
    return make_error(ErrorCode::internal, "targets: {} values for {} rows × {} outputs", targets.size(), n,
                      n_outputs);
  }
  const int bias_index = static_cast<int>(x.n_cols) + 1;
  // liblinear rows: (1-based index, value)..., the bias node, the -1 terminator.
  std::vector<feature_node> nodes;
  nodes.reserve(x.indices.size() + 2 * n);
  std::vector<size_t> starts(n);
  for (size_t i = 0; i < n; ++i) {
    starts[i] = nodes.size();
    for (size_t p = x.indptr[i]; p < x.indptr[i + 1]; ++p) {
      nodes.push_back({static_cast<int>(x.indices[p]) + 1, static_cast<double>(x.values[p])});
    }
    nodes.push_back({bias_index, 1.0});
    nodes.push_back({-1, 0.0});
  }
  std::vector<feature_node*> rows(n);
  for (size_t i = 0; i < n; ++i) rows[i] = nodes.data() + starts[i];

  LinearWeights out;
  out.n_features = static_cast<uint32_t>(x.n_cols);
  out.n_outputs = n_outputs;
  out.weights.assign(x.n_cols * n_outputs, 0.0f);
  out.bias.assign(n_outputs, 0.0f);

  std::atomic<uint32_t> next{0};
  std::mutex error_mutex;
  std::string error;
  auto worker = [&] {
    std::vector<double> y(n);
    problem prob{};
    prob.l = static_cast<int>(n);
    prob.n = bias_index;
    prob.x = rows.data();
    prob.y = y.data();
    prob.bias = 1.0;
    for (uint32_t k = next++; k < n_outputs; k = next++) {
      size_t positives = 0;
      for (size_t i = 0; i < n; ++i) {
        bool pos = targets[i * n_outputs + k] != 0;
        y[i] = pos ? 1.0 : -1.0;
        positives += pos;
      }
      if (positives == 0 || positives == n) {
        // Constant target: no boundary to learn; a large bias says so.
        out.bias[k] = positives == 0 ? -8.0f : 8.0f;
        continue;
      }
      parameter param{};
      param.solver_type = params.solver;
      param.C = params.c;
      param.eps = params.eps;
      param.p = 0.1;
      if (const char* message = check_parameter(&prob, &param)) {
        std::lock_guard lock(error_mutex);
        error = message;
        return;
      }
      model* m = nullptr;
      {
        PrivateRand rng(params.seed * 0x100000001B3ull +
                        k);  // per output: same model whichever thread trains it
        m = ::train(&prob, &param);
      }
      if (m == nullptr) {
        std::lock_guard lock(error_mutex);
        error = "liblinear returned no model";
        return;
      }
      // A binary liblinear model scores label[0]; make the score mean "output k".
      const double sign = m->label[0] == 1 ? 1.0 : -1.0;
      for (size_t j = 0; j < x.n_cols; ++j) {
        out.weights[j * n_outputs + k] = static_cast<float>(sign * m->w[j]);
      }
      out.bias[k] = static_cast<float>(sign * m->w[x.n_cols]);
      free_and_destroy_model(&m);
    }
  };
  const int threads = std::clamp(params.threads, 1, static_cast<int>(std::max<uint32_t>(1, n_outputs)));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (!error.empty()) return make_error(ErrorCode::invalid_argument, "liblinear: {}", error);
  return out;
}

}  // namespace occam::ml::internal

extern "C" int rand() noexcept {
  if (occam::ml::internal::tls_private_rand) return occam::ml::internal::private_rand();
  return static_cast<int>(random());
}

extern "C" void srand(unsigned seed) noexcept {
  if (occam::ml::internal::tls_private_rand) {
    occam::ml::internal::tls_rand_state = seed;
    return;
  }
  srandom(seed);
}

namespace occam::ml::internal {

LinearWeights train_complement_nb(const Csr& x, std::span<const uint8_t> targets, uint32_t n_outputs,
                                  double alpha) {
  // Complement naive Bayes (Rennie et al. 2003): the weight of feature j for class k is
  // -log θ(j | not k), θ estimated from the TF-IDF mass of every other class, smoothed by alpha.
  const size_t n = x.rows();
  const size_t d = x.n_cols;
  std::vector<double> per_class(d * n_outputs, 0.0);  // feature mass by class, [j][k]
  std::vector<double> total(d, 0.0);
  std::vector<uint32_t> positive;
  for (size_t i = 0; i < n; ++i) {
    positive.clear();
    for (uint32_t k = 0; k < n_outputs; ++k) {
      if (targets[i * n_outputs + k]) positive.push_back(k);
    }
    for (size_t p = x.indptr[i]; p < x.indptr[i + 1]; ++p) {
      const size_t j = x.indices[p];
      const double v = std::abs(static_cast<double>(x.values[p]));
      total[j] += v;
      for (uint32_t k : positive) per_class[j * n_outputs + k] += v;
    }
  }
  std::vector<double> complement_sum(n_outputs, 0.0);
  for (size_t j = 0; j < d; ++j) {
    for (uint32_t k = 0; k < n_outputs; ++k)
      complement_sum[k] += total[j] - per_class[j * n_outputs + k] + alpha;
  }
  LinearWeights out;
  out.n_features = static_cast<uint32_t>(d);
  out.n_outputs = n_outputs;
  out.bias.assign(n_outputs, 0.0f);
  out.weights.resize(d * n_outputs);
  for (size_t j = 0; j < d; ++j) {
    for (uint32_t k = 0; k < n_outputs; ++k) {
      const double complement = total[j] - per_class[j * n_outputs + k] + alpha;
      out.weights[j * n_outputs + k] = static_cast<float>(std::log(complement_sum[k]) - std::log(complement));
    }
  }
  return out;
}

}  // namespace occam::ml::internal
