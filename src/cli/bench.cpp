// `occam bench -m MODEL.gguf [-p 512] [-n 128] [-t N] [-r 3] [--json]`: prefill and decode tokens/s
// (llama-bench's ppN / tgN, medians of r repetitions).
#include <algorithm>
#include <chrono>
#include <vector>

#include <fmt/format.h>

#include "cli/engine_args.h"
#include "engine/engine.h"
#include "engine/speed.h"

namespace occam::cli {
namespace {

struct BenchArgs {
  EngineArgs engine;
  int n_prompt = 512;
  int n_gen = 128;
  int reps = 3;
  bool json = false;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

int bench(const BenchArgs& args) {
  const auto t0 = std::chrono::steady_clock::now();
  auto model = engine::Model::load(args.engine.model);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!model.ok()) {
    fmt::print(stderr, "error: {}\n", model.error().message());
    return kExitFailure;
  }
  engine::ContextOptions options = args.engine.context_options();
  options.n_ctx = static_cast<uint32_t>(std::max(args.n_prompt, args.n_gen) + 1);
  auto ctx = engine::Context::create(*model, options);
  if (!ctx.ok()) {
    fmt::print(stderr, "error: {}\n", ctx.error().message());
    return kExitFailure;
  }
  std::vector<double> pp, tg;
  for (int r = 0; r < std::max(1, args.reps) + 1; ++r) {  // the first round warms the page cache
    if (args.n_prompt > 0) {
      auto v = engine::measure_prefill(**ctx, args.n_prompt, static_cast<uint64_t>(r));
      if (!v.ok()) {
        fmt::print(stderr, "error: {}\n", v.error().message());
        return kExitFailure;
      }
      if (r > 0) pp.push_back(*v);
    }
    if (args.n_gen > 0) {
      auto v = engine::measure_decode(**ctx, args.n_gen, 1, static_cast<uint64_t>(r));
      if (!v.ok()) {
        fmt::print(stderr, "error: {}\n", v.error().message());
        return kExitFailure;
      }
      if (r > 0) tg.push_back(*v);
    }
  }
  const engine::ModelInfo& info = (*model)->info();
  if (args.json) {
    fmt::print("{{\"model\":\"{}\",\"arch\":\"{}\",\"threads\":{},\"load_s\":{:.4f},\"pp\":{},\"pp_tps\":{:.2f},"
               "\"tg\":{},\"tg_tps\":{:.2f}}}\n",
               args.engine.model, info.architecture, (*ctx)->threads(), load_s, args.n_prompt, median(pp), args.n_gen,
               median(tg));
  } else {
    fmt::print("model {} ({}, {:.1f} MB), {} threads, load {:.3f} s\n", args.engine.model, info.architecture,
               info.file_bytes / 1e6, (*ctx)->threads(), load_s);
    if (args.n_prompt > 0) fmt::print("pp{:<5} {:8.1f} t/s\n", args.n_prompt, median(pp));
    if (args.n_gen > 0) fmt::print("tg{:<5} {:8.1f} t/s\n", args.n_gen, median(tg));
  }
  return kExitOk;
}

CommandRun setup_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  args->engine.add_model_options(app);
  app.add_option("-p,--n-prompt", args->n_prompt, "prompt tokens (ppN; 0 = skip)");
  app.add_option("-n,--n-gen", args->n_gen, "generated tokens (tgN; 0 = skip)");
  app.add_option("-r,--repetitions", args->reps, "repetitions (median reported)");
  app.add_flag("--json", args->json, "one JSON object on stdout");
  return [args] { return bench(*args); };
}

}  // namespace

OCCAM_REGISTER_COMMAND(bench, "Measure prefill and decode speed of a GGUF model", setup_bench);

}  // namespace occam::cli
