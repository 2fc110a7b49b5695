// Acceptance: 1,000 prompts seeded with e-mails, IBANs, phone numbers and NIRs go through routes that
// redact or pin; a recording OpenAI-compatible upstream (real HTTP through the remote backend) must never
// see a seeded value, and redacted answers come back with the values restored.
#include <gtest/gtest.h>

#include "../rules/generators.h"
#include "fake_backend.h"
#include "recording_upstream.h"
#include "router/router.h"

namespace occam::router {
namespace {

using namespace occam::rules::testgen;

TEST(PiiUpstream, NoSeededValueReachesTheRemoteUpstream) {
  testing::RecordingUpstream upstream;
  std::string yaml = fmt::format(R"(
models:
  local: {{backend: fake}}
  remote:
    backend: remote
    base_url: http://127.0.0.1:{}/v1
    retry: {{max_attempts: 1}}
    price: {{input_per_mtok: 2.0, output_per_mtok: 6.0}}
routes:
  redact:
    baseline: remote
    tiers: {{local: {{local: true}}}}
    policies:
      - rules: [{{name: pii, when: {{pii: [EMAIL, IBAN, PHONE, NIR]}}, then: redact}}]
      - cascade: [local, remote]
    verify: [{{regex: {{pattern: '^never$'}}}}]      # the local tier never passes: everything escalates
  pin:
    policies:
      - rules: [{{name: pii, when: {{pii: any}}, then: pin_local}}]
      - cascade: [local, remote]
)",
                                 upstream.port());
  auto root = ConfigNode::parse(yaml, "pii.yaml");
  ASSERT_TRUE(root.ok()) << root.error().message();
  testing::FakeBackend local([](const backends::GenerateRequest&) {
    return testing::FakeAnswer{"local answer", {}};
  });
  auto remote = backends::make_backend("remote", {"remote", root->child("models").child("remote")});
  ASSERT_TRUE(remote.ok()) << remote.error().message();
  auto router = Router::create(*root, {{"local", &local}, {"remote", remote->get()}});
  ASSERT_TRUE(router.ok()) << router.error().message();

  Rng rng(2024);
  const char* templates[] = {"Bonjour, {} merci de me rappeler.", "Please update my record: {}.",
                             "Mon dossier ({}) est bloqué depuis lundi", "{}"};
  struct Sent {
    std::string value;
    std::string prompt;
    bool pinned;
  };
  std::vector<Sent> sent;
  for (int i = 0; i < 1000; ++i) {
    std::string value;
    switch (i % 4) {
      case 0:
        value = random_email(rng);
        break;
      case 1:
        value = uniform(rng, 0, 1) ? random_iban(rng) : group(random_iban(rng), 4, " ");
        break;
      case 2:
        value = random_french_phone(rng);
        break;
      default:
        value = uniform(rng, 0, 1) ? random_nir(rng) : format_nir(random_nir(rng), " ");
        break;
    }
    std::string prompt = fmt::format(fmt::runtime(templates[i % 4 == 3 ? uniform(rng, 0, 2) : i % 3]), value);
    sent.push_back({value, prompt, i % 5 == 0});
  }

  auto run_all = [&]() -> backends::Task<std::vector<std::string>> {
    std::vector<std::string> failures;
    for (const Sent& s : sent) {
      auto answer =
          co_await (*router)->generate(s.pinned ? "pin" : "redact", testing::chat(s.prompt), nullptr);
      if (!answer.ok()) {
        failures.push_back(s.prompt + ": " + answer.error().message());
        continue;
      }
      const std::string expected = s.pinned ? "local answer" : "Reçu : " + s.prompt;
      if (answer->result.choices[0].text != expected) {
        failures.push_back(s.prompt + " -> " + answer->result.choices[0].text);
      }
      if (!s.pinned && answer->trace.redactions < 1) failures.push_back(s.prompt + ": nothing redacted");
    }
    co_return failures;
  };
  std::vector<std::string> failures = testing::run(run_all());
  for (size_t i = 0; i < std::min<size_t>(failures.size(), 10); ++i) ADD_FAILURE() << failures[i];
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures";

  std::vector<std::string> bodies = upstream.bodies();
  size_t redacted = 0;
  for (const Sent& s : sent) redacted += s.pinned ? 0 : 1;
  EXPECT_EQ(bodies.size(), redacted) << "pinned prompts never reach the remote upstream";
  size_t leaks = 0;
  for (const std::string& body : bodies) {
    for (const Sent& s : sent) {
      // Compare without separators too: a value re-spaced by a serializer is still a leak.
      if (body.find(s.value) != std::string::npos) {
        if (++leaks <= 5) ADD_FAILURE() << "leaked '" << s.value << "' in " << body;
      }
    }
  }
  EXPECT_EQ(leaks, 0u);
}

}  // namespace
}  // namespace occam::router
