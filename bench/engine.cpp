// bench_engine: the engine's prefill / decode speed on random-weight models with the exact shapes of
// SmolLM2-135M and Qwen2.5-0.5B (F16, Q8_0, Q4_K_M), against llama.cpp's figures on this machine
// (shared/reference/llamacpp-bench.md) and against the memory-bandwidth roofline measured in the same run.
//
//   bench_engine [--reps N] [--cache DIR] [--only smollm|qwen] [--types F16,Q8_0,Q4_K_M] [--threads 1,2]
//                [--prepare]   (only generate the models)
//
// Models are generated once into the cache directory (default: ./bench-models, i.e. the build dir).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/shared_data.h"
#include "engine/engine.h"
#include "engine/random_model.h"
#include "engine/speed.h"
#include "gguf/gguf.h"

namespace {

using namespace occam;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// Read bandwidth (GB/s, 1e9 bytes) of summing a 1 GiB buffer written beforehand, split across threads:
// median of `passes` passes.
double memory_bandwidth(int threads, int passes) {
  const size_t n = (size_t{1} << 30) / sizeof(uint64_t);
  static std::vector<uint64_t> buffer;
  if (buffer.size() != n) {
    buffer.resize(n);
    for (size_t i = 0; i < n; ++i) buffer[i] = i * 2654435761u;
  }
  std::vector<double> gbps;
  std::atomic<uint64_t> sink{0};
  for (int p = 0; p < passes; ++p) {
    const auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        const size_t begin = n * t / threads, end = n * (t + 1) / threads;
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (size_t i = begin; i + 4 <= end; i += 4) {
          s0 += buffer[i];
          s1 += buffer[i + 1];
          s2 += buffer[i + 2];
          s3 += buffer[i + 3];
        }
        sink += s0 + s1 + s2 + s3;
      });
    }
    for (auto& w : workers) w.join();
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    gbps.push_back(static_cast<double>(n * sizeof(uint64_t)) / s / 1e9);
  }
  if (sink.load() == 42) std::puts("");  // keeps the sums alive
  return median(gbps);
}

// llama.cpp's medians from llamacpp-bench.md: key "<shape>|<type>|<threads>" → {pp64, pp512, tg32}.
std::map<std::string, std::array<double, 3>> llamacpp_reference() {
  std::map<std::string, std::array<double, 3>> out;
  auto path = shared_path("reference/llamacpp-bench.md");
  if (!path.ok()) return out;
  std::ifstream in(*path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| SmolLM2-135M |", 0) != 0 && line.rfind("| Qwen2.5-0.5B |", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '|')) {
      const size_t a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
      cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
    }
    // "", shape, weights, file bytes, threads, pp64, pp512, tg32 (the roofline table has other columns)
    if (cells.size() < 8 || cells[4].size() != 1) continue;
    out[cells[1] + "|" + cells[2] + "|" + cells[4]] = {std::atof(cells[5].c_str()), std::atof(cells[6].c_str()),
                                                       std::atof(cells[7].c_str())};
  }
  return out;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

struct Row {
  std::string shape, type;
  int threads;
  double pp64, pp512, tg32, roof_frac;
  std::array<double, 3> ref;
};

}  // namespace

int main(int argc, char** argv) {
  int reps = 3;
  std::filesystem::path cache = "bench-models";
  std::string only;
  std::vector<std::string> types = {"F16", "Q8_0", "Q4_K_M"};
  std::vector<int> thread_counts = {1, 2};
  bool prepare_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--reps") reps = std::max(1, std::atoi(next().c_str()));
    else if (a == "--cache") cache = next();
    else if (a == "--only") only = next();
    else if (a == "--prepare") prepare_only = true;
    else if (a == "--types") types = split(next());
    else if (a == "--threads") {
      thread_counts.clear();
      for (const std::string& t : split(next())) thread_counts.push_back(std::atoi(t.c_str()));
    } else {
      fmt::print(stderr, "usage: bench_engine [--reps N] [--cache DIR] [--only smollm|qwen] [--types F16,Q8_0,Q4_K_M] "
                 "[--threads 1,2] [--prepare]\n");
      return 2;
    }
  }
  std::filesystem::create_directories(cache);
  const auto reference = llamacpp_reference();
  if (reference.empty()) fmt::print(stderr, "warning: llamacpp-bench.md not found; no llama.cpp ratios\n");

  std::map<int, double> bandwidth;
  if (!prepare_only) {
    for (int t : thread_counts) bandwidth[t] = memory_bandwidth(t, 7);
    for (auto [t, bw] : bandwidth) fmt::print("memory read bandwidth, {} thread(s): {:.1f} GB/s\n", t, bw);
  }

  struct Shape {
    std::string name;
    engine::RandomModelSpec spec;
  };
  std::vector<Shape> shapes;
  if (only.empty() || only == "smollm") shapes.push_back({"SmolLM2-135M", engine::smollm2_135m_shape()});
  if (only.empty() || only == "qwen") shapes.push_back({"Qwen2.5-0.5B", engine::qwen25_05b_shape()});

  std::vector<Row> rows;
  std::vector<std::string> batch_lines;
  for (const Shape& shape : shapes) {
    for (const std::string& type : types) {
      engine::RandomModelSpec spec = shape.spec;
      spec.type = type;
      spec.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      const auto path = cache / fmt::format("{}-{}.gguf", shape.name, type);
      if (!std::filesystem::exists(path)) {
        fmt::print(stderr, "generating {} ...\n", path.string());
        const auto t0 = Clock::now();
        if (auto st = engine::write_random_model(spec, path); !st.ok()) {
          fmt::print(stderr, "error: {}\n", st.error().message());
          return 1;
        }
        fmt::print(stderr, "  {:.1f} s\n", std::chrono::duration<double>(Clock::now() - t0).count());
      }
      if (prepare_only) continue;
      uint64_t tensor_bytes = 0;
      {
        auto file = gguf::File::open(path);
        if (!file.ok()) {
          fmt::print(stderr, "error: {}\n", file.error().message());
          return 1;
        }
        for (const gguf::TensorInfo& t : file->tensors()) tensor_bytes += t.n_bytes;
      }
      const auto t0 = Clock::now();
      auto model = engine::Model::load(path);
      const double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
      if (!model.ok()) {
        fmt::print(stderr, "error: {}\n", model.error().message());
        return 1;
      }
      fmt::print("{} {}: file {:.1f} MB, tensors {:.1f} MB, load {:.3f} s\n", shape.name, type,
                 (*model)->info().file_bytes / 1e6, tensor_bytes / 1e6, load_s);
      for (int threads : thread_counts) {
        engine::ContextOptions options;
        options.n_ctx = 576;
        options.threads = threads;
        auto ctx = engine::Context::create(*model, options);
        if (!ctx.ok()) {
          fmt::print(stderr, "error: {}\n", ctx.error().message());
          return 1;
        }
        std::vector<double> pp64, pp512, tg32;
        for (int r = 0; r <= reps; ++r) {  // round 0 warms caches and pages
          auto a = engine::measure_prefill(**ctx, 64, r);
          auto b = engine::measure_prefill(**ctx, 512, r);
          auto c = engine::measure_decode(**ctx, 32, 1, r);
          if (!a.ok() || !b.ok() || !c.ok()) {
            fmt::print(stderr, "error during measurement\n");
            return 1;
          }
          if (r == 0) continue;
          pp64.push_back(*a);
          pp512.push_back(*b);
          tg32.push_back(*c);
        }
        Row row{shape.name, type, threads, median(pp64), median(pp512), median(tg32), 0, {0, 0, 0}};
        row.roof_frac = row.tg32 / (bandwidth[threads] * 1e9 / static_cast<double>(tensor_bytes));
        auto it = reference.find(shape.name + "|" + type + "|" + std::to_string(threads));
        if (it != reference.end()) row.ref = it->second;
        fmt::print("  {} thr: pp64 {:7.1f} ({:.2f}x)  pp512 {:7.1f} ({:.2f}x)  tg32 {:6.1f} ({:.2f}x)  roofline {:.0f}%\n",
                   threads, row.pp64, row.ref[0] > 0 ? row.pp64 / row.ref[0] : 0, row.pp512,
                   row.ref[1] > 0 ? row.pp512 / row.ref[1] : 0, row.tg32, row.ref[2] > 0 ? row.tg32 / row.ref[2] : 0,
                   100 * row.roof_frac);
        std::fflush(stdout);
        rows.push_back(row);
      }
      // Several sequences decoded together share each weight read (2 threads).
      const int threads = thread_counts.back();
      engine::ContextOptions options;
      options.n_ctx = 64;
      options.n_seq = 8;
      options.threads = threads;
      auto ctx = engine::Context::create(*model, options);
      if (!ctx.ok()) return 1;
      std::vector<double> one, eight;
      for (int r = 0; r <= reps; ++r) {
        auto a = engine::measure_decode(**ctx, 32, 1, r);
        auto b = engine::measure_decode(**ctx, 32, 8, r);
        if (!a.ok() || !b.ok()) return 1;
        if (r == 0) continue;
        one.push_back(*a);
        eight.push_back(*b);
      }
      const std::string line = fmt::format("| {} | {} | {} | {:.1f} | {:.1f} | {:.2f}x |", shape.name, type, threads,
                                           median(one), median(eight), median(eight) / median(one));
      fmt::print("  8 sequences together: {:.1f} t/s vs 1: {:.1f} t/s ({:.2f}x)\n", median(eight), median(one),
                 median(eight) / median(one));
      batch_lines.push_back(line);
    }
  }

  fmt::print("\n| model shape | weights | threads | pp64 t/s (× llama.cpp) | pp512 t/s (×) | tg32 t/s (×) | tg32 / roofline |\n");
  fmt::print("|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    auto ratio = [](double v, double ref) { return ref > 0 ? fmt::format("{:.2f}", v / ref) : std::string("–"); };
    fmt::print("| {} | {} | {} | {:.1f} ({}) | {:.1f} ({}) | {:.1f} ({}) | {:.0f}% |\n", r.shape, r.type, r.threads,
               r.pp64, ratio(r.pp64, r.ref[0]), r.pp512, ratio(r.pp512, r.ref[1]), r.tg32, ratio(r.tg32, r.ref[2]),
               100 * r.roof_frac);
  }
  fmt::print("\n| model shape | weights | threads | tg32 1 seq t/s | tg32 8 seqs t/s (total) | ratio |\n|---|---|---|---|---|---|\n");
  for (const std::string& l : batch_lines) fmt::print("{}\n", l);
  return 0;
}
