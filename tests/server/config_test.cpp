// occam.yaml errors name file:line:column and the key path; the server refuses such a config.
#include <gtest/gtest.h>

#include "core/config.h"
#include "backends/backend.h"
#include "server/gateway_config.h"

namespace occam::server {
namespace {

struct Case {
  const char* name;
  const char* yaml;
  const char* expected;  // a substring of the error; empty: valid
};

const Case kCases[] = {
    {"valid", "models:\n  a:\n    backend: remote\n    base_url: http://127.0.0.1:9/v1\n", ""},
    {"syntax", "models:\n  a: [1, 2\n", "test.yaml:3:1:"},
    {"tab indentation", "models:\n\ta: 1\n", "test.yaml:2:"},
    {"unknown top key", "modles:\n  a: {backend: remote}\n", "test.yaml:1:1: modles: unknown key 'modles'"},
    {"unknown backend", "models:\n  a:\n    backend: quantum\n", "test.yaml:3:14: models.a.backend: unknown backend 'quantum'"},
    {"missing base_url", "models:\n  a:\n    backend: remote\n", "missing required key 'base_url'"},
    {"bad port", "server:\n  port: eighty\nmodels:\n  a: {backend: remote, base_url: 'http://x/v1'}\n",
     "test.yaml:2:9: server.port: expected an integer, found 'eighty'"},
    {"port range", "server:\n  port: 70000\nmodels:\n  a: {backend: remote, base_url: 'http://x/v1'}\n",
     "server.port: 70000 is out of range [0, 65535]"},
    {"typo in model key", "models:\n  a:\n    backend: remote\n    base_url: http://x/v1\n    api_kye: k\n",
     "test.yaml:5:5: models.a.api_kye: unknown key 'api_kye'"},
    {"bad fallback", "models:\n  a: {backend: remote, base_url: 'http://x/v1', fallback: b}\n",
     "fallback 'b' is not another configured model"},
    {"bad url scheme", "models:\n  a: {backend: remote, base_url: 'ftp://x/v1'}\n", "scheme must be http or https"},
    {"key without key", "models:\n  a: {backend: remote, base_url: 'http://x/v1'}\napi_keys:\n  - {name: k}\n",
     "test.yaml:4:5: api_keys[0]: missing 'key' or 'key_env'"},
    {"key for unknown model",
     "models:\n  a: {backend: remote, base_url: 'http://x/v1'}\napi_keys:\n  - {key: s, models: [b]}\n",
     "unknown model 'b'"},
    {"negative limit", "server:\n  limits: {max_concurrency: 0}\nmodels:\n  a: {backend: remote, base_url: 'http://x/v1'}\n",
     "server.limits.max_concurrency: 0 is out of range"},
    {"missing env", "models:\n  a: {backend: remote, base_url: 'http://x/v1', api_key_env: OCCAM_SURELY_UNSET_VAR}\n",
     "environment variable OCCAM_SURELY_UNSET_VAR is not set"},
    {"no models", "server: {port: 1}\n", "missing required key 'models'"},
};

TEST(GatewayConfig, ErrorsNameLineColumnAndPath) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    auto root = ConfigNode::parse(c.yaml, "test.yaml");
    Result<GatewayConfig> config = root.ok() ? read_gateway_config(*root) : Result<GatewayConfig>(root.error());
    // The remote factory runs at server start; run it here too so that its errors are covered.
    if (config.ok()) {
      for (const ModelConfig& m : config->models) {
        auto backend = backends::make_backend(m.backend, {m.name, m.settings});
        if (!backend) config = Result<GatewayConfig>(backend.error());
      }
    }
    if (std::string(c.expected).empty()) {
      EXPECT_TRUE(config.ok()) << config.error().message();
    } else {
      ASSERT_FALSE(config.ok());
      EXPECT_NE(config.error().message().find(c.expected), std::string::npos) << config.error().message();
    }
  }
}

TEST(GatewayConfig, DefaultsAndValues) {
  auto root = ConfigNode::parse(
      "server:\n  host: 0.0.0.0\n  port: 9000\n  limits: {max_body_bytes: 1024, header_timeout_ms: 50}\n"
      "models:\n  a:\n    backend: remote\n    base_url: https://api.example.com/v1\n    price: {input_per_mtok: 2, output_per_mtok: 6}\n",
      "t.yaml");
  ASSERT_TRUE(root.ok());
  auto config = read_gateway_config(*root);
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->host, "0.0.0.0");
  EXPECT_EQ(config->port, 9000);
  EXPECT_EQ(config->limits.max_body_bytes, 1024u);
  EXPECT_EQ(config->limits.header_timeout.count(), 50);
  EXPECT_EQ(config->limits.max_concurrency, 256);
  ASSERT_EQ(config->models.size(), 1u);
  EXPECT_EQ(config->models[0].price.output_per_mtok, 6.0);
  EXPECT_TRUE(config->api_keys.empty());
}

TEST(ConfigNode, ScalarsAreStrict) {
  auto root = ConfigNode::parse("a: 12abc\nb: 1.5\nc: yes\nd: [x, y]\n", "s.yaml");
  ASSERT_TRUE(root.ok());
  EXPECT_FALSE(root->child("a").as_int().ok());
  EXPECT_FALSE(root->child("b").as_int().ok());
  EXPECT_EQ(*root->child("b").as_double(), 1.5);
  EXPECT_TRUE(*root->child("c").as_bool());
  EXPECT_EQ(root->child("d").as_string_list()->size(), 2u);
  EXPECT_EQ(root->child("d").where(), "s.yaml:4:4");
  EXPECT_FALSE(root->child("d").as_string().ok());
}

}  // namespace
}  // namespace occam::server
