// Options shared by the engine verbs (run, chat, bench): model, threads, context, sampling.
#pragma once

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "cli/command.h"
#include "core/error.h"
#include "engine/engine.h"
#include "tokenizer/tokenizer.h"

namespace occam::cli {

// A model ready to generate: what run and chat start from.
struct LoadedEngine {
  std::shared_ptr<const engine::Model> model;
  std::optional<tokenizer::Tokenizer> tokenizer;
  std::unique_ptr<engine::Context> context;
};

struct EngineArgs {
  std::string model;
  int threads = 0;
  uint32_t n_ctx = 0;
  engine::SamplerParams sampling;
  int64_t seed = -1;  // -1: random
  bool kv_f32 = false;

  EngineArgs() {
    // llama.cpp's common defaults.
    sampling.temperature = 0.8f;
    sampling.top_k = 40;
    sampling.top_p = 0.95f;
    sampling.min_p = 0.05f;
  }

  void add_model_options(CLI::App& app) {
    app.add_option("-m,--model", model, "GGUF model file")->required();
    app.add_option("-t,--threads", threads, "threads (default: all cores)");
    app.add_option("-c,--ctx-size", n_ctx, "context length (default: min(model's, 4096))");
    app.add_flag("--kv-f32", kv_f32, "F32 KV cache instead of F16");
  }

  void add_sampling_options(CLI::App& app) {
    app.add_option("--temp", sampling.temperature, "temperature (0 = greedy)");
    app.add_option("--top-k", sampling.top_k, "top-k (0 = off)");
    app.add_option("--top-p", sampling.top_p, "top-p (1 = off)");
    app.add_option("--min-p", sampling.min_p, "min-p (0 = off)");
    app.add_option("--repeat-penalty", sampling.repeat_penalty, "repetition penalty (1 = off)");
    app.add_option("--repeat-last-n", sampling.penalty_last_n,
                   "tokens the penalties look back at (-1 = all)");
    app.add_option("--frequency-penalty", sampling.frequency_penalty, "frequency penalty");
    app.add_option("--presence-penalty", sampling.presence_penalty, "presence penalty");
    app.add_option("-s,--seed", seed, "random seed (default: random)");
  }

  engine::ContextOptions context_options() const {
    engine::ContextOptions o;
    o.n_ctx = n_ctx;
    o.threads = threads;
    o.kv_type = kv_f32 ? engine::KvType::f32 : engine::KvType::f16;
    return o;
  }

  // Loads the model, its tokenizer and a context; the error says which of the three failed.
  Result<LoadedEngine> load() const {
    LoadedEngine out;
    OCCAM_ASSIGN_OR_RETURN(out.model, engine::Model::load(model));
    auto tok = tokenizer::Tokenizer::from_gguf(out.model->file());
    if (!tok.ok()) return std::move(tok).error().with_context("tokenizer");
    out.tokenizer.emplace(std::move(*tok));
    OCCAM_ASSIGN_OR_RETURN(out.context, engine::Context::create(out.model, context_options()));
    return out;
  }

  engine::SamplerParams sampler_params() const {
    engine::SamplerParams p = sampling;
    p.seed = seed >= 0 ? static_cast<uint64_t>(seed) : std::random_device{}();
    return p;
  }
};

}  // namespace occam::cli
