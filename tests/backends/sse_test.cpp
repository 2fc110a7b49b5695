#include <gtest/gtest.h>

#include "backends/openai_json.h"
#include "backends/sse.h"

namespace occam::backends {
namespace {

std::vector<std::string> read_all(const std::string& bytes, std::size_t piece) {
  SseReader reader;
  std::vector<std::string> events;
  for (std::size_t i = 0; i < bytes.size(); i += piece) {
    Status st = reader.feed(std::string_view(bytes).substr(i, piece), [&](std::string_view d) {
      events.emplace_back(d);
      return ok_status();
    });
    EXPECT_TRUE(st.ok());
  }
  return events;
}

TEST(Sse, FramesAndReadsBackInAnySplit) {
  EXPECT_EQ(sse_frame("{\"a\":1}"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(sse_frame("two\nlines"), "data: two\ndata: lines\n\n");
  std::string stream = ": keep-alive\n\n" + sse_frame("first") + "event: x\r\ndata: crlf\r\n\r\n" + sse_frame("two\nlines") +
                       "data:nospace\n\n" + sse_frame("[DONE]");
  for (std::size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
    SCOPED_TRACE(piece);
    auto events = read_all(stream, piece);
    ASSERT_EQ(events.size(), 5u);
    EXPECT_EQ(events[0], "first");
    EXPECT_EQ(events[1], "crlf");
    EXPECT_EQ(events[2], "two\nlines");
    EXPECT_EQ(events[3], "nospace");
    EXPECT_EQ(events[4], "[DONE]");
  }
}

TEST(Sse, OverlongLineIsAnError) {
  SseReader reader(16);
  Status st = reader.feed(std::string(100, 'x'), [](std::string_view) { return ok_status(); });
  EXPECT_FALSE(st.ok());
}

TEST(OpenAIJson, ChunksAccumulateIntoChoices) {
  std::vector<Delta> deltas;
  Usage usage;
  ASSERT_TRUE(read_generate_chunk(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":"He"}}]})", RequestKind::chat, deltas, &usage).ok());
  ASSERT_TRUE(read_generate_chunk(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"f","arguments":"{\"a\""}}]}}]})", RequestKind::chat, deltas, &usage).ok());
  ASSERT_TRUE(read_generate_chunk(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]},"finish_reason":"tool_calls"}]})", RequestKind::chat, deltas, &usage).ok());
  ASSERT_TRUE(read_generate_chunk(R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}})", RequestKind::chat, deltas, &usage).ok());
  EXPECT_FALSE(read_generate_chunk("not json", RequestKind::chat, deltas, &usage).ok());
  DeltaAccumulator acc;
  for (const Delta& d : deltas) acc.add(d);
  auto choices = acc.choices();
  ASSERT_EQ(choices.size(), 1u);
  EXPECT_EQ(choices[0].text, "He");
  ASSERT_EQ(choices[0].tool_calls.size(), 1u);
  EXPECT_EQ(choices[0].tool_calls[0].arguments, "{\"a\":1}");
  EXPECT_EQ(choices[0].finish_reason, "tool_calls");
  EXPECT_EQ(usage.completion_tokens, 4);
}

TEST(OpenAIJson, ErrorShape) {
  EXPECT_EQ(write_error("m", "invalid_request_error", "messages[0]", "invalid_request"),
            R"({"error":{"message":"m","type":"invalid_request_error","param":"messages[0]","code":"invalid_request"}})");
  EXPECT_EQ(write_error("m", "t", "", ""), R"({"error":{"message":"m","type":"t","param":null,"code":null}})");
}

}  // namespace
}  // namespace occam::backends
