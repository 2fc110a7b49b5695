// Constrained generation with the engine API (mask hook + token callback), and the forced tool-call
// schema.
#include <boost/json.hpp>

#include "engine/internal/model_impl.h"
#include "engine/structured/grammar.h"

namespace occam::engine::structured {

namespace json = boost::json;

Result<std::shared_ptr<const TokenVocabulary>> TokenVocabulary::for_model(const Model& model) {
  return from_gguf(model.file(), model.impl().end_tokens);
}

ConstrainedDecoder::ConstrainedDecoder(std::shared_ptr<const Grammar> grammar,
                                       std::shared_ptr<const TokenVocabulary> vocab)
    : matcher_(std::move(grammar)), vocab_(std::move(vocab)) {}

TokenMask ConstrainedDecoder::mask() {
  return [this](std::span<const int32_t> candidates, std::span<uint8_t> allowed) {
    vocab_->allowed_tokens(matcher_, allowed_);
    for (size_t i = 0; i < candidates.size(); ++i) {
      const auto id = static_cast<size_t>(candidates[i]);
      allowed[i] = id < allowed_.size() ? allowed_[id] : 0;  // ids beyond the tokenizer (padding)
    }
  };
}

bool ConstrainedDecoder::accept(int32_t token) {
  const auto& ends = vocab_->end_tokens();
  if (std::find(ends.begin(), ends.end(), token) != ends.end()) return matcher_.complete();
  const std::string_view piece = vocab_->piece(token);
  return !piece.empty() && matcher_.advance(piece);
}

Result<StructuredResult> generate(Context& context, std::span<const int32_t> prompt,
                                  std::shared_ptr<const Grammar> grammar,
                                  std::shared_ptr<const TokenVocabulary> vocab, GenerateOptions options,
                                  const TokenCallback& on_token) {
  if (!grammar || !vocab)
    return make_error(ErrorCode::invalid_argument, "structured generate: no grammar or vocabulary");
  ConstrainedDecoder decoder(grammar, vocab);
  options.mask = decoder.mask();
  options.token_text = [&vocab](int32_t id) { return std::string(vocab->piece(id)); };
  options.stop.clear();        // the grammar decides where the answer ends
  options.stop_at_eos = true;  // allowed exactly when the answer is complete
  // Every token carries at least one byte, so the grammar's byte bound (+ the end token) is enough.
  const uint64_t bound = max_bytes(*grammar) + 1;
  if (static_cast<uint64_t>(options.max_tokens) > bound) options.max_tokens = static_cast<int>(bound);
  bool rejected = false;
  OCCAM_ASSIGN_OR_RETURN(
      Generated generated,
      context.generate(prompt, options, [&](int32_t token, std::string_view piece, const TokenLogprobs& lp) {
        if (token < 0) return on_token ? on_token(token, piece, lp) : true;
        if (!decoder.accept(token)) {
          rejected = true;
          return false;
        }
        if (on_token && !on_token(token, piece, lp)) return false;
        return !decoder.finished();  // nothing can follow: stop without an end token
      }));
  if (rejected) {
    return make_error(ErrorCode::internal,
                      "structured generate: the sampler picked a token the mask forbids");
  }
  StructuredResult out;
  out.text = std::move(generated.text);
  out.complete = decoder.complete();
  generated.finish_reason = out.complete ? "stop" : "length";
  out.generated = std::move(generated);
  return out;
}

namespace {

// Rewrites local $refs of a schema moved to `prefix` ("#/$defs/x" ->
// "#/anyOf/1/properties/arguments/$defs/x").
void rebase_refs(json::value& v, const std::string& prefix) {
  if (v.is_object()) {
    for (auto& kv : v.get_object()) {
      if (kv.key() == "$ref" && kv.value().is_string() && kv.value().get_string().starts_with("#")) {
        const std::string rest(kv.value().get_string().subview(1));
        kv.value() = json::string("#" + prefix + rest);
      } else {
        rebase_refs(kv.value(), prefix);
      }
    }
  } else if (v.is_array()) {
    for (auto& x : v.get_array()) rebase_refs(x, prefix);
  }
}

}  // namespace

Result<json::value> tool_call_schema(const json::value& tools, std::optional<std::string_view> forced) {
  if (!tools.is_array() || tools.get_array().empty()) {
    return make_error(ErrorCode::invalid_argument, "tools: expected a non-empty array");
  }
  json::array alternatives;
  std::vector<json::value> params;
  for (size_t i = 0; i < tools.get_array().size(); ++i) {
    const json::value& tool = tools.get_array()[i];
    const json::value* fn = tool.is_object() ? tool.get_object().if_contains("function") : nullptr;
    const json::value* name = fn && fn->is_object() ? fn->get_object().if_contains("name") : nullptr;
    if (name == nullptr || !name->is_string()) {
      return make_error(ErrorCode::invalid_argument, "tools[{}].function.name: expected a string", i);
    }
    if (forced && name->get_string() != *forced) continue;
    const json::value* p = fn->get_object().if_contains("parameters");
    json::value parameters =
        p != nullptr ? *p : json::value{{"type", "object"}, {"additionalProperties", false}};
    json::object alt;
    alt["type"] = "object";
    alt["properties"] = {{"name", {{"const", name->get_string()}}}, {"arguments", std::move(parameters)}};
    alt["required"] = {"name", "arguments"};
    alt["additionalProperties"] = false;
    alternatives.emplace_back(std::move(alt));
  }
  if (alternatives.empty()) {
    return make_error(ErrorCode::not_found, "tool_choice: no tool named '{}'", forced.value_or(""));
  }
  const bool single = alternatives.size() == 1;
  for (size_t i = 0; i < alternatives.size(); ++i) {
    const std::string prefix =
        single ? "/properties/arguments" : fmt::format("/anyOf/{}/properties/arguments", i);
    rebase_refs(alternatives[i].get_object()["properties"].get_object()["arguments"], prefix);
  }
  if (single) return json::value(std::move(alternatives[0]));
  return json::value{{"anyOf", std::move(alternatives)}};
}

}  // namespace occam::engine::structured
