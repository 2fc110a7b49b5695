// The agent loop: thought -> action -> observation, its step and cost budgets, and its trace. The fake
// upstream scripts the model's turns.
#include "fixture.h"

namespace occam::workflow::testing {
namespace {

class AgentTest : public WorkflowFixture {
 protected:
  std::unique_ptr<Engine> load_agent(const std::string& budget, const std::string& route = "small") {
    return load(fmt::format(
        "allow_urls: ['{{tools}}/']\n"
        "tools:\n"
        "  ticket_status:\n"
        "    description: Status of a support ticket\n"
        "    url: '{{tools}}/status'\n"
        "    parameters: {{type: object, properties: {{ticket_id: {{type: string}}}}, required: [ticket_id]}}\n"
        "steps:\n"
        "  - name: helper\n    kind: agent\n    route: {}\n    tools: [ticket_status]\n"
        "    system: Use the tools.\n    prompt: '{{{{ input.question }}}}'\n{}",
        route, budget));
  }
};

TEST_F(AgentTest, ThoughtActionObservationThenAnswer) {
  auto engine = load_agent("    max_steps: 4\n");
  ASSERT_TRUE(engine);
  script_ = [](const json::object& request, int call) -> std::pair<int, std::string> {
    EXPECT_EQ(request.at("tools").as_array().size(), 1u);
    if (call == 0) return {200, chat_answer("I should look the ticket up.", {{"ticket_status", R"({"ticket_id":"T-1"})"}})};
    // The observation came back as a tool message.
    const auto& messages = request.at("messages").as_array();
    EXPECT_EQ(messages.back().at("role"), json::value("tool"));
    EXPECT_NE(json::serialize(messages.back()).find("open"), std::string::npos);
    return {200, chat_answer("Ticket T-1 is open.")};
  };
  auto run = engine->run("wf", "a1", json::object{{"question", "What is the status of T-1?"}});
  ASSERT_TRUE(run.ok()) << run.error().message();
  ASSERT_EQ(run->status, "done") << run->error;
  auto helper = engine->store().steps("a1");
  ASSERT_TRUE(helper.ok());
  json::value out = json::parse(helper->at("helper").output_json);
  EXPECT_EQ(out.at("answer"), json::value("Ticket T-1 is open."));
  EXPECT_EQ(out.at("stopped"), json::value("answer"));
  EXPECT_EQ(out.at("turns"), json::value(2));
  const auto& trace = out.at("trace").as_array();
  ASSERT_EQ(trace.size(), 2u);
  EXPECT_EQ(trace[0].at("thought"), json::value("I should look the ticket up."));
  EXPECT_EQ(trace[0].at("action").at("tool"), json::value("ticket_status"));
  EXPECT_EQ(trace[0].at("action").at("arguments").at("ticket_id"), json::value("T-1"));
  EXPECT_EQ(trace[0].at("observation").at("status"), json::value("open"));
  EXPECT_EQ(trace[1].at("thought"), json::value("Ticket T-1 is open."));
  EXPECT_TRUE(trace[1].at("action").is_null());
  EXPECT_EQ(recorder_.requests.at("a1/helper.turn1.tool0"), 1);
}

TEST_F(AgentTest, StopsAtTheStepBudget) {
  auto engine = load_agent("    max_steps: 3\n");
  ASSERT_TRUE(engine);
  script_ = [](const json::object&, int call) -> std::pair<int, std::string> {
    return {200, chat_answer("Still looking (" + std::to_string(call) + ").", {{"ticket_status", R"({"ticket_id":"T-2"})"}})};
  };
  auto run = engine->run("wf", "a2", json::object{{"question", "loop"}});
  ASSERT_TRUE(run.ok() && run->status == "done") << (run.ok() ? run->error : run.error().message());
  json::value out = json::parse(engine->store().steps("a2")->at("helper").output_json);
  EXPECT_EQ(out.at("stopped"), json::value("step_budget"));
  EXPECT_EQ(out.at("turns"), json::value(3));
  EXPECT_EQ(out.at("trace").as_array().size(), 3u);
  EXPECT_EQ(upstream_calls(), 3);
  EXPECT_EQ(recorder_.applied.size(), 3u);  // one tool call per turn, each its own key
}

TEST_F(AgentTest, StopsAtTheCostBudget) {
  // big costs 2 €/Mtok in, 6 €/Mtok out: 100k + 10k tokens = 0.26 € a turn; the budget is 0.5 €.
  auto engine = load_agent("    max_steps: 10\n    max_cost: 0.5\n", "big");
  ASSERT_TRUE(engine);
  script_ = [](const json::object&, int) -> std::pair<int, std::string> {
    return {200, chat_answer("Looking.", {{"ticket_status", R"({"ticket_id":"T-3"})"}}, 100000, 10000)};
  };
  auto run = engine->run("wf", "a3", json::object{{"question", "expensive"}});
  ASSERT_TRUE(run.ok() && run->status == "done") << (run.ok() ? run->error : run.error().message());
  json::value out = json::parse(engine->store().steps("a3")->at("helper").output_json);
  EXPECT_EQ(out.at("stopped"), json::value("cost_budget"));
  EXPECT_EQ(out.at("turns"), json::value(2));
  EXPECT_NEAR(out.at("cost").to_number<double>(), 0.52, 1e-9);
  EXPECT_NEAR(run->cost, 0.52, 1e-9);
  EXPECT_EQ(upstream_calls(), 2);
}

TEST_F(AgentTest, UnknownToolIsAnObservationNotACrash) {
  auto engine = load_agent("    max_steps: 3\n");
  ASSERT_TRUE(engine);
  script_ = [](const json::object& request, int call) -> std::pair<int, std::string> {
    if (call == 0) return {200, chat_answer("", {{"delete_everything", "{}"}})};
    EXPECT_NE(json::serialize(request.at("messages").as_array().back()).find("no tool named"), std::string::npos);
    return {200, chat_answer("I cannot do that.")};
  };
  auto run = engine->run("wf", "a4", json::object{{"question", "x"}});
  ASSERT_TRUE(run.ok() && run->status == "done") << (run.ok() ? run->error : run.error().message());
  json::value out = json::parse(engine->store().steps("a4")->at("helper").output_json);
  EXPECT_EQ(out.at("stopped"), json::value("answer"));
  EXPECT_TRUE(recorder_.requests.empty());
}

}  // namespace
}  // namespace occam::workflow::testing
