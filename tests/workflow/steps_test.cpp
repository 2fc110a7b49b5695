// Each step kind against the fake upstream and the recording tool server.
#include "fixture.h"

namespace occam::workflow::testing {
namespace {

class StepsTest : public WorkflowFixture {};

TEST_F(StepsTest, RulesClassifyGenerate) {
  std::string model = train_classifier();
  auto engine = load(fmt::format(
      "inputs: {{text: string}}\n"
      "outputs:\n"
      "  category: {{type: string, from: steps.category.label}}\n"
      "  pii: {{type: array, from: steps.pii.kinds}}\n"
      "  reply: {{type: string, from: steps.reply.text}}\n"
      "steps:\n"
      "  - {{name: pii, kind: rules, text: '{{{{ input.text }}}}', redact: true}}\n"
      "  - {{name: category, kind: classify, model: {}, text: '{{{{ steps.pii.redacted }}}}'}}\n"
      "  - name: reply\n"
      "    kind: generate\n"
      "    route: \"{{{{ 'small' if steps.pii.has_pii else 'auto' }}}}\"\n"
      "    system: You answer {{{{ steps.category.label }}}} tickets.\n"
      "    prompt: \"Ticket: {{{{ steps.pii.redacted }}}}\"\n",
      model));
  ASSERT_TRUE(engine);
  auto run = engine->run("wf", "r1", json::object{{"text", "Ma facture est fausse, écrivez à jean.dupont@example.fr"}});
  ASSERT_TRUE(run.ok()) << run.error().message();
  ASSERT_EQ(run->status, "done") << run->error;
  EXPECT_EQ(run->output.at("category"), json::value("billing"));
  EXPECT_EQ(run->output.at("pii"), json::value(json::array{"EMAIL"}));
  // The model saw the redacted text only, and the system prompt rendered by Jinja.
  EXPECT_EQ(run->output.at("reply"), json::value("Reçu : Ticket: Ma facture est fausse, écrivez à [EMAIL]"));
  auto requests = upstream_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].at("model"), json::value("small"));  // pinned: PII found
  EXPECT_EQ(requests[0].at("messages").as_array()[0].at("content"), json::value("You answer billing tickets."));
  EXPECT_EQ(run->tiers.at("rules"), 1);
  EXPECT_EQ(run->tiers.at("classic"), 1);
  EXPECT_EQ(run->tiers.at("small"), 1);
  EXPECT_EQ(run->steps_run, 3);

  // A finished run is answered from the store.
  auto again = engine->run("wf", "r1", json::object{{"text", "ignored"}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->output, run->output);
  EXPECT_EQ(upstream_calls(), 1);
}

TEST_F(StepsTest, ExtractValidatesAgainstTheSchema) {
  std::ofstream(dir_.path() / "receipt.json")
      << R"({"type":"object","properties":{"total":{"type":"number"},"company":{"type":"string"}},)"
      << R"("required":["total","company"],"additionalProperties":false})";
  auto engine = load(
      "steps:\n  - {name: fields, kind: extract, route: big, schema: receipt.json, prompt: 'Receipt: {{ input.text }}'}\n"
      "outputs: {total: {type: number, from: steps.fields.total}}\n");
  ASSERT_TRUE(engine);
  script_ = [](const json::object& request, int call) -> std::pair<int, std::string> {
    EXPECT_EQ(request.at("response_format").at("type"), json::value("json_schema"));
    return {200, chat_answer(call == 0 ? R"({"total": 12.5, "company": "ACME"})" : R"({"total": "12.5", "company": "ACME"})")};
  };
  auto good = engine->run("wf", "good", json::object{{"text", "ACME total 12.50"}});
  ASSERT_TRUE(good.ok()) << good.error().message();
  EXPECT_EQ(good->status, "done") << good->error;
  EXPECT_EQ(good->output.at("total"), json::value(12.5));
  auto bad = engine->run("wf", "bad", json::object{{"text", "ACME total 12.50"}});
  ASSERT_TRUE(bad.ok()) << bad.error().message();
  EXPECT_EQ(bad->status, "failed");
  EXPECT_NE(bad->error.find("$.total"), std::string::npos) << bad->error;
  EXPECT_NE(bad->error.find("step 'fields'"), std::string::npos) << bad->error;
}

TEST_F(StepsTest, ToolCallsCarryTheIdempotencyKeyAndAreRecorded) {
  auto engine = load(
      "allow_urls: ['{tools}/']\n"
      "tools:\n"
      "  ticket_status:\n"
      "    url: '{tools}/status'\n"
      "    parameters: {type: object, properties: {ticket_id: {type: string}}, required: [ticket_id]}\n"
      "steps:\n  - {name: status, kind: tool, tool: ticket_status, with: {ticket_id: '{{ input.id }}'}}\n"
      "outputs: {status: {type: string, from: steps.status.status}}\n");
  ASSERT_TRUE(engine);
  auto run = engine->run("wf", "run-7", json::object{{"id", "T-1"}});
  ASSERT_TRUE(run.ok()) << run.error().message();
  ASSERT_EQ(run->status, "done") << run->error;
  EXPECT_EQ(run->output.at("status"), json::value("open"));
  EXPECT_EQ(recorder_.requests.at("run-7/status"), 1);
  auto steps = engine->store().steps("run-7");
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(steps->at("status").idempotency_key, "run-7/status");
  EXPECT_EQ(steps->at("status").attempts, 1);
  EXPECT_EQ(steps->at("status").status, "done");
  // Arguments outside the tool's schema never reach it.
  auto bad = engine->run("wf", "run-8", json::object{{"id", 5}});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, "failed");
  EXPECT_NE(bad->error.find("ticket_id"), std::string::npos) << bad->error;
  EXPECT_EQ(recorder_.requests.count("run-8/status"), 0u);
}

TEST_F(StepsTest, BranchTakesOneSide) {
  auto engine = load(
      "steps:\n"
      "  - name: lang\n    kind: branch\n    if: \"input.lang == 'fr'\"\n"
      "    then:\n      - {name: fr, kind: generate, route: small, prompt: 'Bonjour {{ input.name }}'}\n"
      "    else:\n      - {name: en, kind: generate, route: big, prompt: 'Hello {{ input.name }}'}\n"
      "  - {name: after, kind: generate, route: small, prompt: \"{{ steps.lang.taken }}: {{ steps.lang.output.text }}\"}\n"
      "outputs: {text: steps.after.text}\n");
  ASSERT_TRUE(engine);
  auto fr = engine->run("wf", "fr", json::object{{"lang", "fr"}, {"name", "Léa"}});
  ASSERT_TRUE(fr.ok() && fr->status == "done") << (fr.ok() ? fr->error : fr.error().message());
  EXPECT_EQ(fr->output.at("text"), json::value("Reçu : then: Reçu : Bonjour Léa"));
  auto en = engine->run("wf", "en", json::object{{"lang", "en"}, {"name", "Bob"}});
  ASSERT_TRUE(en.ok() && en->status == "done");
  EXPECT_EQ(en->output.at("text"), json::value("Reçu : else: Reçu : Hello Bob"));
  EXPECT_EQ(en->tiers.at("big"), 1);
  auto steps = engine->store().steps("en");
  ASSERT_TRUE(steps.ok());
  EXPECT_TRUE(steps->contains("lang.else.en"));
  EXPECT_FALSE(steps->contains("lang.then.fr"));
}

TEST_F(StepsTest, MapRunsEachItemAndResumesMidList) {
  auto engine = load(
      "allow_urls: ['{tools}/']\n"
      "tools:\n  record: {url: '{tools}/record'}\n"
      "steps:\n"
      "  - name: lines\n    kind: map\n    over: input.names\n    steps:\n"
      "      - {name: save, kind: tool, tool: record, with: {item: '{{ item }}', index: '{{ index }}'}}\n"
      "      - {name: say, kind: generate, route: small, prompt: '{{ index }}={{ item }}'}\n"
      "outputs: {texts: {type: array, from: \"steps.lines | map(attribute='text') | list\"}}\n");
  ASSERT_TRUE(engine);
  json::object input{{"names", json::array{"a", "b", "c"}}};  // not `items`: Jinja reads input.items as the dict method
  // The tool answers 503 on the third item: the run stops (resumable), items 0 and 1 are in the store.
  // The upstream is called after each tool call; its second call arms one failure of the tool.
  script_ = [this](const json::object& request, int call) -> std::pair<int, std::string> {
    if (call == 1) {
      std::lock_guard lock(recorder_.mutex);
      recorder_.fail_next = 1;
    }
    return {200, chat_answer("Reçu : " + last_content(request))};
  };
  auto stopped = engine->run("wf", "m1", input);
  ASSERT_FALSE(stopped.ok()) << stopped->status << " " << stopped->error << " " << json::serialize(stopped->output);
  EXPECT_EQ(stopped.error().code(), ErrorCode::unavailable) << stopped.error().message();
  EXPECT_NE(stopped.error().message().find("lines[2].save"), std::string::npos) << stopped.error().message();
  auto unfinished = engine->store().unfinished_runs("wf");
  ASSERT_TRUE(unfinished.ok());
  EXPECT_EQ(*unfinished, std::vector<std::string>{"m1"});
  EXPECT_EQ(upstream_calls(), 2);

  auto resumed = engine->resume("m1");
  ASSERT_TRUE(resumed.ok()) << resumed.error().message();
  ASSERT_EQ(resumed->status, "done") << resumed->error;
  EXPECT_EQ(resumed->output.at("texts"), json::value(json::array{"Reçu : 0=a", "Reçu : 1=b", "Reçu : 2=c"}));
  EXPECT_EQ(upstream_calls(), 3);                 // items 0 and 1 were not asked again
  EXPECT_EQ(resumed->steps_replayed, 5);          // over + 2 x (save, say)
  for (const char* key : {"m1/lines[0].save", "m1/lines[1].save", "m1/lines[2].save"}) {
    EXPECT_EQ(recorder_.applied.at(key), 1) << key;
  }
  auto steps = engine->store().steps("m1");
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(steps->at("lines[2].save").attempts, 2);  // started, failed (503), started again
  EXPECT_EQ(steps->at("lines[0].save").attempts, 1);
}

}  // namespace
}  // namespace occam::workflow::testing
