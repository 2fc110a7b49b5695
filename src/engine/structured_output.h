// Structured output for the embedded engine: a JSON schema compiles to a byte-level pushdown automaton
// whose state decides, at each decoding step, which vocabulary tokens may come next, so that the answer
// always parses as JSON and validates against the schema.
//
//   OCCAM_ASSIGN_OR_RETURN(auto grammar, structured::compile_schema(schema));      // 400 on error
//   OCCAM_ASSIGN_OR_RETURN(auto vocab, structured::TokenVocabulary::for_model(*model));  // once per model
//   OCCAM_ASSIGN_OR_RETURN(auto out, structured::generate(*ctx, prompt_ids, grammar, *vocab, options));
//   // out.text is the JSON answer; out.complete is false only when max_tokens cut it short.
//
// Output policy (what the automaton generates, always a subset of what the schema allows):
//   - minimal whitespace: none anywhere (no pretty printing, no leading or trailing space);
//   - objects: declared properties in schema order; an optional one may be skipped, a required one may
//     not; no property is ever added beyond `properties` (additionalProperties true/schema is accepted
//     but unused), except for objects without `properties` (`{"type":"object"}`, json_object,
//     `additionalProperties: <schema>` maps): free keys, at most Limits::max_free_properties;
//   - strings: any UTF-8 without control characters; escapes \" \\ \/ \b \f \n \r \t and \u0XXX; the
//     length counts code points (an escape is one); without maxLength, Limits::max_string_chars caps it;
//   - numbers: no exponent, at most Limits::max_integer_digits integer and Limits::max_fraction_digits
//     fraction digits; minimum / maximum / exclusive bounds are enforced digit by digit;
//   - arrays: without maxItems, Limits::max_items caps them; unconstrained values (`{}`, json_object)
//     nest at most Limits::max_any_depth deep. With these caps every answer has a finite length, so a
//     random model cannot loop forever (Grammar::max_bytes() bounds it).
//   - anyOf / type lists: any alternative; oneOf: only when its alternatives cannot start with the same
//     byte (so at most one can match); enum / const: the values that also satisfy the rest of the schema.
// Anything else (pattern, format, multipleOf, allOf, patternProperties, recursive $ref, ...) is an
// `unsupported` / `invalid_argument` error naming the schema path, never an unconstrained generation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/error.h"
#include "engine/engine.h"

namespace occam::gguf {
class File;
}

namespace occam::engine::structured {

struct Limits {
  uint32_t max_string_chars = 64;    // strings without maxLength (and free keys)
  uint32_t max_items = 8;            // arrays without maxItems
  uint32_t max_free_properties = 6;  // objects with free keys
  uint32_t max_any_depth = 3;        // nesting of unconstrained values
  uint32_t max_integer_digits = 12;  // ≤ 12 (values are tracked exactly in 64 bits)
  uint32_t max_fraction_digits = 6;  // ≤ 6
  uint32_t max_nodes = 20000;        // compiled size (bounds $ref expansion)
};

struct Grammar;  // compiled schema: immutable, shareable between threads

// `path` prefixes error messages ("response_format.json_schema.schema.properties.a: pattern ...").
Result<std::shared_ptr<const Grammar>> compile_schema(const boost::json::value& schema,
                                                      const Limits& limits = {},
                                                      std::string_view path = "schema");
// response_format {"type": "json_object"}: any JSON object.
std::shared_ptr<const Grammar> json_object_grammar(const Limits& limits = {});
// Upper bound of the answer's length in bytes.
uint64_t max_bytes(const Grammar& grammar);

// The schema of a forced tool call, for tool_choice "required" (forced = nullopt: any of the tools) or
// a named function: {"name": <const name>, "arguments": <that tool's parameters>}, one anyOf
// alternative per tool. `tools` is the OpenAI array [{"type":"function","function":{"name",
// "parameters"}}]. The gateway turns the answer {"name": n, "arguments": a} into
// message.tool_calls = [{"id": "call_<...>", "type": "function", "function": {"name": n,
// "arguments": serialize(a)}}], content null, finish_reason "tool_calls".
Result<boost::json::value> tool_call_schema(const boost::json::value& tools,
                                            std::optional<std::string_view> forced = std::nullopt);

// Validates an instance against a schema of the supported subset (used by tests, and to double-check
// answers); the error names the instance path ("$.items[2].name: expected string").
Status validate(const boost::json::value& instance, const boost::json::value& schema);

// The automaton's state for one answer. Copyable (cheap: a few small stacks).
class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const Grammar> grammar);
  ~Matcher();
  Matcher(const Matcher&);
  Matcher& operator=(const Matcher&);

  // Feeds bytes; false (state unchanged) when they cannot continue a valid answer.
  bool advance(std::string_view bytes);
  bool complete() const;      // the bytes so far are a whole valid answer (end of generation allowed)
  bool can_continue() const;  // some byte may still follow
  void reset();
  const Grammar& grammar() const;

  struct State;
  const State& state() const { return *state_; }

 private:
  std::shared_ptr<const Grammar> grammar_;
  std::unique_ptr<State> state_;
};

// Byte strings of every token (what the token stands for once decoded: SentencePiece's U+2581 as a
// space, <0xNN> as its byte, GPT-2 byte-level pieces mapped back to bytes) in a prefix trie, built once
// per tokenizer and shared. Tokens that may never appear in an answer (control, unknown, unused, empty)
// are left out; the end tokens are allowed exactly when the answer is complete.
class TokenVocabulary {
 public:
  // pieces[id] = the token's bytes (tokenizer::Tokenizer::token_to_piece); excluded[id] true for
  // control / unknown / unused tokens; end_tokens = EOS, EOT, ...
  static std::shared_ptr<const TokenVocabulary> build(std::vector<std::string> pieces,
                                                      const std::vector<bool>& excluded,
                                                      std::vector<int32_t> end_tokens);
  // From tokenizer.ggml.{model,tokens,token_type} of a GGUF file ("llama" SentencePiece or "gpt2"
  // byte-level BPE); end tokens as given.
  static Result<std::shared_ptr<const TokenVocabulary>> from_gguf(const gguf::File& file,
                                                                  std::vector<int32_t> end_tokens);
  // The model's own vocabulary and end tokens.
  static Result<std::shared_ptr<const TokenVocabulary>> for_model(const Model& model);

  size_t size() const { return pieces_.size(); }
  std::string_view piece(int32_t id) const;
  const std::vector<int32_t>& end_tokens() const { return end_tokens_; }
  size_t trie_nodes() const { return nodes_.size(); }

  // allowed[id] = 1 for every token that may come next from `matcher`'s state (resized to size()).
  // Cost: the part of the trie whose prefixes the automaton accepts, not vocabulary × token length.
  void allowed_tokens(const Matcher& matcher, std::vector<uint8_t>& allowed) const;

  struct Node {
    uint32_t first_child = 0;   // 0: none (the root is node 0 and is nobody's child)
    uint32_t next_sibling = 0;  // 0: none
    uint32_t tokens_begin = 0;  // tokens whose piece ends here: sorted_[tokens_begin, +n_tokens)
    uint32_t n_tokens = 0;
    uint8_t byte = 0;
  };

 private:
  TokenVocabulary() = default;
  std::vector<std::string> pieces_;
  std::vector<int32_t> end_tokens_;
  std::vector<Node> nodes_;  // every allowed-ever token
  std::vector<int32_t> sorted_;
  // Inside a string most tokens are plain text (no quote, backslash, control byte, or partial UTF-8):
  // those are allowed by their length alone (plain_ sorted by code points, plain_upto_[n] = how many
  // have ≤ n), and only the others are walked, in their own trie.
  std::vector<int32_t> plain_;
  std::vector<uint32_t> plain_upto_;
  std::vector<Node> special_nodes_;
  std::vector<int32_t> special_sorted_;
};

// One constrained answer: feeds GenerateOptions::mask and the token callback.
class ConstrainedDecoder {
 public:
  ConstrainedDecoder(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenVocabulary> vocab);
  // The mask for GenerateOptions::mask (valid while this object lives).
  TokenMask mask();
  // Advances with a sampled token; false when the token was not allowed.
  bool accept(int32_t token);
  bool complete() const { return matcher_.complete(); }
  bool finished() const { return matcher_.complete() && !matcher_.can_continue(); }
  const Matcher& matcher() const { return matcher_; }

 private:
  Matcher matcher_;
  std::shared_ptr<const TokenVocabulary> vocab_;
  std::vector<uint8_t> allowed_;
};

struct StructuredResult {
  Generated generated;    // tokens, finish_reason ("stop" when the answer is complete, else "length")
  std::string text;       // the answer's bytes
  bool complete = false;  // text is a whole answer (parses and validates)
};

// Prefill + constrained sampling with the engine API: options.mask and token_text are set here,
// max_tokens is lowered to the grammar's bound, on_token (optional) sees every answer token.
Result<StructuredResult> generate(Context& context, std::span<const int32_t> prompt,
                                  std::shared_ptr<const Grammar> grammar,
                                  std::shared_ptr<const TokenVocabulary> vocab, GenerateOptions options,
                                  const TokenCallback& on_token = {});

}  // namespace occam::engine::structured
