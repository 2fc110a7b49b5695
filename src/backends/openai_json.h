// The OpenAI wire format, both ways, for typed requests and answers: what the remote backend sends
// upstream and reads back, and what the server writes to its clients. (Parsing a *client's* request,
// with field-path validation, is server/request.h.)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "backends/backend.h"

namespace occam::backends {

// ---- requests (occam -> upstream) ----
// `upstream_model` replaces the model name; `stream` sets stream (and stream_options.include_usage).
std::string write_generate_request(const GenerateRequest& request, std::string_view upstream_model,
                                   bool stream);
std::string write_embedding_request(const EmbeddingRequest& request, std::string_view upstream_model);

// ---- answers (upstream -> occam) ----
// Errors are unavailable with a message that says what was wrong ("upstream answer: choices[0]: ...").
Result<GenerateResult> read_generate_result(std::string_view body, RequestKind kind);
// One streamed chunk (the data of one SSE event, not "[DONE]"). Appends its deltas; sets *usage when the
// chunk carries usage.
Status read_generate_chunk(std::string_view data, RequestKind kind, std::vector<Delta>& deltas, Usage* usage);
Result<EmbeddingResult> read_embedding_result(std::string_view body);
// The message of an OpenAI-shaped error body, or the start of the body when it has another shape.
std::string read_error_message(std::string_view body);

// ---- answers (occam -> client) ----
std::string write_generate_result(const GenerateResult& result, RequestKind kind, std::string_view model);
// One chunk object for one delta (chat.completion.chunk or text_completion).
std::string write_generate_chunk(const Delta& delta, RequestKind kind, std::string_view id, int64_t created,
                                 std::string_view model);
// The final usage-only chunk sent when stream_options.include_usage is set.
std::string write_usage_chunk(const Usage& usage, RequestKind kind, std::string_view id, int64_t created,
                              std::string_view model);
// The chunk sent before [DONE] on a routed stream: no choices, the decision trace as `occam`.
std::string write_trace_chunk(const boost::json::object& occam, RequestKind kind, std::string_view id,
                              int64_t created, std::string_view model);
// `base64`: little-endian float32 vectors encoded in base64, as OpenAI's encoding_format=base64.
std::string write_embedding_result(const EmbeddingResult& result, std::string_view model, bool base64);

// {"error":{"message","type","param","code"}}
std::string write_error(std::string_view message, std::string_view type, std::string_view param,
                        std::string_view code);

// Assembles streamed deltas into choices (content, tool calls, finish reasons, logprobs).
class DeltaAccumulator {
 public:
  void add(const Delta& delta);
  std::vector<Choice> choices() const { return choices_; }
  std::vector<Choice>& mutable_choices() { return choices_; }

 private:
  Choice& choice(int index);
  std::vector<Choice> choices_;
};

}  // namespace occam::backends
