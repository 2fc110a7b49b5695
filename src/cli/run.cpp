// `occam run -m MODEL.gguf -p PROMPT [-n N] [--temp T] [--seed S] [--top-k/--top-p/--min-p/...]
// [--threads N]` streams the generated text (only) to stdout; timings go to stderr.
#include <cstdio>

#include <fmt/format.h>

#include "cli/engine_args.h"
#include "engine/engine.h"
#include "tokenizer/tokenizer.h"

namespace occam::cli {
namespace {

struct RunArgs {
  EngineArgs engine;
  std::string prompt;
  int n_predict = 128;
  std::vector<std::string> stop;
  bool ignore_eos = false;
};

int run(const RunArgs& args) {
  auto loaded = args.engine.load();
  if (!loaded.ok()) {
    fmt::print(stderr, "error: {}\n", loaded.error().message());
    return kExitFailure;
  }
  const tokenizer::Tokenizer& tok = *loaded->tokenizer;
  engine::Context& ctx = *loaded->context;
  const std::vector<int32_t> prompt = tok.encode(args.prompt, {.add_special = true, .parse_special = true});
  engine::GenerateOptions options;
  options.sampling = args.engine.sampler_params();
  options.max_tokens = args.n_predict;
  options.stop = args.stop;
  options.stop_at_eos = !args.ignore_eos;
  tokenizer::StreamDecoder decoder(tok, /*unparse_special=*/false);
  options.token_text = [&](int32_t id) { return decoder.push(id); };
  auto out = ctx.generate(prompt, options, [](int32_t, std::string_view piece, const engine::TokenLogprobs&) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  if (!out.ok()) {
    fmt::print(stderr, "\nerror: {}\n", out.error().message());
    return kExitFailure;
  }
  if (out->finish_reason != "stop" || args.stop.empty()) {
    const std::string rest = decoder.finish();
    std::fwrite(rest.data(), 1, rest.size(), stdout);
  }
  std::fputc('\n', stdout);
  std::fflush(stdout);
  const size_t n_gen = out->tokens.size();
  fmt::print(
      stderr,
      "\n[{} prompt tokens: {:.1f} t/s | {} generated: {:.1f} t/s | seed {} | {} threads | finish: {}]\n",
      out->n_prompt, out->n_prompt / std::max(out->prompt_seconds, 1e-9), n_gen,
      n_gen > 1 ? (n_gen - 1) / std::max(out->decode_seconds, 1e-9) : 0.0, options.sampling.seed,
      ctx.threads(), out->finish_reason);
  return kExitOk;
}

CommandRun setup_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  args->engine.add_model_options(app);
  args->engine.add_sampling_options(app);
  app.add_option("-p,--prompt", args->prompt, "prompt text")->required();
  app.add_option("-n,--n-predict", args->n_predict, "tokens to generate at most (default 128)");
  app.add_option("--stop", args->stop, "stop string (repeatable)");
  app.add_flag("--ignore-eos", args->ignore_eos, "keep generating past end-of-generation tokens");
  return [args] { return run(*args); };
}

}  // namespace

OCCAM_REGISTER_COMMAND(run, "Generate text from a prompt with an embedded GGUF model", setup_run);

}  // namespace occam::cli
