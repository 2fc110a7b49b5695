// The `engine` backend on stories260K: greedy completion against llama.cpp's reference continuation,
// streaming deltas vs the non-streamed text, the queue bound, chat through the (ChatML) template,
// json_object constrained output, and refusals.
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "backends/backend.h"
#include "test_support.h"

namespace occam::backends {
namespace {

namespace asio = boost::asio;

std::unique_ptr<Backend> make(int max_queue = 4, int max_sequences = 4) {
  const std::string model = occam::testing::shared_file("models/stories260K.gguf").string();
  auto node = ConfigNode::parse(
      fmt::format("path: \"{}\"\nthreads: 1\ncontext: 256\nmax_queue: {}\nmax_sequences: {}\n", model,
                  max_queue, max_sequences));
  EXPECT_TRUE(node.ok());
  auto backend = make_backend("engine", BackendContext{"stories", *node});
  EXPECT_TRUE(backend.ok()) << (backend.ok() ? "" : backend.error().message());
  return backend.ok() ? std::move(*backend) : nullptr;
}

// Coroutines with pointer parameters (copied into the frame), not capturing lambdas: the closure of a
// lambda coroutine need not outlive the first suspension.
Task<void> generate_into(Backend* backend, const GenerateRequest* request, const DeltaSink* sink,
                         std::optional<Result<GenerateResult>>* out) {
  Result<GenerateResult> r = co_await backend->generate(*request, sink);
  out->emplace(std::move(r));
}

Task<void> embed_into(Backend* backend, const EmbeddingRequest* request,
                      std::optional<Result<EmbeddingResult>>* out) {
  Result<EmbeddingResult> r = co_await backend->embed(*request);
  out->emplace(std::move(r));
}

Result<GenerateResult> run(Backend& backend, const GenerateRequest& request,
                           const DeltaSink* sink = nullptr) {
  asio::io_context io;
  std::optional<Result<GenerateResult>> out;
  asio::co_spawn(io, generate_into(&backend, &request, sink, &out), asio::detached);
  io.run();
  if (!out) return make_error(ErrorCode::internal, "the request did not finish");
  return std::move(*out);
}

// The first n pieces of llama.cpp's greedy continuation of "Once upon a time".
std::string reference_text(size_t n) {
  auto json = boost::json::parse(
      occam::testing::read_file(occam::testing::shared_file("reference/generate/stories260K-greedy.json")));
  const auto& pieces = json.at("generated_pieces").as_array();
  std::string text;
  for (size_t i = 0; i < n && i < pieces.size(); ++i) text += pieces[i].as_string().c_str();
  return text;
}

GenerateRequest greedy_completion() {
  GenerateRequest r;
  r.kind = RequestKind::completion;
  r.model = "stories";
  r.prompt = "Once upon a time";
  r.temperature = 0.0;
  r.max_tokens = 16;
  return r;
}

TEST(EngineBackend, GreedyCompletionMatchesReference) {
  auto backend = make();
  ASSERT_NE(backend, nullptr);
  EXPECT_TRUE(backend->capabilities().completion);
  EXPECT_FALSE(backend->capabilities().embeddings);
  auto out = run(*backend, greedy_completion());
  ASSERT_TRUE(out.ok()) << out.error().message();
  ASSERT_EQ(out->choices.size(), 1u);
  EXPECT_EQ(out->choices[0].text, reference_text(16));
  EXPECT_EQ(out->choices[0].finish_reason, "length");
  EXPECT_EQ(out->usage.prompt_tokens, 5);
  EXPECT_EQ(out->usage.completion_tokens, 16);
  EXPECT_FALSE(out->id.empty());
}

TEST(EngineBackend, StreamedDeltasConcatenateToTheText) {
  auto backend = make();
  ASSERT_NE(backend, nullptr);
  auto plain = run(*backend, greedy_completion());
  ASSERT_TRUE(plain.ok());
  std::vector<Delta> deltas;
  DeltaSink sink = [&](const Delta& d) -> Task<Status> {
    deltas.push_back(d);
    co_return ok_status();
  };
  GenerateRequest request = greedy_completion();
  request.stream = true;
  auto streamed = run(*backend, request, &sink);
  ASSERT_TRUE(streamed.ok()) << streamed.error().message();
  ASSERT_GE(deltas.size(), 2u);
  std::string text;
  for (const Delta& d : deltas) text += d.content;
  EXPECT_EQ(text, plain->choices[0].text);
  EXPECT_EQ(streamed->choices[0].text, plain->choices[0].text);
  EXPECT_EQ(deltas.back().finish_reason, "length");
  for (size_t i = 0; i + 1 < deltas.size(); ++i) EXPECT_TRUE(deltas[i].finish_reason.empty());
}

TEST(EngineBackend, SinkErrorStopsGeneration) {
  auto backend = make();
  ASSERT_NE(backend, nullptr);
  int calls = 0;
  DeltaSink sink = [&](const Delta&) -> Task<Status> {
    ++calls;
    co_return make_error(ErrorCode::unavailable, "client gone");
  };
  GenerateRequest request = greedy_completion();
  request.stream = true;
  auto out = run(*backend, request, &sink);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::unavailable);
  EXPECT_EQ(calls, 1);
}

TEST(EngineBackend, QueueLimitGivesResourceExhausted) {
  auto backend = make(/*max_queue=*/1, /*max_sequences=*/1);  // one running + one waiting
  ASSERT_NE(backend, nullptr);
  asio::io_context io;
  std::vector<std::optional<Result<GenerateResult>>> outs(3);
  GenerateRequest request = greedy_completion();
  request.max_tokens = 200;  // still running when the third request arrives
  for (auto& out : outs) {
    asio::co_spawn(io, generate_into(backend.get(), &request, nullptr, &out), asio::detached);
  }
  io.run();
  ASSERT_TRUE(outs[0] && outs[1] && outs[2]);
  EXPECT_TRUE(outs[0]->ok());
  EXPECT_TRUE(outs[1]->ok());
  ASSERT_FALSE(outs[2]->ok());
  EXPECT_EQ(outs[2]->error().code(), ErrorCode::resource_exhausted);
  // The bound is released once the requests are done.
  EXPECT_TRUE(run(*backend, request).ok());
}

TEST(EngineBackend, ChatUsesTheTemplateAndStreamsTheRole) {
  auto backend = make();
  ASSERT_NE(backend, nullptr);
  GenerateRequest request;
  request.model = "stories";
  Message user;
  user.role = "user";
  user.content = "Tell me a story.";
  request.messages = {user};
  request.temperature = 0.0;
  request.max_tokens = 8;
  std::vector<Delta> deltas;
  DeltaSink sink = [&](const Delta& d) -> Task<Status> {
    deltas.push_back(d);
    co_return ok_status();
  };
  auto out = run(*backend, request, &sink);
  ASSERT_TRUE(out.ok()) << out.error().message();
  ASSERT_FALSE(deltas.empty());
  EXPECT_EQ(deltas.front().role, "assistant");
  EXPECT_GT(out->usage.prompt_tokens, 5);
  EXPECT_LE(out->usage.completion_tokens, 8);
}

TEST(EngineBackend, JsonObjectIsConstrained) {
  auto backend = make();
  ASSERT_NE(backend, nullptr);
  GenerateRequest request = greedy_completion();
  request.max_tokens = 200;
  request.response_format.kind = ResponseFormatKind::json_object;
  auto out = run(*backend, request);
  ASSERT_TRUE(out.ok()) << out.error().message();
  if (out->choices[0].finish_reason == "stop") {
    boost::system::error_code ec;
    auto v = boost::json::parse(out->choices[0].text, ec);
    EXPECT_FALSE(ec) << out->choices[0].text;
    EXPECT_TRUE(v.is_object()) << out->choices[0].text;
  } else {
    EXPECT_EQ(out->choices[0].text.rfind('{', 0), 0u) << out->choices[0].text;
  }
}

TEST(EngineBackend, RefusesWhatItCannotHonour) {
  auto backend = make();
  ASSERT_NE(backend, nullptr);
  GenerateRequest request = greedy_completion();
  Tool tool;
  tool.name = "f";
  tool.parameters = boost::json::object{};
  request.tools = {tool};
  request.tool_choice = ToolChoice::automatic;  // the engine cannot let the model choose: 400
  auto out = run(*backend, request);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::unsupported);

  GenerateRequest bad_schema = greedy_completion();
  bad_schema.response_format.kind = ResponseFormatKind::json_schema;
  bad_schema.response_format.schema = boost::json::parse(R"({"type":"string","pattern":"a+"})");
  out = run(*backend, bad_schema);
  ASSERT_FALSE(out.ok());

  asio::io_context io;
  std::optional<Result<EmbeddingResult>> emb;
  EmbeddingRequest embedding;
  embedding.input = {"x"};
  asio::co_spawn(io, embed_into(backend.get(), &embedding, &emb), asio::detached);
  io.run();
  ASSERT_TRUE(emb && !emb->ok());
  EXPECT_EQ(emb->error().code(), ErrorCode::unsupported);
}

TEST(EngineBackend, ForcedToolCallIsConstrained) {
  auto backend = make();
  ASSERT_NE(backend, nullptr);
  EXPECT_TRUE(backend->capabilities().tools);
  GenerateRequest request = greedy_completion();
  request.max_tokens = 400;
  Tool weather;
  weather.name = "get_weather";
  weather.parameters = boost::json::parse(
      R"({"type":"object","properties":{"city":{"type":"string","maxLength":12}},"required":["city"]})");
  Tool other;
  other.name = "other";
  request.tools = {other, weather};
  request.tool_choice = ToolChoice::function;
  request.tool_choice_name = "get_weather";
  std::vector<Delta> deltas;
  DeltaSink sink = [&](const Delta& d) -> Task<Status> {
    deltas.push_back(d);
    co_return ok_status();
  };
  request.stream = true;
  auto out = run(*backend, request, &sink);
  ASSERT_TRUE(out.ok()) << out.error().message();
  const Choice& choice = out->choices[0];
  ASSERT_EQ(choice.finish_reason, "tool_calls") << choice.text;
  ASSERT_EQ(choice.tool_calls.size(), 1u);
  EXPECT_EQ(choice.tool_calls[0].name, "get_weather");
  EXPECT_TRUE(choice.content_null);
  auto args = boost::json::parse(choice.tool_calls[0].arguments);
  EXPECT_TRUE(args.at("city").is_string()) << choice.tool_calls[0].arguments;
  // Streamed as one tool-call delta, then the finish.
  ASSERT_FALSE(deltas.empty());
  ASSERT_EQ(deltas.front().tool_calls.size(), 1u);
  EXPECT_EQ(deltas.front().tool_calls[0].arguments, choice.tool_calls[0].arguments);
  EXPECT_EQ(deltas.back().finish_reason, "tool_calls");
}

TEST(EngineBackend, MissingPathIsAConfigError) {
  auto node = ConfigNode::parse("threads: 1\n");
  ASSERT_TRUE(node.ok());
  EXPECT_FALSE(make_backend("engine", BackendContext{"x", *node}).ok());
}

}  // namespace
}  // namespace occam::backends
