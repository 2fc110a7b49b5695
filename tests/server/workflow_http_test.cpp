// The workflow endpoints end to end: occam's server in-process with a `workflows:` section whose steps
// need no model (a PII rules step, a built-in lookup tool), its run store in a temp folder, and a plain
// HTTP client: a synchronous run, an async run then polled, a failed run, and the 404/400 errors.
#include <chrono>
#include <fstream>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/config.h"
#include "fake_upstream.h"
#include "server/server.h"
#include "server/workflow_endpoints.h"
#include "test_client.h"
#include "test_support.h"

namespace occam::testing {
namespace {

namespace json = boost::json;

constexpr const char* kWorkflows = R"(
workflows:
  store: runs.db
  triage:
    inputs: {body: string, ticket: string, priority: {type: integer, required: false}}
    outputs:
      has_pii: {type: boolean, from: steps.pii.has_pii}
      redacted: steps.pii.redacted
      state: {type: string, from: steps.status.value.state}
    tools:
      status_table: {builtin: lookup, table: tickets.json, key: ticket}
    steps:
      - {name: pii, kind: rules, text: "{{ input.body }}", redact: true}
      - {name: status, kind: tool, tool: status_table, with: {ticket: "{{ input.ticket }}"}}
  broken:
    inputs: {body: string}
    outputs: {n: {type: integer, from: steps.pii.redacted}}
    steps:
      - {name: pii, kind: rules, text: "{{ input.body }}", redact: true}
)";

class WorkflowHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::ofstream(dir_->path() / "tickets.json")
        << R"({"T-1": {"state": "open"}, "T-2": {"state": "closed"}})";
    std::string yaml = fmt::format(
        "server: {{host: 127.0.0.1, threads: 1, workflow_threads: 2}}\n"
        "models:\n"
        "  chat: {{backend: remote, base_url: 'http://127.0.0.1:{}/v1', model: chat}}\n{}",
        refused_port(), kWorkflows);
    std::filesystem::path config_path = dir_->path() / "occam.yaml";
    std::ofstream(config_path) << yaml;
    auto config = server::load_gateway_config(config_path);
    ASSERT_TRUE(config.ok()) << config.error().message();
    config->port = 0;
    auto workflows = server::WorkflowEndpoints::load(config_path, config->workflow_threads, 8);
    ASSERT_TRUE(workflows.ok()) << workflows.error().message();
    ASSERT_NE(*workflows, nullptr);
    auto created = server::Server::create(*config, std::move(*workflows));
    ASSERT_TRUE(created.ok()) << created.error().message();
    ASSERT_TRUE((*created)->start().ok());
    server_ = created->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static ClientResponse post_run(const std::string& workflow, const std::string& body) {
    return http_post(server_->port(), "/v1/workflows/" + workflow + "/runs", body);
  }

  // The steps of a finished triage run: pii (rules), then status (the lookup tool), with their results.
  static void expect_triage_trace(const json::object& run) {
    const json::array& steps = run.at("steps").as_array();
    ASSERT_EQ(steps.size(), 2u) << json::serialize(run);
    EXPECT_EQ(steps[0].at("path").as_string(), "pii");
    EXPECT_EQ(steps[0].at("kind").as_string(), "rules");
    EXPECT_EQ(steps[0].at("tier").as_string(), "rules");
    EXPECT_EQ(steps[0].at("status").as_string(), "done");
    EXPECT_TRUE(steps[0].at("result").at("has_pii").as_bool());
    EXPECT_EQ(steps[1].at("path").as_string(), "status");
    EXPECT_EQ(steps[1].at("kind").as_string(), "tool");
    EXPECT_EQ(steps[1].at("tier").as_string(), "builtin");
    EXPECT_EQ(steps[1].at("attempts").as_int64(), 1);
    EXPECT_EQ(steps[1].at("result").at("value").at("state").as_string(), "open");
  }

  static inline TempDir* dir_ = nullptr;
  static inline server::Server* server_ = nullptr;
};

constexpr const char* kTicket = R"({"input":{"body":"Call me at jean.dupont@example.fr","ticket":"T-1"}})";

TEST_F(WorkflowHttpTest, SyncRunAnswersOutputStatusAndTrace) {
  ClientResponse r = post_run("triage", kTicket);
  ASSERT_EQ(r.status, 200) << r.body << r.error;
  json::object run = json_body(r);
  EXPECT_EQ(run["object"].as_string(), "workflow.run");
  EXPECT_EQ(run["workflow"].as_string(), "triage");
  EXPECT_EQ(run["status"].as_string(), "done");
  EXPECT_TRUE(std::string(run["id"].as_string()).starts_with("run_"));
  EXPECT_EQ(run["input"].at("ticket").as_string(), "T-1");
  EXPECT_TRUE(run["output"].at("has_pii").as_bool());
  EXPECT_EQ(run["output"].at("state").as_string(), "open");
  std::string redacted(run["output"].at("redacted").as_string());
  EXPECT_EQ(redacted.find("jean.dupont"), std::string::npos) << redacted;
  EXPECT_GE(run["latency_ms"].as_double(), 0.0);
  EXPECT_EQ(run["cost"].as_double(), 0.0);
  EXPECT_EQ(run["tiers"].at("rules").as_int64(), 1);
  EXPECT_EQ(run["tiers"].at("builtin").as_int64(), 1);
  expect_triage_trace(run);

  // The same run, read back.
  ClientResponse again =
      http_get(server_->port(), "/v1/workflows/runs/" + std::string(run["id"].as_string()));
  ASSERT_EQ(again.status, 200) << again.body;
  json::object stored = json_body(again);
  EXPECT_EQ(stored["status"].as_string(), "done");
  EXPECT_EQ(stored["output"], run["output"]);
  expect_triage_trace(stored);
}

TEST_F(WorkflowHttpTest, AsyncRunIsQueuedThenPolledUntilDone) {
  ClientResponse r =
      post_run("triage", R"({"input":{"body":"rien à signaler","ticket":"T-2"},"async":true})");
  ASSERT_EQ(r.status, 202) << r.body;
  json::object accepted = json_body(r);
  EXPECT_EQ(accepted["status"].as_string(), "queued");
  std::string id(accepted["id"].as_string());
  json::object run;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    ClientResponse poll = http_get(server_->port(), "/v1/workflows/runs/" + id);
    ASSERT_EQ(poll.status, 200) << poll.body;
    run = json_body(poll);
    std::string status(run["status"].as_string());
    ASSERT_TRUE(status == "queued" || status == "running" || status == "done") << poll.body;
    EXPECT_EQ(run["input"].at("ticket").as_string(), "T-2");  // known from the moment it was accepted
    if (status == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(run["status"].as_string(), "done") << json::serialize(run);
  EXPECT_FALSE(run["output"].at("has_pii").as_bool());
  EXPECT_EQ(run["output"].at("state").as_string(), "closed");
  ASSERT_EQ(run["steps"].as_array().size(), 2u);
}

TEST_F(WorkflowHttpTest, AFailedRunSaysWhy) {
  ClientResponse r = post_run("broken", R"({"input":{"body":"hello"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object run = json_body(r);
  EXPECT_EQ(run["status"].as_string(), "failed");
  EXPECT_FALSE(run.contains("output"));
  EXPECT_NE(std::string(run["error"].as_string()).find("expected integer"), std::string::npos) << r.body;
  EXPECT_EQ(run["steps"].as_array().size(), 1u);
}

TEST_F(WorkflowHttpTest, UnknownWorkflowOrRunIs404) {
  expect_openai_error(post_run("nope", kTicket), 404, "nope");
  expect_openai_error(post_run("nope", R"({"input":{},"async":true})"), 404, "nope");
  expect_openai_error(http_get(server_->port(), "/v1/workflows/runs/run_does_not_exist"), 404,
                      "run_does_not_exist");
  expect_openai_error(http_get(server_->port(), "/v1/workflows/triage"), 404, "unknown endpoint");
}

TEST_F(WorkflowHttpTest, InvalidInputIs400BeforeAnythingRuns) {
  expect_openai_error(post_run("triage", R"({"input":{"body":"x"}})"), 400, "input 'ticket' is missing");
  expect_openai_error(
      post_run("triage", R"({"input":{"body":"x","ticket":"T-1","priority":"high"},"async":true})"), 400,
      "input 'priority': expected integer");
  expect_openai_error(post_run("triage", R"({"input":"x"})"), 400, "input");
  expect_openai_error(post_run("triage", R"({"async":true})"), 400, "input");
  expect_openai_error(post_run("triage", R"({"input":{},"async":"yes"})"), 400, "async");
  expect_openai_error(post_run("triage", "{"), 400, "malformed JSON");
  EXPECT_EQ(http_request(server_->port(), "DELETE", "/v1/workflows/runs/x").status, 405);
}

TEST_F(WorkflowHttpTest, MetricsCountWorkflowRequests) {
  ASSERT_EQ(post_run("triage", kTicket).status, 200);
  std::string metrics = http_get(server_->port(), "/metrics").body;
  EXPECT_NE(metrics.find(R"(occam_requests_total{endpoint="workflows",model="triage",status="200"})"),
            std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace occam::testing
