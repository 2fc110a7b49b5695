// A route served as a model: every answer carries its decision trace — non-streamed as the x-occam-route
// header and a top-level `occam` field, streamed as the header (the decision, known before the first token)
// and a last chunk with the full trace before [DONE].
#include <fstream>
#include <memory>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/config.h"
#include "fake_upstream.h"
#include "server/gateway_config.h"
#include "server/server.h"
#include "test_client.h"
#include "test_support.h"

namespace occam::server {
namespace {

namespace json = boost::json;
using testing::ClientResponse;
using testing::FakeUpstream;
using testing::http_post;
using testing::sse_events;

class RoutedAnswer : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto config = dir_.path() / "occam.yaml";
    std::ofstream(config) << fmt::format(R"(server: {{host: 127.0.0.1, threads: 2}}
models:
  echo: {{backend: remote, base_url: "{}", model: echo, price: {{input_per_mtok: 1.0, output_per_mtok: 2.0}}}}
  auto: {{backend: router, config: "{}", route: auto, request_log: "{}"}}
routes:
  auto:
    baseline: echo
    policies:
      - cascade: [echo]
)",
                                         upstream_.base_url(), config.string(),
                                         (dir_.path() / "requests.db").string());
    auto root = ConfigNode::load_file(config);
    ASSERT_TRUE(root.ok()) << root.error().message();
    auto gateway_config = read_gateway_config(*root);
    ASSERT_TRUE(gateway_config.ok()) << gateway_config.error().message();
    gateway_config->port = 0;
    auto created = Server::create(*gateway_config);
    ASSERT_TRUE(created.ok()) << created.error().message();
    server_ = std::move(*created);
    auto port = server_->start();
    ASSERT_TRUE(port.ok()) << port.error().message();
    port_ = *port;
  }

  ClientResponse chat(const std::string& extra) {
    return http_post(
        port_, "/v1/chat/completions",
        R"({"model":"auto","messages":[{"role":"user","content":"one two three"}])" + extra + "}");
  }

  FakeUpstream upstream_;
  testing::TempDir dir_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
};

TEST_F(RoutedAnswer, NonStreamedCarriesHeaderAndOccamField) {
  ClientResponse r = chat("");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.headers.count("x-occam-route")) << r.body;
  EXPECT_NE(r.headers["x-occam-route"].find("answered=echo"), std::string::npos)
      << r.headers["x-occam-route"];
  json::object o = json::parse(r.body).as_object();
  ASSERT_TRUE(o.contains("occam")) << r.body;
  EXPECT_EQ(o["occam"].at("answered_by").as_string(), "echo");
}

TEST_F(RoutedAnswer, StreamedCarriesDecisionHeaderAndTraceChunk) {
  ClientResponse r = chat(R"(,"stream":true)");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.headers.count("x-occam-route")) << r.body;
  EXPECT_NE(r.headers["x-occam-route"].find("plan=echo"), std::string::npos) << r.headers["x-occam-route"];
  auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 3u) << r.body;
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  for (std::size_t i = 0; i + 2 < events.size(); ++i) {
    json::object chunk = json::parse(events[i]).as_object();
    EXPECT_FALSE(chunk.contains("occam")) << events[i];
    for (const auto& c : chunk["choices"].as_array()) {
      const json::object& delta = c.at("delta").as_object();
      if (delta.contains("content")) text += std::string(delta.at("content").as_string());
    }
  }
  EXPECT_EQ(text, "echo: one two three");
  json::object last = json::parse(events[events.size() - 2]).as_object();
  EXPECT_EQ(last["object"].as_string(), "chat.completion.chunk");
  EXPECT_TRUE(last["choices"].as_array().empty());
  ASSERT_TRUE(last.contains("occam")) << events[events.size() - 2];
  EXPECT_EQ(last["occam"].at("answered_by").as_string(), "echo");
  EXPECT_GT(last["occam"].at("baseline_cost").as_double(), 0.0);
}

}  // namespace
}  // namespace occam::server
