// Errors in a workflow file name the file, the line and the step. One case per row: the workflow file,
// then what the message must contain.
#include "fixture.h"

namespace occam::workflow::testing {
namespace {

struct ParseCase {
  const char* yaml;
  std::vector<std::string> expected;
};

const ParseCase kCases[] = {
    {"steps:\n  - {name: a, kind: nope}\n", {"wf.yaml:2:", "step 'a'", "unknown step kind 'nope'"}},
    {"steps:\n  - name: a\n    kind: generate\n    prompt: hi\n    promt: typo\n", {"wf.yaml:5:", "step 'a'", "promt"}},
    {"steps:\n  - name: g\n    kind: generate\n    route: nowhere\n    prompt: hi\n",
     {"wf.yaml:4:", "step 'g'", "route 'nowhere'"}},
    {"steps:\n  - name: g\n    kind: generate\n    prompt: \"{{ input.text \"\n", {"wf.yaml:4:", "step 'g'"}},
    {"steps:\n  - {name: a, kind: rules, text: x}\n  - {name: a, kind: rules, text: y}\n",
     {"wf.yaml:3:", "step 'a'", "already exists"}},
    {"steps:\n  - name: b\n    kind: branch\n    if: input.x\n    then:\n      - {name: inner, kind: generate}\n",
     {"wf.yaml:6:", "step 'inner'", "prompt"}},
    {"steps:\n  - {name: t, kind: tool, tool: missing}\n", {"wf.yaml:2:", "step 't'", "no tool 'missing'"}},
    {"allow_urls: ['http://10.0.0.1/']\ntools:\n  status: {url: 'http://evil.example/x'}\nsteps:\n"
     "  - {name: t, kind: tool, tool: status}\n",
     {"wf.yaml:3:", "tool 'status'", "allow_urls"}},
    {"steps:\n  - {name: m, kind: map, over: '{{ input.items }}', steps: []}\n", {"wf.yaml:2:", "step 'm'", "expression"}},
    {"inputs: {text: strin}\nsteps:\n  - {name: a, kind: rules, text: x}\n", {"wf.yaml:1:", "unknown type 'strin'"}},
    {"steps:\n  - name: e\n    kind: extract\n    prompt: x\n    schema: {type: object, properties: {a: {type: string, pattern: x}}}\n",
     {"wf.yaml:5:", "step 'e'", "pattern"}},
    {"steps:\n  - name: ag\n    kind: agent\n    prompt: x\n    tools: []\n", {"wf.yaml:5:", "step 'ag'", "at least one tool"}},
};

class ParseTest : public WorkflowFixture {};

TEST_F(ParseTest, ErrorsNameFileLineAndStep) {
  for (const ParseCase& c : kCases) {
    auto engine = Engine::load(write_config(c.yaml));
    ASSERT_FALSE(engine.ok()) << c.yaml;
    for (const std::string& e : c.expected) {
      EXPECT_NE(engine.error().message().find(e), std::string::npos)
          << "case:\n" << c.yaml << "\nmissing '" << e << "' in: " << engine.error().message();
    }
  }
}

TEST_F(ParseTest, InputsAndOutputsAreTyped) {
  auto engine = load(
      "inputs: {text: string, n: {type: integer, required: false}}\n"
      "outputs:\n  kinds: {type: array, from: steps.pii.kinds}\n  wrong: {type: string, from: steps.pii.has_pii}\n"
      "steps:\n  - {name: pii, kind: rules, text: '{{ input.text }}'}\n");
  ASSERT_TRUE(engine);
  auto missing = engine->run("wf", "r0", json::object{{"n", 1}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("input 'text' is missing"), std::string::npos);
  auto typed = engine->run("wf", "r1", json::object{{"text", 3}});
  ASSERT_FALSE(typed.ok());
  EXPECT_NE(typed.error().message().find("expected string"), std::string::npos);
  auto run = engine->run("wf", "r2", json::object{{"text", "hello"}});
  ASSERT_TRUE(run.ok()) << run.error().message();
  EXPECT_EQ(run->status, "failed");  // `wrong` is a boolean declared string
  EXPECT_NE(run->error.find("output 'wrong': expected string"), std::string::npos) << run->error;
  EXPECT_NE(run->error.find("wf.yaml:4:"), std::string::npos) << run->error;
}

}  // namespace
}  // namespace occam::workflow::testing
