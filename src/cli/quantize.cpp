// `occam quantize IN.gguf OUT.gguf TYPE [--threads N]`: TYPE is Q8_0, Q4_0, Q4_K_M, Q6_K (or F16,
// F32), with llama-quantize's per-tensor rules.
#include <thread>

#include <fmt/format.h>

#include "cli/command.h"
#include "engine/quantize.h"

namespace occam::cli {
namespace {

struct QuantizeArgs {
  std::string in, out, type;
  int threads = 0;
};

CommandRun setup_quantize(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  app.add_option("input", args->in, "source GGUF")->required();
  app.add_option("output", args->out, "destination GGUF")->required();
  app.add_option("type", args->type, "Q8_0, Q4_0, Q4_K_M, Q6_K, F16 or F32")->required();
  app.add_option("-t,--threads", args->threads, "threads (default: all cores)");
  return [args] {
    const int threads = args->threads > 0 ? args->threads : static_cast<int>(std::thread::hardware_concurrency());
    auto stats = engine::quantize_model(args->in, args->out, args->type, threads);
    if (!stats.ok()) {
      fmt::print(stderr, "error: {}\n", stats.error().message());
      return kExitFailure;
    }
    fmt::print("{}: {} tensors quantized, {} kept; {:.1f} MB -> {:.1f} MB\n", args->out, stats->n_quantized,
               stats->n_kept, stats->bytes_in / 1e6, stats->bytes_out / 1e6);
    return kExitOk;
  };
}

}  // namespace

OCCAM_REGISTER_COMMAND(quantize, "Quantize a GGUF model (llama-quantize's type rules)", setup_quantize);

}  // namespace occam::cli
