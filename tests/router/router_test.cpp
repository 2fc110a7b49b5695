#include "router/router.h"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "fake_backend.h"
#include "router/complexity.h"
#include "router/trace.h"

namespace occam::router {
namespace {

using testing::chat;
using testing::FakeAnswer;
using testing::FakeBackend;
using testing::run;

struct Fixture {
  FakeBackend small;
  FakeBackend big;
  std::unique_ptr<Router> router;

  Fixture(std::function<FakeAnswer(const backends::GenerateRequest&)> small_answer,
          std::function<FakeAnswer(const backends::GenerateRequest&)> big_answer, std::string_view routes)
      : small(std::move(small_answer)), big(std::move(big_answer)) {
    std::string yaml = std::string(R"(
models:
  small: {backend: fake, price: {input_per_mtok: 0.1, output_per_mtok: 0.2}}
  big: {backend: fake, price: {input_per_mtok: 2.0, output_per_mtok: 6.0}}
routes:
)") + std::string(routes);
    auto root = ConfigNode::parse(yaml, "test.yaml");
    EXPECT_TRUE(root.ok()) << root.error().message();
    auto r = Router::create(*root, {{"small", &small}, {"big", &big}});
    EXPECT_TRUE(r.ok()) << r.error().message();
    if (r.ok()) router = std::move(r).value();
  }
};

constexpr std::string_view kCascade = R"(
  auto:
    baseline: big
    tiers: {small: {local: true, watts: 20}, big: {local: false, joules_per_token: 0.5}}
    policies:
      - rules:
          - {name: pii, when: {pii: any}, then: redact}
          - {name: secret, when: {pattern: '(?i)confidentiel'}, then: pin_local}
          - {name: forbidden, when: {pattern: 'DROP TABLE'}, then: {refuse: no SQL here}}
      - cascade: [small, big]
    verify:
      - mean_logprob: {min: -1.0}
)";

TEST(Router, ConfidentSmallTierAnswersAlone) {
  Fixture f(
      [](auto&) {
        return FakeAnswer{"small says hi", {-0.1, -0.2}};
      },
      [](auto&) {
        return FakeAnswer{"big says hi", {-0.1}};
      },
      kCascade);
  ASSERT_TRUE(f.router);
  auto answer = run(f.router->generate("auto", chat("bonjour"), nullptr));
  ASSERT_TRUE(answer.ok()) << answer.error().message();
  EXPECT_EQ(answer->result.choices[0].text, "small says hi");
  EXPECT_TRUE(answer->result.choices[0].logprobs.empty()) << "logprobs asked by the verifier must not leak";
  const Trace& t = answer->trace;
  EXPECT_EQ(t.answered_by, "small");
  ASSERT_EQ(t.attempts.size(), 1u);
  EXPECT_TRUE(t.attempts[0].accepted);
  ASSERT_EQ(t.attempts[0].verdicts.size(), 1u);
  EXPECT_TRUE(t.attempts[0].verdicts[0].passed);
  EXPECT_NEAR(t.attempts[0].verdicts[0].score, -0.15, 1e-9);
  EXPECT_TRUE(f.big.requests.empty());
  // 10 prompt + 5 completion tokens at the small price; the baseline is the big price for the same tokens.
  EXPECT_NEAR(t.cost, (10 * 0.1 + 5 * 0.2) / 1e6, 1e-15);
  EXPECT_NEAR(t.baseline_cost, (10 * 2.0 + 5 * 6.0) / 1e6, 1e-15);
  EXPECT_GE(t.energy_j, 0.0);
  EXPECT_EQ(t.escalations(), 0);
  ASSERT_EQ(t.policies.size(), 2u);
  EXPECT_EQ(t.policies[0].outcome, "pass");
  EXPECT_EQ(t.policies[1].outcome, "tiers");
  EXPECT_NE(trace_header(t).find("answered=small"), std::string::npos) << trace_header(t);
}

TEST(Router, LowConfidenceEscalates) {
  Fixture f(
      [](auto&) {
        return FakeAnswer{"unsure", {-3.0, -2.0}};
      },
      [](auto&) {
        return FakeAnswer{"sure", {-0.1}, 12, 7};
      },
      kCascade);
  ASSERT_TRUE(f.router);
  auto answer = run(f.router->generate("auto", chat("a hard question"), nullptr));
  ASSERT_TRUE(answer.ok()) << answer.error().message();
  EXPECT_EQ(answer->result.choices[0].text, "sure");
  const Trace& t = answer->trace;
  ASSERT_EQ(t.attempts.size(), 2u);
  EXPECT_FALSE(t.attempts[0].verdicts[0].passed);
  EXPECT_FALSE(t.attempts[0].accepted);
  EXPECT_TRUE(t.attempts[1].accepted);
  EXPECT_EQ(t.escalations(), 1);
  EXPECT_EQ(t.verify_failures(), 1);
  // Both attempts are paid; the remote one's energy is tokens x J/token.
  EXPECT_NEAR(t.cost, (10 * 0.1 + 5 * 0.2 + 12 * 2.0 + 7 * 6.0) / 1e6, 1e-15);
  EXPECT_NEAR(t.attempts[1].energy_j, 19 * 0.5, 1e-12);
  EXPECT_NEAR(t.baseline_cost, (12 * 2.0 + 7 * 6.0) / 1e6, 1e-15);
  EXPECT_NE(trace_header(t).find("small(fail:mean_logprob)"), std::string::npos) << trace_header(t);
}

TEST(Router, FaultEscalates) {
  Fixture f(
      [](auto&) {
        return FakeAnswer{"", {}, 0, 0, true};
      },
      [](auto&) {
        return FakeAnswer{"ok", {-0.1}};
      },
      kCascade);
  ASSERT_TRUE(f.router);
  auto answer = run(f.router->generate("auto", chat("hello"), nullptr));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->trace.answered_by, "big");
  EXPECT_FALSE(answer->trace.attempts[0].error.empty());
}

TEST(Router, EveryTierFailingIsAnError) {
  Fixture f(
      [](auto&) {
        return FakeAnswer{"", {}, 0, 0, true};
      },
      [](auto&) {
        return FakeAnswer{"", {}, 0, 0, true};
      },
      kCascade);
  ASSERT_TRUE(f.router);
  Trace trace;
  auto answer = run(f.router->generate("auto", chat("hello"), nullptr, &trace));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code(), ErrorCode::unavailable);
  EXPECT_EQ(trace.attempts.size(), 2u);
  EXPECT_TRUE(trace.answered_by.empty());
}

TEST(Router, VerifierThatCannotRunRefusesByDefault) {
  // The small tier returns no logprobs: the check cannot run, the route fails closed.
  Fixture f(
      [](auto&) {
        return FakeAnswer{"no logprobs", {}};
      },
      [](auto&) {
        return FakeAnswer{"big", {-0.1}};
      },
      kCascade);
  ASSERT_TRUE(f.router);
  Trace trace;
  auto answer = run(f.router->generate("auto", chat("hello"), nullptr, &trace));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code(), ErrorCode::permission_denied);
  EXPECT_NE(answer.error().message().find("could not run"), std::string::npos);
  EXPECT_TRUE(trace.refused);
  EXPECT_TRUE(f.big.requests.empty());
}

TEST(Router, VerifierThatCannotRunEscalatesWhenConfigured) {
  std::string routes(kCascade);
  routes.replace(routes.find("baseline: big"), 13, "baseline: big\n    on_error: escalate");
  Fixture f(
      [](auto&) {
        return FakeAnswer{"no logprobs", {}};
      },
      [](auto&) {
        return FakeAnswer{"big", {-0.1}};
      },
      routes);
  ASSERT_TRUE(f.router);
  auto answer = run(f.router->generate("auto", chat("hello"), nullptr));
  ASSERT_TRUE(answer.ok()) << answer.error().message();
  EXPECT_EQ(answer->trace.answered_by, "big");
}

TEST(Router, RuleRefuses) {
  Fixture f(
      [](auto&) {
        return FakeAnswer{"x", {-0.1}};
      },
      [](auto&) {
        return FakeAnswer{"x", {-0.1}};
      },
      kCascade);
  ASSERT_TRUE(f.router);
  Trace trace;
  auto answer = run(f.router->generate("auto", chat("please DROP TABLE users"), nullptr, &trace));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code(), ErrorCode::permission_denied);
  EXPECT_EQ(trace.refusal, "no SQL here");
  EXPECT_TRUE(f.small.requests.empty());
  EXPECT_TRUE(f.big.requests.empty());
}

TEST(Router, PinLocalDropsRemoteTiers) {
  Fixture f(
      [](auto&) {
        return FakeAnswer{"unsure", {-5.0}};
      },
      [](auto&) {
        return FakeAnswer{"big", {-0.1}};
      },
      kCascade);
  ASSERT_TRUE(f.router);
  auto answer = run(f.router->generate("auto", chat("document confidentiel"), nullptr));
  ASSERT_TRUE(answer.ok());
  // The low-confidence local answer is returned: escalating would leave the machine.
  EXPECT_EQ(answer->trace.answered_by, "small");
  EXPECT_TRUE(f.big.requests.empty());
}

TEST(Router, RedactsBeforeRemoteAndRestores) {
  // The remote tier echoes what it received; the local one is never confident.
  Fixture f(
      [](auto&) {
        return FakeAnswer{"unsure", {-5.0}};
      },
      [](const backends::GenerateRequest& r) {
        return FakeAnswer{"echo: " + r.messages[0].content, {-0.1}};
      },
      kCascade);
  ASSERT_TRUE(f.router);
  const std::string prompt = "écrire à jean.dupont@example.fr ou FR76 3000 6000 0112 3456 7890 189";
  auto answer = run(f.router->generate("auto", chat(prompt), nullptr));
  ASSERT_TRUE(answer.ok()) << answer.error().message();
  ASSERT_EQ(f.big.requests.size(), 1u);
  const std::string& sent = f.big.requests[0].messages[0].content;
  EXPECT_EQ(sent.find("jean.dupont@example.fr"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("0112 3456"), std::string::npos) << sent;
  EXPECT_NE(sent.find("[EMAIL_1]"), std::string::npos) << sent;
  // The local tier saw the original text.
  EXPECT_EQ(f.small.requests[0].messages[0].content, prompt);
  EXPECT_EQ(answer->result.choices[0].text, "echo: " + prompt);
  EXPECT_EQ(answer->trace.redactions, 2);
  EXPECT_TRUE(answer->trace.attempts[1].redacted);
  EXPECT_EQ(answer->trace.pii_kinds, (std::vector<std::string>{"EMAIL", "IBAN"}));
}

TEST(Router, StreamedAndNonStreamedAccountingAgree) {
  auto small = [](auto&) { return FakeAnswer{"unsure", {-5.0}}; };
  auto big = [](const backends::GenerateRequest& r) {
    return FakeAnswer{"echo: " + r.messages[0].content, {-0.1}};
  };
  Fixture f(small, big, kCascade);
  ASSERT_TRUE(f.router);
  const std::string prompt = "mail a.b@example.com please";
  auto plain = run(f.router->generate("auto", chat(prompt), nullptr));
  std::string streamed;
  backends::DeltaSink sink = [&](const backends::Delta& d) -> backends::Task<Status> {
    streamed += d.content;
    co_return ok_status();
  };
  auto request = chat(prompt);
  request.stream = true;
  auto live = run(f.router->generate("auto", request, &sink));
  ASSERT_TRUE(plain.ok() && live.ok());
  EXPECT_EQ(streamed, "echo: " + prompt) << "placeholders split across chunks are restored";
  EXPECT_EQ(live->result.choices[0].text, plain->result.choices[0].text);
  EXPECT_EQ(live->trace.prompt_tokens, plain->trace.prompt_tokens);
  EXPECT_EQ(live->trace.completion_tokens, plain->trace.completion_tokens);
  EXPECT_DOUBLE_EQ(live->trace.cost, plain->trace.cost);
  EXPECT_DOUBLE_EQ(live->trace.baseline_cost, plain->trace.baseline_cost);
  EXPECT_EQ(live->trace.attempts.size(), plain->trace.attempts.size());
  // The final trace of a stream (what its last chunk is to carry) has the same accounting per attempt.
  ASSERT_EQ(live->trace.attempts.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(live->trace.attempts[i].model, plain->trace.attempts[i].model);
    EXPECT_DOUBLE_EQ(live->trace.attempts[i].cost, plain->trace.attempts[i].cost);
    EXPECT_EQ(live->trace.attempts[i].verdicts.size(), plain->trace.attempts[i].verdicts.size());
  }
  EXPECT_DOUBLE_EQ(live->trace.attempts[1].energy_j, plain->trace.attempts[1].energy_j);  // remote: per token
  EXPECT_GT(live->trace.attempts[1].energy_j, 0.0);
  EXPECT_EQ(live->trace.plan, plain->trace.plan);
  EXPECT_EQ(live->trace.baseline_model, "big");
}

TEST(Router, AcceptedEarlyTierIsReplayedToAStream) {
  Fixture f(
      [](auto&) {
        return FakeAnswer{"small answer", {-0.1}};
      },
      [](auto&) {
        return FakeAnswer{"big", {-0.1}};
      },
      kCascade);
  ASSERT_TRUE(f.router);
  std::string streamed;
  std::string finish;
  backends::DeltaSink sink = [&](const backends::Delta& d) -> backends::Task<Status> {
    streamed += d.content;
    if (!d.finish_reason.empty()) finish = d.finish_reason;
    co_return ok_status();
  };
  auto answer = run(f.router->generate("auto", chat("hi"), &sink));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(streamed, "small answer");
  EXPECT_EQ(finish, "stop");
}

TEST(Router, TraceJsonRoundTrips) {
  Fixture f(
      [](auto&) {
        return FakeAnswer{"unsure", {-3.0}};
      },
      [](auto&) {
        return FakeAnswer{"sure", {-0.1}};
      },
      kCascade);
  ASSERT_TRUE(f.router);
  auto answer = run(f.router->generate("auto", chat("x@y.fr"), nullptr));
  ASSERT_TRUE(answer.ok());
  auto back = trace_from_json(boost::json::serialize(trace_to_json(answer->trace)));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->request_id, answer->trace.request_id);
  EXPECT_EQ(back->attempts.size(), 2u);
  EXPECT_EQ(back->attempts[0].verdicts[0].reason, answer->trace.attempts[0].verdicts[0].reason);
  EXPECT_DOUBLE_EQ(back->cost, answer->trace.cost);
  EXPECT_EQ(trace_header(*back), trace_header(answer->trace));
}

TEST(RouterConfig, ErrorsNameTheNode) {
  struct Case {
    std::string routes;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"  r: {policies: [{nope: {}}]}\n", "unknown policy 'nope'"},
      {"  r: {policies: [{cascade: [small, huge]}]}\n", "unknown model 'huge'"},
      {"  r: {policies: [{cascade: [small]}], verify: [{mean_logprob: {min: 2}}]}\n", "must be <= 0"},
      {"  r: {policies: [{rules: [{when: {pattern: '('}, then: pin_local}]}]}\n", "invalid RE2 pattern"},
      {"  r: {policies: [{rules: [{when: {pii: [PASSPORT]}, then: redact}]}]}\n", "unknown PII kind"},
      {"  r: {on_error: ignore, policies: [{cascade: [small]}]}\n", "expected refuse or escalate"},
      {"  r: {policies: [{cascade: [small]}], verify: [{regex: {pattern: x, typo: 1}}]}\n", "typo"},
  };
  for (const Case& c : cases) {
    auto root = ConfigNode::parse("models:\n  small: {backend: fake}\nroutes:\n" + c.routes, "t.yaml");
    ASSERT_TRUE(root.ok());
    auto r = Router::create(*root, {});
    ASSERT_FALSE(r.ok()) << c.routes;
    EXPECT_NE(r.error().message().find(c.expected), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("t.yaml:"), std::string::npos) << r.error().message();
  }
}

TEST(Router, JsonSchemaVerifierEscalatesInvalidAnswers) {
  std::string routes = R"(
  auto:
    policies: [{cascade: [small, big]}]
    verify: [{json_schema: {}}, {required_fields: {fields: [name]}}]
)";
  Fixture f(
      [](auto&) {
        return FakeAnswer{"{\"name\": 3}", {}};
      },
      [](auto&) {
        return FakeAnswer{"{\"name\": \"Ada\"}", {}};
      },
      routes);
  ASSERT_TRUE(f.router);
  auto request = chat("give me JSON");
  request.response_format.kind = backends::ResponseFormatKind::json_schema;
  request.response_format.schema = boost::json::parse(
      R"({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})");
  auto answer = run(f.router->generate("auto", request, nullptr));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->trace.answered_by, "big");
  EXPECT_FALSE(answer->trace.attempts[0].verdicts[0].passed);
  EXPECT_NE(answer->trace.attempts[0].verdicts[0].reason.find("expected string"), std::string::npos)
      << answer->trace.attempts[0].verdicts[0].reason;
}

TEST(Router, AgreementAndLengthVerifiers) {
  std::string routes = R"(
  auto:
    policies: [{cascade: [small, big]}]
    verify: [{max_length: {max_chars: 20}}, {agreement: {min_similarity: 0.9}}]
)";
  int calls = 0;
  Fixture f(
      [&](auto&) {
        return FakeAnswer{++calls % 2 ? "paris is the capital" : "lyon maybe", {}};
      },
      [](auto&) {
        return FakeAnswer{"Paris", {}};
      },
      routes);
  ASSERT_TRUE(f.router);
  auto answer = run(f.router->generate("auto", chat("capital of France?"), nullptr));
  ASSERT_TRUE(answer.ok());
  const Trace& t = answer->trace;
  EXPECT_EQ(t.answered_by, "big");
  ASSERT_EQ(t.attempts[0].verdicts.size(), 2u);
  EXPECT_TRUE(t.attempts[0].verdicts[0].passed);
  EXPECT_FALSE(t.attempts[0].verdicts[1].passed);
  // The second sample was paid for by the first attempt.
  EXPECT_EQ(t.attempts[0].prompt_tokens, 20);
  EXPECT_EQ(f.small.requests.size(), 2u);
}

TEST(Router, RegexVerifier) {
  std::string routes = R"(
  auto:
    policies: [{cascade: [small, big]}]
    verify: [{regex: {pattern: '^(oui|non)$'}}]
)";
  Fixture f(
      [](auto&) {
        return FakeAnswer{"peut-être", {}};
      },
      [](auto&) {
        return FakeAnswer{"oui", {}};
      },
      routes);
  ASSERT_TRUE(f.router);
  auto answer = run(f.router->generate("auto", chat("?"), nullptr));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->trace.answered_by, "big");
}

TEST(Router, RulesOnMetadata) {
  std::string routes = R"(
  auto:
    policies:
      - rules:
          - {name: tools, when: {tools: true}, then: {tiers: [big]}}
          - {name: long, when: {min_tokens: 50}, then: {tiers: [big]}}
          - {name: fr, when: {language: fr}, then: {tiers: [small]}}
          - {name: vip, when: {tenant: [acme]}, then: {tiers: [big]}}
      - cascade: [small]
)";
  Fixture f([](auto&) { return FakeAnswer{"s", {}}; }, [](auto&) { return FakeAnswer{"b", {}}; }, routes);
  ASSERT_TRUE(f.router);
  auto answered = [&](backends::GenerateRequest r) {
    Trace t;
    auto plan = f.router->decide("auto", r, t);
    EXPECT_TRUE(plan.ok());
    return plan->tiers.empty() ? std::string() : plan->tiers.front();
  };
  auto with_tools = chat("hi");
  with_tools.tools.push_back({"f", "", boost::json::value()});
  EXPECT_EQ(answered(with_tools), "big");
  EXPECT_EQ(answered(chat(std::string(400, 'a'))), "big");
  EXPECT_EQ(answered(chat("je voudrais savoir pour la facture")), "small");
  auto vip = chat("hello there");
  vip.user = "acme";
  EXPECT_EQ(answered(vip), "big");
  EXPECT_EQ(answered(chat("hello there")), "small");
}

TEST(Router, DecisionHeaderIsKnownBeforeAnyTierRuns) {
  Fixture f(
      [](auto&) {
        return FakeAnswer{"s", {-0.1}};
      },
      [](auto&) {
        return FakeAnswer{"b", {-0.1}};
      },
      kCascade);
  ASSERT_TRUE(f.router);
  auto decided = [&](std::string text) {
    Trace t;
    EXPECT_TRUE(f.router->decide("auto", chat(std::move(text)), t).ok());
    return t;
  };
  Trace plain = decided("hello");
  EXPECT_EQ(plain.plan, (std::vector<std::string>{"small", "big"}));
  EXPECT_TRUE(plain.attempts.empty());
  EXPECT_EQ(trace_decision_header(plain), "route=auto; id=; path=rules:pass,cascade:tiers; plan=small>big");
  EXPECT_NE(trace_decision_header(decided("c'est confidentiel")).find("; plan=small"), std::string::npos);
  Trace refused = decided("DROP TABLE users");
  EXPECT_TRUE(refused.plan.empty());
  EXPECT_EQ(trace_decision_header(refused).substr(trace_decision_header(refused).size() - 9), "; refused");
  // The full header of the answer starts with the decision's route, id and path.
  auto answer = run(f.router->generate("auto", chat("hello"), nullptr));
  ASSERT_TRUE(answer.ok());
  std::string decision = trace_decision_header(answer->trace);
  std::string prefix = decision.substr(0, decision.find("; plan="));
  EXPECT_EQ(trace_header(answer->trace).rfind(prefix + "; tiers=small", 0), 0u)
      << trace_header(answer->trace);
  auto back = trace_from_json(boost::json::serialize(trace_to_json(answer->trace)));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->plan, answer->trace.plan);
}

TEST(RequestView, OneMessageInPlaceSeveralJoinedEveryTurnScanned) {
  auto scanner = rules::PiiScanner::create();
  ASSERT_TRUE(scanner.ok());
  auto one = chat("bonjour, je voudrais payer la facture");
  RequestView view;
  ASSERT_TRUE(build_request_view(one, &*scanner, view).ok());
  EXPECT_EQ(view.text.data(), one.messages[0].content.data()) << "one message is used in place";
  EXPECT_EQ(view.last_user, one.messages[0].content);
  EXPECT_EQ(view.language, "fr");
  EXPECT_TRUE(view.pii.empty());

  backends::GenerateRequest many;
  many.messages.push_back({"system", "You are helpful.", false, "", "", {}});
  many.messages.push_back({"user", "what is the weather", false, "", "", {}});
  many.messages.push_back({"assistant", "write to a.b@example.com", false, "", "", {}});
  many.messages.push_back({"user", "and the IBAN FR7630006000011234567890189?", false, "", "", {}});
  many.messages[2].tool_calls.push_back({"c1", "f", R"({"ip": "192.168.1.20"})"});
  RequestView joined;
  ASSERT_TRUE(build_request_view(many, &*scanner, joined).ok());
  EXPECT_EQ(joined.text, "You are helpful.\nwhat is the weather\nand the IBAN FR7630006000011234567890189?");
  EXPECT_EQ(joined.last_user, many.messages[3].content);
  EXPECT_EQ(joined.language, "en");
  std::vector<std::string> kinds;
  for (const rules::Finding& f : joined.pii) kinds.push_back(f.kind);
  std::sort(kinds.begin(), kinds.end());
  EXPECT_EQ(kinds, (std::vector<std::string>{"EMAIL", "IBAN", "IPV4"})) << "assistant and tool turns too";
  // The complexity features are computed once and shared; they equal the direct computation.
  std::vector<std::pair<uint32_t, float>> direct;
  complexity_features(joined.last_user, 12, direct);
  const auto* first = &joined.complexity_features(12);
  EXPECT_EQ(*first, direct);
  EXPECT_EQ(&joined.complexity_features(12), first);
}

}  // namespace
}  // namespace occam::router
