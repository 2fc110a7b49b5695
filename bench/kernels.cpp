// Kernel throughput against this machine's memory bandwidth, measured in the same run.
//
//   bench_kernels [--quick | --kquant [TARGET]]
//
// 1. Memory read bandwidth (1 GiB buffer, written first, summed with 64-bit integer adds; 1 GB = 1e9 B).
// 2. GEMV (decode, 1 token) in GB/s of weight bytes at Qwen2.5-0.5B's shapes, as a fraction of (1).
//    Small matrices are replicated so that every call streams from DRAM, as in a real decode step.
// 3. Batched decode: time of 8 tokens against 1 token on the same weights.
// 4. GEMM (prefill, 512 tokens) in GFLOP/s.
// --kquant runs only the K-quant section (on TARGET if given, e.g. AVX2): 1 thread, 1/2/4/8 tokens
// (decode and small decode batches) on the ffn_down shape, then the Q4_K_M decode step (a quick
// before/after check of dot_simd.cpp).
//
// 5. A weights-only decode step of Qwen2.5-0.5B (every matrix of 24 layers + the tied output, in the
//    llama-quantize type mix) in tokens/s, against llama.cpp's tg32 on this machine and the roofline.
//
// Every figure is given twice: from wall-clock time (what a user sees) and from the process's CPU time
// divided by the thread count (what the code costs when it has the cores to itself). On a shared,
// oversubscribed host (the load average is printed) only the CPU-time figures are comparable; the
// fractions of bandwidth use CPU time on both sides.
#include <immintrin.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/kernels.h"

namespace k = occam::kernels;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall-clock and CPU-time (process CPU time / threads) durations of one operation.
struct Timing {
  double wall, cpu;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// 64-byte aligned, zero-initialised buffer of bytes.
struct Buffer {
  explicit Buffer(size_t n) : size(n), data(static_cast<uint8_t*>(std::aligned_alloc(64, (n + 63) / 64 * 64))) {
    std::memset(data.get(), 0, n);
  }
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  size_t size;
  std::unique_ptr<uint8_t, Free> data;
};

// ---------------------------------------------------------------------------------------------
// 1. Memory bandwidth

double read_sum(const uint8_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 128 <= n; i += 128) {
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  alignas(32) int64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  return static_cast<double>(lanes[0] + lanes[1] + lanes[2] + lanes[3]);
}

// GB/s: {wall, cpu} medians over passes.
Timing memory_bandwidth(k::ThreadPool& pool, const Buffer& buf, int passes) {
  std::vector<double> wall, cpu;
  volatile double sink = 0;
  for (int pass = 0; pass < passes; ++pass) {
    std::vector<double> partial(static_cast<size_t>(pool.size()));
    const auto t0 = Clock::now();
    const double c0 = cpu_seconds();
    pool.run([&](int t, int n) {
      const size_t slice = buf.size / static_cast<size_t>(n) / 128 * 128;
      partial[static_cast<size_t>(t)] = read_sum(buf.data.get() + slice * static_cast<size_t>(t), slice);
    });
    const double c = (cpu_seconds() - c0) / pool.size();
    const double s = seconds_since(t0);
    for (double p : partial) sink = sink + p;
    wall.push_back(static_cast<double>(buf.size) / s / 1e9);
    cpu.push_back(static_cast<double>(buf.size) / c / 1e9);
  }
  return {median(wall), median(cpu)};
}

// ---------------------------------------------------------------------------------------------
// Weights

// n_rows × ne0 matrix of `type` from a few distinct quantized rows, tiled (speed does not depend on
// the values); `copies` independent copies so that a cycle through them does not fit in the caches.
struct Matrix {
  k::Type type;
  int64_t ne0, n_rows;
  size_t bytes;  // one copy
  std::vector<Buffer> copies;
};

Matrix make_matrix(k::Type type, int64_t ne0, int64_t n_rows, size_t min_total_bytes) {
  const size_t rb = k::row_bytes(type, ne0);
  Matrix m{type, ne0, n_rows, rb * static_cast<size_t>(n_rows), {}};
  constexpr int kDistinct = 16;
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> values(static_cast<size_t>(ne0));
  std::vector<uint8_t> pattern(rb * kDistinct);
  for (int r = 0; r < kDistinct; ++r) {
    for (float& v : values) v = normal(rng);
    if (!k::quantize_row(type, values.data(), pattern.data() + r * rb, ne0).ok()) std::abort();
  }
  const size_t n_copies = std::max<size_t>(1, (min_total_bytes + m.bytes - 1) / m.bytes);
  for (size_t c = 0; c < n_copies; ++c) {
    m.copies.emplace_back(m.bytes);
    for (int64_t r = 0; r < n_rows; ++r) {
      std::memcpy(m.copies.back().data.get() + r * rb, pattern.data() + (r % kDistinct) * rb, rb);
    }
  }
  return m;
}

// Median seconds of one matmul of `tokens` tokens, cycling through the copies.
Timing time_matmul(const Matrix& m, int64_t tokens, k::ThreadPool& pool, double budget_s) {
  std::vector<float> x(static_cast<size_t>(m.ne0 * tokens)), y(static_cast<size_t>(m.n_rows * tokens));
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : x) v = normal(rng);
  std::vector<double> times, cpu;
  size_t c = 0;
  const auto start = Clock::now();
  for (int it = 0; it < 3 + static_cast<int>(m.copies.size()); ++it) {  // warm-up: touch every copy
    k::matmul({m.type, m.copies[c].data.get(), m.ne0, m.n_rows, 0}, x.data(), tokens, y.data(), pool);
    c = (c + 1) % m.copies.size();
  }
  while (times.size() < 5 || (seconds_since(start) < budget_s && times.size() < 400)) {
    const auto t0 = Clock::now();
    const double c0 = cpu_seconds();
    k::matmul({m.type, m.copies[c].data.get(), m.ne0, m.n_rows, 0}, x.data(), tokens, y.data(), pool);
    cpu.push_back((cpu_seconds() - c0) / pool.size());
    times.push_back(seconds_since(t0));
    c = (c + 1) % m.copies.size();
  }
  return {median(times), median(cpu)};
}

struct ShapeCase {
  const char* name;
  int64_t ne0, n_rows;
};

// Qwen2.5-0.5B: attn_q/attn_output 896×896, ffn_gate/up 896→4864, ffn_down 4864→896, output 896→151936.
const ShapeCase kShapes[] = {
    {"896x896", 896, 896}, {"896x4864", 896, 4864}, {"4864x896", 4864, 896}, {"896x151936", 896, 151936}};

// ---------------------------------------------------------------------------------------------
// 5. Qwen2.5-0.5B decode step, weights only

struct LayerMatrix {
  int64_t ne0, n_rows;
  k::Type type;
};

// llama-quantize's choices for this model (shared/reference/llamacpp-bench.md): K-quants only where the
// row length allows (ffn_down, 4864); attn_v and ffn_down take the bigger type on "more bits" layers.
std::vector<LayerMatrix> qwen_matrices(const std::string& mix) {
  const int n_layer = 24;
  auto more_bits = [&](int i) { return i < n_layer / 8 || i >= 7 * n_layer / 8 || (i - n_layer / 8) % 3 == 2; };
  std::vector<LayerMatrix> out;
  for (int i = 0; i < n_layer; ++i) {
    k::Type small = k::Type::Q8_0, v = k::Type::Q8_0, down = k::Type::Q8_0;
    if (mix == "F16") small = v = down = k::Type::F16;
    if (mix == "Q4_K_M") {
      small = k::Type::Q5_0;
      v = more_bits(i) ? k::Type::Q8_0 : k::Type::Q5_0;
      down = more_bits(i) ? k::Type::Q6_K : k::Type::Q4_K;
    }
    out.push_back({896, 896, small});   // attn_q
    out.push_back({896, 128, small});   // attn_k
    out.push_back({896, 128, v});       // attn_v
    out.push_back({896, 896, small});   // attn_output
    out.push_back({896, 4864, small});  // ffn_gate
    out.push_back({896, 4864, small});  // ffn_up
    out.push_back({4864, 896, down});   // ffn_down
  }
  out.push_back({896, 151936, mix == "F16" ? k::Type::F16 : k::Type::Q8_0});  // tied output
  return out;
}

struct DecodeResult {
  double bytes;
  Timing tokens_per_s;
};

// tokens_per_s counts every token of the step: `tokens` sequences decoded together (one matmul each).
DecodeResult decode_step(const std::string& mix, k::ThreadPool& pool, double budget_s, int64_t tokens = 1) {
  const std::vector<LayerMatrix> spec = qwen_matrices(mix);
  std::vector<Matrix> mats;
  double bytes = 0;
  for (const LayerMatrix& l : spec) {
    mats.push_back(make_matrix(l.type, l.ne0, l.n_rows, 0));
    bytes += static_cast<double>(mats.back().bytes);
  }
  std::vector<float> x(static_cast<size_t>(4864 * tokens)), y(static_cast<size_t>(151936 * tokens));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.01f * static_cast<float>(static_cast<int>(i % 97) - 48);
  std::vector<double> times, cpu;
  const auto start = Clock::now();
  for (int it = 0; times.size() < 3 || (seconds_since(start) < budget_s && times.size() < 50); ++it) {
    const auto t0 = Clock::now();
    const double c0 = cpu_seconds();
    for (const Matrix& m : mats) {
      k::matmul({m.type, m.copies[0].data.get(), m.ne0, m.n_rows, 0}, x.data(), tokens, y.data(), pool);
    }
    if (it > 0) {
      cpu.push_back((cpu_seconds() - c0) / pool.size());
      times.push_back(seconds_since(t0));
    }
  }
  const double n = static_cast<double>(tokens);
  return {bytes, {n / median(times), n / median(cpu)}};
}

// K-quant GEMV and small batches at 1 thread (weights streamed from DRAM), then the Q4_K_M decode step.
void kquant_section(k::ThreadPool& pool) {
  std::printf("## K-quants, 1 thread, 4864x896 (CPU time): us per matmul, GB/s of weights\n\n");
  std::printf("| type | 1 token | 2 tokens | 4 tokens | 8 tokens |\n|---|---|---|---|---|\n");
  for (k::Type type : {k::Type::Q4_K, k::Type::Q6_K, k::Type::Q5_K}) {
    const Matrix m = make_matrix(type, kShapes[2].ne0, kShapes[2].n_rows, size_t{256} << 20);
    std::printf("| %s |", k::traits(type).name);
    for (int64_t tokens : {1, 2, 4, 8}) {
      const Timing tm = time_matmul(m, tokens, pool, 1.0);
      std::printf(" %.1f us, %.1f GB/s |", tm.cpu * 1e6, static_cast<double>(m.bytes) / tm.cpu / 1e9);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  std::printf("\n| Qwen2.5-0.5B Q4_K_M decode step, 1 thread | tokens/s wall / CPU time |\n|---|---|\n");
  for (int64_t tokens : {1, 4}) {
    const DecodeResult r = decode_step("Q4_K_M", pool, 3.0, tokens);
    std::printf("| %lld sequence(s) | %.1f / %.1f |\n", static_cast<long long>(tokens), r.tokens_per_s.wall,
                r.tokens_per_s.cpu);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const double budget = quick ? 0.3 : 1.0;
  char load[64] = "?";
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (!std::fgets(load, sizeof load, f)) load[0] = 0;
    std::fclose(f);
    load[std::strcspn(load, "\n")] = 0;
  }
  std::printf("# bench_kernels — SIMD target %s, %u hardware threads, load average %s\n\n",
              k::current_simd_target().c_str(), std::thread::hardware_concurrency(), load);

  k::ThreadPool pool1(1), pool2(2);
  k::ThreadPool* pools[2] = {&pool1, &pool2};
  if (argc > 1 && std::string(argv[1]) == "--kquant") {
    if (argc > 2 && !k::force_simd_target(argv[2]).ok()) {  // e.g. AVX2 on an AVX-512 host
      std::fprintf(stderr, "unknown SIMD target %s\n", argv[2]);
      return 1;
    }
    std::printf("(kernels run on %s)\n\n", k::current_simd_target().c_str());
    kquant_section(pool1);
    return 0;
  }
  Timing bw_t[2];
  {
    Buffer buf(size_t{1} << 30);
    for (size_t i = 0; i < buf.size; i += 4096) buf.data.get()[i] = static_cast<uint8_t>(i >> 12);
    for (int t = 0; t < 2; ++t) bw_t[t] = memory_bandwidth(*pools[t], buf, quick ? 3 : 7);
  }
  const double bw[2] = {bw_t[0].cpu, bw_t[1].cpu};  // the reference for every fraction below
  std::printf("## Memory read bandwidth (1 GiB, median of passes)\n\n| threads | GB/s wall | GB/s CPU time |\n|---|---|---|\n");
  std::printf("| 1 | %.1f | %.1f |\n| 2 | %.1f | %.1f |\n\n", bw_t[0].wall, bw[0], bw_t[1].wall, bw[1]);

  // 2. GEMV
  const k::Type gemv_types[] = {k::Type::F16, k::Type::BF16, k::Type::Q8_0, k::Type::Q5_0,
                                k::Type::Q4_0, k::Type::Q4_1, k::Type::Q5_1, k::Type::Q4_K,
                                k::Type::Q5_K, k::Type::Q6_K};
  std::printf("## GEMV (decode, 1 token): GB/s of weights (wall / CPU time) and CPU-time fraction of the bandwidth\n\n");
  std::printf("| type | shape (ne0 x rows) | MB | 1 thread GB/s | %% of bw | 2 threads GB/s | %% of bw |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (k::Type type : gemv_types) {
    for (const ShapeCase& s : kShapes) {
      if (s.ne0 % k::block_size(type) != 0) continue;
      if (quick && s.n_rows == 151936 && type != k::Type::Q8_0) continue;
      const Matrix m = make_matrix(type, s.ne0, s.n_rows, size_t{256} << 20);
      Timing g[2];
      for (int t = 0; t < 2; ++t) {
        const Timing tm = time_matmul(m, 1, *pools[t], budget);
        g[t] = {static_cast<double>(m.bytes) / tm.wall / 1e9, static_cast<double>(m.bytes) / tm.cpu / 1e9};
      }
      std::printf("| %s | %s | %.2f | %.1f / %.1f | %.0f %% | %.1f / %.1f | %.0f %% |\n", k::traits(type).name, s.name,
                  static_cast<double>(m.bytes) / 1e6, g[0].wall, g[0].cpu, 100 * g[0].cpu / bw[0], g[1].wall, g[1].cpu,
                  100 * g[1].cpu / bw[1]);
      std::fflush(stdout);
    }
  }

  // 3. Batched decode
  std::printf("\n## Batched decode: 8 sequences in one matmul vs one (2 threads; times wall / CPU)\n\n");
  std::printf("| type | shape | 1 token ms | 8 tokens ms | tokens/s gain 8·t1/t8 (CPU time) |\n|---|---|---|---|---|\n");
  for (auto [type, s] : {std::pair{k::Type::Q8_0, kShapes[1]}, std::pair{k::Type::Q5_0, kShapes[1]},
                         std::pair{k::Type::Q4_K, kShapes[2]}, std::pair{k::Type::Q6_K, kShapes[2]},
                         std::pair{k::Type::F16, kShapes[1]}}) {
    const Matrix m = make_matrix(type, s.ne0, s.n_rows, size_t{256} << 20);
    const Timing t1 = time_matmul(m, 1, pool2, budget), t8 = time_matmul(m, 8, pool2, budget);
    std::printf("| %s | %s | %.3f / %.3f | %.3f / %.3f | %.2fx |\n", k::traits(type).name, s.name, t1.wall * 1e3,
                t1.cpu * 1e3, t8.wall * 1e3, t8.cpu * 1e3, 8 * t1.cpu / t8.cpu);
  }

  // 4. GEMM
  std::printf("\n## GEMM (prefill, 512 tokens): GFLOP/s (wall / CPU time)\n\n| type | shape | 1 thread | 2 threads |\n|---|---|---|---|\n");
  for (k::Type type : {k::Type::F32, k::Type::F16, k::Type::Q8_0, k::Type::Q5_0, k::Type::Q4_0, k::Type::Q4_K,
                       k::Type::Q6_K}) {
    const ShapeCase& s = k::block_size(type) == 256 ? kShapes[2] : kShapes[1];
    const Matrix m = make_matrix(type, s.ne0, s.n_rows, 0);
    Timing gf[2];
    const double flop = 2.0 * static_cast<double>(s.ne0) * static_cast<double>(s.n_rows) * 512;
    for (int t = 0; t < 2; ++t) {
      const Timing tm = time_matmul(m, 512, *pools[t], budget);
      gf[t] = {flop / tm.wall / 1e9, flop / tm.cpu / 1e9};
    }
    std::printf("| %s | %s | %.1f / %.1f | %.1f / %.1f |\n", k::traits(type).name, s.name, gf[0].wall, gf[0].cpu,
                gf[1].wall, gf[1].cpu);
    std::fflush(stdout);
  }

  // 5. Decode step
  std::printf("\n## Qwen2.5-0.5B decode step, weight matmuls only (24 layers + tied output)\n\n");
  std::printf("| weights | MB/token | threads | tokens/s wall / CPU time | GB/s (CPU) | %% of bw | llama.cpp tg32 t/s 1 / 2 threads (whole model) |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  const std::pair<const char*, const char*> mixes[] = {{"F16", "17.0 / 26.1"}, {"Q8_0", "28.9 / 40.0"},
                                                       {"Q4_K_M", "29.0 / 41.0"}};
  for (const auto& [mix, ref] : mixes) {
    for (int t = 0; t < 2; ++t) {
      const DecodeResult r = decode_step(mix, *pools[t], quick ? 1.0 : 3.0);
      const double gbs = r.bytes * r.tokens_per_s.cpu / 1e9;
      std::printf("| %s | %.1f | %d | %.1f / %.1f | %.1f | %.0f %% | %s |\n", mix, r.bytes / 1e6, t + 1,
                  r.tokens_per_s.wall, r.tokens_per_s.cpu, gbs, 100 * gbs / bw[t], ref);
      std::fflush(stdout);
    }
  }

  // 6. Batched decode step: the issue-5 target is 8 sequences ≥ 4× the tokens/s of one (2 threads).
  std::printf("\n## Qwen2.5-0.5B decode step, 8 sequences together vs one (2 threads, weight matmuls only)\n\n");
  std::printf("| weights | 1 sequence tokens/s wall / CPU | 8 sequences tokens/s wall / CPU | gain (CPU time) |\n|---|---|---|---|\n");
  for (const char* mix : {"Q8_0", "Q4_K_M"}) {
    const DecodeResult one = decode_step(mix, pool2, quick ? 1.0 : 3.0, 1);
    const DecodeResult eight = decode_step(mix, pool2, quick ? 1.0 : 3.0, 8);
    std::printf("| %s | %.1f / %.1f | %.1f / %.1f | %.2fx |\n", mix, one.tokens_per_s.wall, one.tokens_per_s.cpu,
                eight.tokens_per_s.wall, eight.tokens_per_s.cpu, eight.tokens_per_s.cpu / one.tokens_per_s.cpu);
    std::fflush(stdout);
  }
  return 0;
}
