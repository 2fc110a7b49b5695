// Parsing and validating client requests (OpenAI JSON bodies) into typed requests. Every error is an
// invalid_argument whose message starts with the JSON path of the culprit:
//   "messages[2].content: expected string or array"
// so that the HTTP layer can put the path in the OpenAI error's `param`. Unknown fields are ignored,
// as OpenAI clients send fields (metadata, store, ...) that do not change the answer.
#pragma once

#include <string>
#include <string_view>

#include "backends/backend.h"
#include "core/error.h"

namespace occam::server {

Result<backends::GenerateRequest> parse_chat_request(std::string_view body);
Result<backends::GenerateRequest> parse_completion_request(std::string_view body);

struct ParsedEmbeddingRequest {
  backends::EmbeddingRequest request;
  bool base64 = false;  // encoding_format: base64
};
Result<ParsedEmbeddingRequest> parse_embedding_request(std::string_view body);

// POST /v1/classify: {"model", "input": "text" | ["t1", ...], "top_k"?}.
Result<backends::ClassifyRequest> parse_classify_request(std::string_view body);

// POST /v1/workflows/{name}/runs: {"input": {...}, "async"?: bool}. The input's fields are checked against
// the workflow's typed inputs later, by the workflow.
struct WorkflowRunRequest {
  boost::json::value input;
  bool async = false;
};
Result<WorkflowRunRequest> parse_workflow_run_request(std::string_view body);

// The JSON path an error message starts with ("messages[2].content"), or "" when it names none.
std::string error_param(const Error& error);

}  // namespace occam::server
