// `occam chat -m MODEL.gguf [--system TEXT] [sampling options]`: an interactive conversation on
// stdin/stdout. Each turn renders the model's chat template (tokenizer.chat_template, else ChatML) over
// the whole conversation and generates the assistant's reply, streamed. An empty line or EOF ends it.
#include <cstdio>
#include <iostream>
#include <string>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "cli/engine_args.h"
#include "engine/engine.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace occam::cli {
namespace {

struct ChatArgs {
  EngineArgs engine;
  std::string system;
  int n_predict = 512;
};

int chat(const ChatArgs& args) {
  auto loaded = args.engine.load();
  if (!loaded.ok()) {
    fmt::print(stderr, "error: {}\n", loaded.error().message());
    return kExitFailure;
  }
  const tokenizer::Tokenizer& tok = *loaded->tokenizer;
  engine::Context& ctx = *loaded->context;
  std::string source;
  if (auto from_file = tokenizer::chat_template_from_gguf(loaded->model->file()); from_file.ok()) {
    source = *from_file;
  } else {
    source = std::string(tokenizer::default_chat_template());
    fmt::print(stderr, "(no chat template in the model: using ChatML)\n");
  }
  auto tpl = tokenizer::ChatTemplate::parse(source);
  if (!tpl.ok()) {
    fmt::print(stderr, "error: chat template: {}\n", tpl.error().message());
    return kExitFailure;
  }
  const tokenizer::SpecialTokens& special = tok.special();
  tokenizer::ChatTemplateOptions tpl_options;
  tpl_options.add_generation_prompt = true;
  if (special.bos >= 0) tpl_options.bos_token = std::string(tok.token_text(special.bos));
  if (special.eos >= 0) tpl_options.eos_token = std::string(tok.token_text(special.eos));

  boost::json::array messages;
  if (!args.system.empty()) messages.push_back({{"role", "system"}, {"content", args.system}});
  engine::SamplerParams sampling = args.engine.sampler_params();
  std::string line;
  for (;;) {
    fmt::print(stderr, "> ");
    std::fflush(stderr);
    if (!std::getline(std::cin, line) || line.empty()) break;
    messages.push_back({{"role", "user"}, {"content", line}});
    auto text = tpl->render(boost::json::serialize(messages), tpl_options);
    if (!text.ok()) {
      fmt::print(stderr, "error: chat template: {}\n", text.error().message());
      return kExitFailure;
    }
    // The template writes BOS itself when it wants one; add it only when it did not.
    const bool has_bos = !tpl_options.bos_token.empty() && text->rfind(tpl_options.bos_token, 0) == 0;
    const std::vector<int32_t> prompt = tok.encode(*text, {.add_special = !has_bos, .parse_special = true});
    engine::GenerateOptions options;
    options.sampling = sampling;
    ++sampling.seed;  // another draw next turn, still reproducible from --seed
    options.max_tokens = args.n_predict;
    tokenizer::StreamDecoder decoder(tok, /*unparse_special=*/false);
    options.token_text = [&](int32_t id) { return decoder.push(id); };
    std::string reply;
    auto out =
        ctx.generate(prompt, options, [&](int32_t, std::string_view piece, const engine::TokenLogprobs&) {
          std::fwrite(piece.data(), 1, piece.size(), stdout);
          std::fflush(stdout);
          reply += piece;
          return true;
        });
    if (!out.ok()) {
      fmt::print(stderr, "\nerror: {}\n", out.error().message());
      return kExitFailure;
    }
    const std::string rest = decoder.finish();
    std::fwrite(rest.data(), 1, rest.size(), stdout);
    reply += rest;
    std::fputc('\n', stdout);
    std::fflush(stdout);
    fmt::print(stderr, "[{} prompt tokens, {} generated, {:.1f} t/s]\n", out->n_prompt, out->tokens.size(),
               out->tokens.size() > 1 ? (out->tokens.size() - 1) / std::max(out->decode_seconds, 1e-9) : 0.0);
    messages.push_back({{"role", "assistant"}, {"content", reply}});
  }
  return kExitOk;
}

CommandRun setup_chat(CLI::App& app) {
  auto args = std::make_shared<ChatArgs>();
  args->engine.add_model_options(app);
  args->engine.add_sampling_options(app);
  app.add_option("--system", args->system, "system message");
  app.add_option("-n,--n-predict", args->n_predict, "tokens per reply at most (default 512)");
  return [args] { return chat(*args); };
}

}  // namespace

OCCAM_REGISTER_COMMAND(chat, "Chat interactively with an embedded GGUF model (its chat template)",
                       setup_chat);

}  // namespace occam::cli
