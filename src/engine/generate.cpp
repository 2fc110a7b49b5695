// Context::generate: prefill, then sample / decode one token at a time, with stop strings held back
// from the stream until they can no longer match.
#include <algorithm>
#include <chrono>

#include "engine/engine.h"
#include "engine/internal/context_impl.h"
#include "engine/stop_strings.h"

namespace occam::engine {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

Result<Generated> Context::generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                                    const TokenCallback& on_token) {
  ContextImpl& c = *impl_;
  const HParams& hp = c.m->hp;
  if (!hp.causal) return make_error(ErrorCode::invalid_argument, "generate: '{}' is an encoder model", hp.arch);
  if (prompt.empty()) return make_error(ErrorCode::invalid_argument, "generate: empty prompt");
  if (options.seq < 0 || static_cast<uint32_t>(options.seq) >= c.options.n_seq) {
    return make_error(ErrorCode::invalid_argument, "generate: sequence {} out of range (n_seq {})", options.seq,
                      c.options.n_seq);
  }
  if (prompt.size() >= c.options.n_ctx) {
    return make_error(ErrorCode::invalid_argument, "prompt of {} tokens exceeds the context (n_ctx {})",
                      prompt.size(), c.options.n_ctx);
  }
  for (const std::string& stop : options.stop) {
    if (stop.empty()) return make_error(ErrorCode::invalid_argument, "generate: empty stop string");
    if (!options.token_text) {
      return make_error(ErrorCode::invalid_argument, "generate: stop strings need GenerateOptions::token_text");
    }
  }

  Generated out;
  out.n_prompt = static_cast<int>(prompt.size());
  const int32_t seq = options.seq;
  clear(seq);
  Batch batch;
  for (size_t i = 0; i < prompt.size(); ++i) {
    batch.add(prompt[i], static_cast<int32_t>(i), seq, i + 1 == prompt.size());
  }
  auto start = Clock::now();
  OCCAM_TRY(decode(batch));
  out.prompt_seconds = seconds_since(start);
  start = Clock::now();

  Sampler sampler(options.sampling, static_cast<int32_t>(hp.n_vocab));
  if (options.mask) sampler.set_mask(options.mask);
  for (int32_t t : prompt) sampler.accept(t);
  TokenLogprobs logprobs;
  const bool want_logprobs = options.sampling.n_logprobs > 0;
  StopStringFilter filter(&options.stop);
  out.finish_reason = "length";
  int32_t pos = static_cast<int32_t>(prompt.size());
  for (int i = 0; i < options.max_tokens; ++i) {
    const int32_t token = sampler.sample(logits(0), want_logprobs ? &logprobs : nullptr);
    if (token < 0) {
      return make_error(ErrorCode::invalid_argument, "generate: the token mask forbids every token");
    }
    sampler.accept(token);
    const auto& ends = c.m->end_tokens;
    if (options.stop_at_eos && std::find(ends.begin(), ends.end(), token) != ends.end()) {
      out.finish_reason = "stop";
      break;
    }
    out.tokens.push_back(token);
    const std::string_view piece = options.token_text ? filter.push(options.token_text(token)) : std::string_view{};
    const bool stopped_by_string = filter.stopped();
    if (on_token && !on_token(token, piece, logprobs)) {
      out.finish_reason = "stop";
      break;
    }
    if (stopped_by_string) {
      out.finish_reason = "stop";
      break;
    }
    if (static_cast<uint32_t>(pos) >= c.options.n_ctx) break;  // context full: "length"
    if (i + 1 == options.max_tokens) break;
    batch.clear();
    batch.add(token, pos++, seq, true);
    OCCAM_TRY(decode(batch));
  }
  // Text held back as a possible stop-string start is released when generation ends otherwise.
  if (const std::string_view rest = filter.release(); !rest.empty() && on_token) {
    on_token(-1, rest, TokenLogprobs{});
  }
  out.text = filter.take_text();
  out.decode_seconds = seconds_since(start);
  return out;
}

}  // namespace occam::engine
