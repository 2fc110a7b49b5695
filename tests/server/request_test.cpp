// Request parsing: valid bodies become typed requests; invalid ones fail with the JSON path first.
#include <gtest/gtest.h>

#include "server/request.h"

namespace occam::server {
namespace {

struct Case {
  const char* body;
  const char* error;  // expected error prefix; empty: valid
};

const Case kChatCases[] = {
    {R"({"model":"m","messages":[{"role":"user","content":"hi"}]})", ""},
    {R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]})", ""},
    {R"({"model":"m","messages":[{"role":"developer","content":"x"},{"role":"user","content":"hi"}]})", ""},
    {R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"r"}]})", ""},
    {R"({"model":"m","messages":[],"x":1})", "messages: must not be empty"},
    {R"({"messages":[{"role":"user","content":"hi"}]})", "model: required"},
    {R"({"model":3,"messages":[{"role":"user","content":"hi"}]})", "model: expected string, found number"},
    {R"({"model":"m","messages":{}})", "messages: expected array, found object"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":7}]})",
     "messages[2].content: expected string or array, found number"},
    {R"({"model":"m","messages":[{"role":"wizard","content":"a"}]})", "messages[0].role: unknown role 'wizard'"},
    {R"({"model":"m","messages":[{"content":"a"}]})", "messages[0].role: required"},
    {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]})",
     "messages[0].content[0].type: content part type 'image_url' is not supported"},
    {R"({"model":"m","messages":[{"role":"tool","content":"r"}]})", "messages[0].tool_call_id: required"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"temperature":3})", "temperature: must be between 0 and 2"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"top_p":"x"})", "top_p: expected number, found string"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"max_tokens":0})", "max_tokens: must be between 1"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"max_completion_tokens":2.5})",
     "max_completion_tokens: expected an integer"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"n":0})", "n: must be between 1 and 128"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"stop":["a","b","c","d","e"]})", "stop: at most 4"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"stop":[1]})", "stop[0]: expected string"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"top_logprobs":3})", "top_logprobs: needs logprobs: true"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"stream":"yes"})", "stream: expected boolean"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"response_format":{"type":"xml"}})",
     "response_format.type: unknown type 'xml'"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"response_format":{"type":"json_schema","json_schema":{"name":"n"}}})",
     "response_format.json_schema.schema: required"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object","properties":{"a":{"type":"strin"}}}}}})",
     "response_format.json_schema.schema.properties.a.type: unknown type 'strin'"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"bad name"}}]})",
     "tools[0].function.name: must be 1 to 64"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tools":[{"type":"retrieval"}]})",
     "tools[0].type: tool type 'retrieval' is not supported"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}})",
     "tool_choice.function.name: no tool named 'g'"},
    {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tool_choice":"required"})", "tool_choice: 'required' needs tools"},
    {R"([1,2])", "body: expected a JSON object, found array"},
    {R"({"model":"m",)", "body: malformed JSON"},
    {"", "body: empty request body"},
};

TEST(RequestParsing, ChatTable) {
  for (const Case& c : kChatCases) {
    SCOPED_TRACE(c.body);
    auto r = parse_chat_request(c.body);
    if (std::string(c.error).empty()) {
      EXPECT_TRUE(r.ok()) << r.error().message();
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().message().rfind(c.error, 0), 0u) << r.error().message();
      EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
    }
  }
}

TEST(RequestParsing, ChatFieldsAreTyped) {
  auto r = parse_chat_request(
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},
          "max_tokens":5,"max_completion_tokens":9,"temperature":0.2,"top_p":0.5,"seed":42,"n":2,"stop":"END",
          "logprobs":true,"top_logprobs":3,"response_format":{"type":"json_object"},
          "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"auto",
          "metadata":{"ignored":true}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->stream_include_usage);
  EXPECT_EQ(*r->max_tokens, 9);  // max_completion_tokens wins
  EXPECT_EQ(*r->seed, 42);
  EXPECT_EQ(r->n, 2);
  ASSERT_EQ(r->stop.size(), 1u);
  EXPECT_EQ(r->top_logprobs, 3);
  EXPECT_EQ(r->response_format.kind, backends::ResponseFormatKind::json_object);
  ASSERT_EQ(r->tools.size(), 1u);
  EXPECT_EQ(r->tools[0].name, "f");
}

TEST(RequestParsing, CompletionsAndEmbeddings) {
  EXPECT_TRUE(parse_completion_request(R"({"model":"m","prompt":"p","logprobs":2,"echo":true})").ok());
  EXPECT_TRUE(parse_completion_request(R"({"model":"m","prompt":["p"]})").ok());
  auto two = parse_completion_request(R"({"model":"m","prompt":["p","q"]})");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(error_param(two.error()), "prompt");
  EXPECT_FALSE(parse_completion_request(R"({"model":"m","prompt":"p","logprobs":9})").ok());

  auto e = parse_embedding_request(R"({"model":"m","input":["a","b"],"encoding_format":"base64"})");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->base64);
  EXPECT_EQ(e->request.input.size(), 2u);
  auto tokens = parse_embedding_request(R"({"model":"m","input":[[1,2,3]]})");
  ASSERT_FALSE(tokens.ok());
  EXPECT_EQ(error_param(tokens.error()), "input[0]");
  EXPECT_FALSE(parse_embedding_request(R"({"model":"m","input":[]})").ok());
  EXPECT_FALSE(parse_embedding_request(R"({"model":"m","input":"x","encoding_format":"int8"})").ok());
}

TEST(RequestParsing, DeepNestingIsAnErrorNotACrash) {
  std::string deep = R"({"model":"m","messages":[{"role":"user","content":"a"}],"metadata":)";
  for (int i = 0; i < 10000; ++i) deep += "[";
  auto r = parse_chat_request(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message().rfind("body: malformed JSON", 0), 0u);
}

}  // namespace
}  // namespace occam::server
