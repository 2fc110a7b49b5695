// fuzz-deps: core gguf kernels engine tokenizer backends server
// fuzz-smoke: skip
// libFuzzer: request-body parsing of the gateway (chat, completions, embeddings), the JSON-schema checks
// it runs on response_format / tool parameters, and validating the body against its own schema.
// The first byte picks the parser; the rest is the body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

#include "backends/json_schema.h"
#include "backends/openai_json.h"
#include "server/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto r = occam::server::parse_chat_request(body);
      if (r.ok()) {
        // What is accepted must serialise for the upstream, and a schema that passed check_schema must
        // be usable against any JSON value.
        std::string upstream = occam::backends::write_generate_request(*r, "m", r->stream);
        if (r->response_format.kind == occam::backends::ResponseFormatKind::json_schema) {
          (void)occam::backends::validate_json(boost::json::parse(upstream), r->response_format.schema);
        }
        for (const auto& tool : r->tools) {
          if (!tool.parameters.is_null()) (void)occam::backends::validate_json(tool.parameters, tool.parameters);
        }
      } else {
        (void)occam::server::error_param(r.error());
      }
      break;
    }
    case 1: {
      auto r = occam::server::parse_completion_request(body);
      if (r.ok()) (void)occam::backends::write_generate_request(*r, "m", false);
      break;
    }
    case 2: {
      auto r = occam::server::parse_embedding_request(body);
      if (r.ok()) (void)occam::backends::write_embedding_request(r->request, "m");
      break;
    }
    default: {
      // Upstream answers are untrusted too.
      (void)occam::backends::read_generate_result(body, occam::backends::RequestKind::chat);
      std::vector<occam::backends::Delta> deltas;
      occam::backends::Usage usage;
      if (occam::backends::read_generate_chunk(body, occam::backends::RequestKind::chat, deltas, &usage).ok()) {
        occam::backends::DeltaAccumulator acc;
        for (const auto& d : deltas) acc.add(d);
      }
      (void)occam::backends::read_embedding_result(body);
      break;
    }
  }
  return 0;
}
