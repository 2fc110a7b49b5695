// The `router` backend: a route used as a model name through the backends registry (what the gateway does).
#include <fstream>

#include <gtest/gtest.h>

#include "fake_backend.h"
#include "recording_upstream.h"
#include "router/router.h"
#include "store/request_log.h"
#include "test_support.h"

namespace occam::router {
namespace {

TEST(RouterBackend, ServesARouteAsAModel) {
  testing::RecordingUpstream upstream;
  occam::testing::TempDir dir;
  const auto config = dir.path() / "occam.yaml";
  const auto db = dir.path() / "requests.db";
  std::ofstream(config) << fmt::format(R"(
models:
  big: {{backend: remote, base_url: "http://127.0.0.1:{}/v1", retry: {{max_attempts: 1}},
        price: {{input_per_mtok: 2.0, output_per_mtok: 6.0}}}}
  auto: {{backend: router, config: "{}", route: auto, request_log: "{}"}}
routes:
  auto:
    baseline: big
    policies:
      - rules: [{{name: pii, when: {{pii: any}}, then: redact}}]
      - cascade: [big]
)",
                                       upstream.port(), config.string(), db.string());
  auto root = ConfigNode::load_file(config);
  ASSERT_TRUE(root.ok()) << root.error().message();
  {
    auto backend = backends::make_backend("router", {"auto", root->child("models").child("auto")});
    ASSERT_TRUE(backend.ok()) << backend.error().message();
    auto result = testing::run((*backend)->generate(testing::chat("appelez le 06 12 34 56 78"), nullptr));
    ASSERT_TRUE(result.ok()) << result.error().message();
    EXPECT_EQ(result->choices[0].text, "Reçu : appelez le 06 12 34 56 78");
    // The trace travels on the result for the gateway (`occam` field, `x-occam-route` header).
    ASSERT_TRUE(result->occam.is_object());
    EXPECT_EQ(result->occam.as_object().at("answered_by").as_string(), "big");
    EXPECT_NE(result->occam_route_header.find("answered=big"), std::string::npos)
        << result->occam_route_header;
    EXPECT_NE(result->occam_route_header.find("big(redacted)"), std::string::npos)
        << result->occam_route_header;
    ASSERT_EQ(upstream.bodies().size(), 1u);
    EXPECT_EQ(upstream.bodies()[0].find("06 12 34 56 78"), std::string::npos) << upstream.bodies()[0];
  }
  auto log = store::RequestLog::open(db);
  ASSERT_TRUE(log.ok());
  auto rows = (*log)->all();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].answered_by, "big");
  EXPECT_NEAR((*rows)[0].cost, (20 * 2.0 + 10 * 6.0) / 1e6, 1e-12);
}

TEST(RouterBackend, MissingConfigFileIsAnError) {
  occam::testing::TempDir dir;
  const auto config = dir.path() / "occam.yaml";
  std::ofstream(config) << "models:\n  auto: {backend: router, config: x, route: nope}\nroutes: {}\n";
  auto root = ConfigNode::load_file(config);
  ASSERT_TRUE(root.ok());
  auto node = root->child("models").child("auto");
  auto backend = backends::make_backend("router", {"auto", node});
  ASSERT_FALSE(backend.ok());
  EXPECT_NE(backend.error().message().find("config"), std::string::npos) << backend.error().message();
}

}  // namespace
}  // namespace occam::router
