// The gateway end to end: occam's server in-process on a free port, remote models pointing at a fake
// upstream that misbehaves on demand, and a plain HTTP client.
#include <chrono>
#include <cstdlib>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/config.h"
#include "fake_upstream.h"
#include "server/server.h"
#include "test_client.h"

namespace occam::testing {
namespace {

namespace json = boost::json;
using server::Server;

std::string remote_model(const std::string& name, const std::string& base_url,
                         const std::string& extra = "") {
  return fmt::format(
      "  {}:\n    backend: remote\n    base_url: {}\n    model: {}\n"
      "    timeouts: {{connect_ms: 500, first_byte_ms: 400, total_ms: 3000}}\n"
      "    retry: {{max_attempts: 2, backoff_base_ms: 10, backoff_max_ms: 50}}\n"
      "    circuit_breaker: {{failures: 0}}\n{}",
      name, base_url, name, extra);
}

std::unique_ptr<Server> start_server(const std::string& yaml) {
  auto root = ConfigNode::parse(yaml, "test.yaml");
  EXPECT_TRUE(root.ok()) << root.error().message();
  auto config = server::read_gateway_config(*root);
  EXPECT_TRUE(config.ok()) << config.error().message();
  config->port = 0;
  auto created = Server::create(*config);
  EXPECT_TRUE(created.ok()) << created.error().message();
  auto port = (*created)->start();
  EXPECT_TRUE(port.ok()) << port.error().message();
  return std::move(*created);
}

class GatewayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    upstream_ = new FakeUpstream(2);
    std::string url = upstream_->base_url();
    std::string yaml =
        "server:\n  host: 127.0.0.1\n  threads: 2\n  limits: {max_body_bytes: 65536}\nmodels:\n";
    for (const char* name : {"echo", "json", "badjson", "tool", "stall", "garbage", "close-mid-stream",
                             "flaky", "always-500", "slow-first-byte", "slow-stream"}) {
      yaml += remote_model(name, url);
    }
    yaml += remote_model("refused", fmt::format("http://127.0.0.1:{}/v1", refused_port()),
                         "    fallback: echo\n");
    yaml += "  priced:\n    backend: remote\n    base_url: " + url +
            "\n    model: echo\n    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}\n";
    server_ = start_server(yaml).release();
    port_ = server_->port();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete upstream_;
  }

  static ClientResponse chat(const std::string& model, const std::string& extra = "",
                             const std::string& text = "hello world") {
    return http_post(port_, "/v1/chat/completions",
                     fmt::format(R"({{"model":"{}","messages":[{{"role":"user","content":"{}"}}]{}}})", model,
                                 text, extra));
  }

  static inline FakeUpstream* upstream_ = nullptr;
  static inline Server* server_ = nullptr;
  static inline uint16_t port_ = 0;
};

TEST_F(GatewayTest, ChatCompletionHasOpenAIShapeAndOverheadHeader) {
  ClientResponse r = chat("echo");
  ASSERT_EQ(r.status, 200) << r.body << r.error;
  json::object o = json_body(r);
  EXPECT_EQ(o["object"].as_string(), "chat.completion");
  EXPECT_EQ(o["model"].as_string(), "echo");
  const json::object& choice = o["choices"].as_array()[0].as_object();
  EXPECT_EQ(choice.at("message").at("role").as_string(), "assistant");
  EXPECT_EQ(choice.at("message").at("content").as_string(), "echo: hello world");
  EXPECT_EQ(choice.at("finish_reason").as_string(), "stop");
  EXPECT_EQ(o["usage"].at("total_tokens").as_int64(), 10);
  ASSERT_TRUE(r.headers.count("x-occam-overhead-ms"));
  double overhead = std::stod(r.headers["x-occam-overhead-ms"]);
  EXPECT_GE(overhead, 0.0);
  EXPECT_LT(overhead, 1000.0);
}

TEST_F(GatewayTest, ParametersGoUpstream) {
  ClientResponse r = chat(
      "echo",
      R"(,"temperature":0.5,"top_p":0.9,"seed":7,"stop":["x"],"max_completion_tokens":12,"logprobs":true,"top_logprobs":2)");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object sent = json::parse(upstream_->last_body()).as_object();
  EXPECT_EQ(sent["temperature"].as_double(), 0.5);
  EXPECT_EQ(sent["seed"].as_int64(), 7);
  EXPECT_EQ(sent["max_completion_tokens"].as_int64(), 12);
  EXPECT_EQ(sent["stop"].as_array().size(), 1u);
  EXPECT_EQ(sent["top_logprobs"].as_int64(), 2);
}

TEST_F(GatewayTest, StreamingChatIsServerSentEvents) {
  ClientResponse r =
      chat("echo", R"(,"stream":true,"stream_options":{"include_usage":true})", "one two three");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/event-stream");
  EXPECT_TRUE(r.headers.count("x-occam-overhead-ms"));
  auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 3u) << r.body;
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  bool saw_usage = false;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    json::object chunk = json::parse(events[i]).as_object();
    EXPECT_EQ(chunk["object"].as_string(), "chat.completion.chunk");
    if (chunk.contains("usage")) saw_usage = true;
    for (const auto& c : chunk["choices"].as_array()) {
      const json::object& delta = c.at("delta").as_object();
      if (delta.contains("content")) text += std::string(delta.at("content").as_string());
    }
  }
  EXPECT_EQ(text, "echo: one two three");
  EXPECT_TRUE(saw_usage);
}

TEST_F(GatewayTest, CompletionsEmbeddingsAndModels) {
  ClientResponse c = http_post(port_, "/v1/completions", R"({"model":"echo","prompt":"abc"})");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(json_body(c)["choices"].as_array()[0].at("text").as_string(), "echo: abc");

  ClientResponse e = http_post(port_, "/v1/embeddings", R"({"model":"echo","input":["ab","abcd"]})");
  ASSERT_EQ(e.status, 200) << e.body;
  json::object eo = json_body(e);
  ASSERT_EQ(eo["data"].as_array().size(), 2u);
  EXPECT_EQ(eo["data"].as_array()[1].at("embedding").as_array()[0].as_double(), 4.0);

  ClientResponse b =
      http_post(port_, "/v1/embeddings", R"({"model":"echo","input":"ab","encoding_format":"base64"})");
  ASSERT_EQ(b.status, 200) << b.body;
  // [2.0, 0.5, -0.5] as little-endian float32, base64
  EXPECT_EQ(json_body(b)["data"].as_array()[0].at("embedding").as_string(), "AAAAQAAAAD8AAAC/");

  ClientResponse m = http_get(port_, "/v1/models");
  ASSERT_EQ(m.status, 200);
  json::object mo = json_body(m);
  EXPECT_EQ(mo["object"].as_string(), "list");
  EXPECT_GE(mo["data"].as_array().size(), 12u);
  EXPECT_EQ(http_get(port_, "/v1/models/echo").status, 200);
  EXPECT_EQ(http_get(port_, "/v1/models/nope").status, 404);
}

TEST_F(GatewayTest, ClientErrors) {
  expect_openai_error(http_post(port_, "/v1/chat/completions", "{not json"), 400, "malformed JSON");
  ClientResponse path =
      http_post(port_, "/v1/chat/completions",
                R"({"model":"echo","messages":[{"role":"user","content":"a"},{"role":"user","content":5}]})");
  expect_openai_error(path, 400, "messages[1].content: expected string or array");
  EXPECT_EQ(json_body(path)["error"].at("param").as_string(), "messages[1].content");
  expect_openai_error(chat("no-such-model"), 404, "no-such-model");
  expect_openai_error(http_post(port_, "/v1/chat/completions", std::string(70000, ' ')), 413, "larger than");
  expect_openai_error(http_get(port_, "/v1/chat/completions"), 405, "not allowed");
  expect_openai_error(http_get(port_, "/nowhere"), 404, "unknown endpoint");
  expect_openai_error(chat("echo", R"(,"temperature":7)"), 400, "temperature: must be between 0 and 2");
}

TEST_F(GatewayTest, StructuredOutputIsValidatedOnTheWayBack) {
  std::string schema =
      R"(,"response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object","properties":{"answer":{"type":"string","enum":["yes","no"]},"score":{"type":"integer"}},"required":["answer","score"]}}})";
  ClientResponse ok = chat("json", schema);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(json::parse(upstream_->last_body()).as_object().contains("response_format"));

  std::string strict =
      R"(,"response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object","properties":{"score":{"type":"string"}},"required":["score"]}}})";
  expect_openai_error(chat("json", strict), 502, "$.score: expected string");
  expect_openai_error(chat("badjson", R"(,"response_format":{"type":"json_object"})"), 502,
                      "not a JSON object");
  std::string unsupported =
      R"(,"response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object","properties":{"s":{"type":"string","pattern":"^a"}}}}})";
  ClientResponse refused = chat("json", unsupported);
  expect_openai_error(refused, 400, "pattern: keyword not supported");
  EXPECT_EQ(json_body(refused)["error"].at("param").as_string(),
            "response_format.json_schema.schema.properties.s.pattern");
}

TEST_F(GatewayTest, ToolCalls) {
  std::string tools =
      R"(,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],"tool_choice":"required")";
  ClientResponse r = chat("tool", tools);
  ASSERT_EQ(r.status, 200) << r.body;
  json::object o = json_body(r);
  const json::object& choice = o["choices"].as_array()[0].as_object();
  EXPECT_EQ(choice.at("finish_reason").as_string(), "tool_calls");
  const json::object& call = choice.at("message").at("tool_calls").as_array()[0].as_object();
  EXPECT_EQ(call.at("function").at("name").as_string(), "get_weather");
  EXPECT_EQ(call.at("function").at("arguments").as_string(), R"({"city":"Paris"})");
  // The answer calls get_weather with a city; a tool whose parameters demand an integer city is not honoured.
  std::string mismatched =
      R"(,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"integer"}}}}}])";
  expect_openai_error(chat("tool", mismatched), 502, "arguments do not match");
}

TEST_F(GatewayTest, StalledUpstreamIs504WithinTheTimeout) {
  auto t0 = std::chrono::steady_clock::now();
  ClientResponse r = chat("stall");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  expect_openai_error(r, 504, "timed out");
  EXPECT_LT(seconds, 2.0);
  EXPECT_EQ(chat("echo").status, 200);  // still serving
}

TEST_F(GatewayTest, GarbageIs502) {
  expect_openai_error(chat("garbage"), 502, "invalid JSON");
  EXPECT_EQ(chat("echo").status, 200);
}

TEST_F(GatewayTest, UpstreamClosingMidStreamEndsTheStreamWithAnError) {
  ClientResponse r = chat("close-mid-stream", R"(,"stream":true)", "a b c d e");
  ASSERT_EQ(r.status, 200) << r.body;
  auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 2u) << r.body;
  EXPECT_NE(events.back().find("\"error\""), std::string::npos) << r.body;
  EXPECT_EQ(chat("echo").status, 200);
}

TEST_F(GatewayTest, ServerErrorThenSuccessIsRetried) {
  int before = upstream_->requests("flaky");
  ClientResponse r = chat("flaky");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(upstream_->requests("flaky") - before, 2);
  expect_openai_error(chat("always-500"), 502, "answered 500 after 2 attempts");
}

TEST_F(GatewayTest, RefusedConnectionFallsBack) {
  ClientResponse r = chat("refused");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["x-occam-model"], "echo");
  EXPECT_EQ(json_body(r)["model"].as_string(), "echo");
  std::string metrics = http_get(port_, "/metrics").body;
  EXPECT_NE(metrics.find(R"(occam_fallbacks_total{from="refused",to="echo"})"), std::string::npos);
}

TEST_F(GatewayTest, SlowFirstByteWithinTimeoutIsServed) {
  EXPECT_EQ(chat("slow-first-byte").status, 200);
}

TEST_F(GatewayTest, UpstreamConnectionsAreReused) {
  int64_t before = upstream_->connections_accepted();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(chat("echo").status, 200);
  // Two server threads, each with its own pool: a handful of connections, not twenty.
  EXPECT_LE(upstream_->connections_accepted() - before, 4);
}

TEST_F(GatewayTest, MetricsAndHealth) {
  ASSERT_EQ(chat("priced").status, 200);
  EXPECT_EQ(http_get(port_, "/healthz").status, 200);
  EXPECT_EQ(http_get(port_, "/readyz").status, 200);
  ClientResponse m = http_get(port_, "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.headers["content-type"].find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find("# TYPE occam_requests_total counter"), std::string::npos);
  EXPECT_NE(m.body.find(R"(occam_requests_total{endpoint="chat",model="priced",status="200"})"),
            std::string::npos);
  EXPECT_NE(m.body.find(R"(occam_tokens_total{model="priced",kind="prompt"})"), std::string::npos);
  EXPECT_NE(m.body.find(R"(occam_request_duration_seconds_bucket{endpoint="chat",model="priced",le="+Inf"})"),
            std::string::npos);
  EXPECT_NE(m.body.find("occam_cost_total{model=\"priced\"}"), std::string::npos);
}

TEST(GatewayAuth, BearerKeysAndAllowedModels) {
  FakeUpstream upstream;
  setenv("OCCAM_TEST_KEY_B", "sk-from-env", 1);
  std::string yaml =
      "models:\n" + remote_model("echo", upstream.base_url()) + remote_model("json", upstream.base_url()) +
      "api_keys:\n  - {name: a, key: sk-a, models: [echo]}\n  - {name: b, key_env: OCCAM_TEST_KEY_B}\n";
  auto server = start_server(yaml);
  std::string body = R"({"model":"json","messages":[{"role":"user","content":"x"}]})";
  EXPECT_EQ(http_post(server->port(), "/v1/chat/completions", body).status, 401);
  EXPECT_EQ(
      http_post(server->port(), "/v1/chat/completions", body, {{"Authorization", "Bearer wrong"}}).status,
      401);
  EXPECT_EQ(
      http_post(server->port(), "/v1/chat/completions", body, {{"Authorization", "Bearer sk-a"}}).status,
      404);
  EXPECT_EQ(http_post(server->port(), "/v1/chat/completions", body, {{"Authorization", "Bearer sk-from-env"}})
                .status,
            200);
  ClientResponse models = http_get(server->port(), "/v1/models", {{"Authorization", "Bearer sk-a"}});
  EXPECT_EQ(json::parse(models.body).at("data").as_array().size(), 1u);
  EXPECT_EQ(http_get(server->port(), "/healthz").status, 200);  // probes need no key
}

TEST(GatewayLimits, FullQueueIs429) {
  FakeUpstream upstream;
  std::string yaml = "server:\n  threads: 1\n  limits: {max_concurrency: 1, max_queue: 0}\nmodels:\n" +
                     remote_model("stall", upstream.base_url()) + remote_model("echo", upstream.base_url());
  auto server = start_server(yaml);
  uint16_t port = server->port();
  std::thread slow([port] {
    http_post(port, "/v1/chat/completions",
              R"({"model":"stall","messages":[{"role":"user","content":"x"}]})");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ClientResponse r = http_post(port, "/v1/chat/completions",
                               R"({"model":"echo","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_NE(r.body.find("overloaded"), std::string::npos);
  slow.join();
  EXPECT_EQ(http_post(port, "/v1/chat/completions",
                      R"({"model":"echo","messages":[{"role":"user","content":"x"}]})")
                .status,
            200);
}

TEST(GatewayDrain, InFlightRequestsFinishAndNewConnectionsAreRefused) {
  FakeUpstream upstream;
  auto server =
      start_server("server: {threads: 2}\nmodels:\n" + remote_model("slow-stream", upstream.base_url()));
  uint16_t port = server->port();
  ClientResponse in_flight;
  std::thread client([&] {
    in_flight = http_post(
        port, "/v1/chat/completions",
        R"({"model":"slow-stream","stream":true,"messages":[{"role":"user","content":"a b c d e f g h"}]})");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  server->drain();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ClientResponse late = http_get(port, "/healthz");
  EXPECT_EQ(late.status, 0) << "a draining server must not accept connections";
  client.join();
  server->wait();
  ASSERT_EQ(in_flight.status, 200) << in_flight.error;
  auto events = sse_events(in_flight.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
}

}  // namespace
}  // namespace occam::testing
