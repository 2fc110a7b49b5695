// Shared by the workflow tests: a temp folder with occam.yaml, a fake OpenAI-compatible upstream whose
// answers a test scripts, a recording tool server that dedupes by Idempotency-Key, and a tiny classifier.
#pragma once

#include <fstream>
#include <map>
#include <mutex>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "http_fake.h"
#include "ml/ml.h"
#include "test_support.h"
#include "workflow/store/run_store.h"
#include "workflow/workflow.h"

namespace occam::workflow::testing {

using occam::testing::chat_answer;
using occam::testing::FakeRequest;
using occam::testing::HttpFake;
using occam::testing::last_content;

namespace json = boost::json;

// Records tool calls by Idempotency-Key: `requests` counts every HTTP request, `applied` counts the side
// effects (once per key: a repeated key gets the first answer back, as an idempotent API does).
struct ToolRecorder {
  std::mutex mutex;
  std::map<std::string, int> requests;
  std::map<std::string, int> applied;
  std::map<std::string, std::string> answers;
  int fail_next = 0;  // answer 503 to this many requests
  int delay_ms = 0;

  std::pair<int, std::string> handle(const FakeRequest& r) {
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    std::lock_guard lock(mutex);
    std::string key = r.header("idempotency-key");
    if (fail_next > 0) {
      --fail_next;
      return {503, R"({"error":"busy"})"};
    }
    ++requests[key];
    if (auto it = answers.find(key); it != answers.end()) return {200, it->second};
    ++applied[key];
    boost::system::error_code ec;
    json::value args = json::parse(r.body, ec);
    json::object answer{{"path", r.path}, {"key", key}, {"received", ec ? json::value(nullptr) : args}};
    if (!ec && args.is_object() && args.as_object().contains("ticket_id")) {
      answer["status"] = args.as_object().at("ticket_id") == json::value("T-1") ? "open" : "closed";
    }
    return {200, answers[key] = json::serialize(answer)};
  }
};

class WorkflowFixture : public ::testing::Test {
 protected:
  using Script = std::function<std::pair<int, std::string>(const json::object& request, int call)>;

  WorkflowFixture()
      : upstream_([this](const FakeRequest& r) { return answer(r); }),
        tools_([this](const FakeRequest& r) { return recorder_.handle(r); }) {}

  // occam.yaml with models small and big on the fake upstream, route `auto` = cascade [small, big], and the
  // workflow `wf` from `workflow_yaml` (its own file, wf.yaml). {tools} in the YAML is the tool server URL.
  std::filesystem::path write_config(std::string workflow_yaml, const std::string& store = "runs.db") {
    for (size_t at; (at = workflow_yaml.find("{tools}")) != std::string::npos;)
      workflow_yaml.replace(at, 7, tools_.url());
    std::ofstream(dir_.path() / "wf.yaml") << workflow_yaml;
    std::string config = fmt::format(
        "models:\n"
        "  small: {{backend: remote, base_url: '{0}/v1', model: small, price: {{input_per_mtok: 0.1, "
        "output_per_mtok: 0.2}}}}\n"
        "  big: {{backend: remote, base_url: '{0}/v1', model: big, price: {{input_per_mtok: 2.0, "
        "output_per_mtok: 6.0}}}}\n"
        "routes:\n"
        "  auto:\n"
        "    policies:\n"
        "      - cascade: [small, big]\n"
        "workflows:\n"
        "  store: '{1}'\n"
        "  wf: {{file: wf.yaml}}\n",
        upstream_.url(), store);
    std::ofstream(dir_.path() / "occam.yaml") << config;
    return dir_.path() / "occam.yaml";
  }

  std::unique_ptr<Engine> load(const std::string& workflow_yaml, const std::string& store = "runs.db") {
    auto engine = Engine::load(write_config(workflow_yaml, store));
    EXPECT_TRUE(engine.ok()) << engine.error().message();
    return engine.ok() ? std::move(*engine) : nullptr;
  }

  // Trains a small FR/EN ticket classifier (billing / technical) into the temp folder.
  std::string train_classifier() {
    std::string data;
    const char* billing[] = {"my invoice is wrong",
                             "refund my payment please",
                             "I was charged twice",
                             "facture incorrecte",
                             "remboursement de mon paiement",
                             "prélevé deux fois",
                             "billing question about my invoice",
                             "ma facture est trop élevée"};
    const char* technical[] = {"the app crashes on start",   "cannot log in to my account",
                               "error 500 on the page",      "l'application plante",
                               "impossible de me connecter", "erreur sur la page",
                               "the server is down",         "le site ne charge pas"};
    for (int r = 0; r < 4; ++r) {
      for (const char* t : billing)
        data += fmt::format(R"({{"text": "{} {}", "label": "billing"}})"
                            "\n",
                            t, r);
      for (const char* t : technical)
        data += fmt::format(R"({{"text": "{} {}", "label": "technical"}})"
                            "\n",
                            t, r);
    }
    auto dataset = ml::parse_jsonl(data, {});
    EXPECT_TRUE(dataset.ok());
    ml::TrainOptions options;
    options.kind = ml::ModelKind::logreg;
    options.threads = 1;
    auto model = ml::Classifier::train(*dataset, options);
    EXPECT_TRUE(model.ok()) << model.error().message();
    EXPECT_TRUE(model->save(dir_.path() / "tickets.occam-linear").ok());
    return "tickets.occam-linear";
  }

  int upstream_calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::vector<json::object> upstream_requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  ::occam::testing::TempDir dir_;
  ToolRecorder recorder_;
  Script script_;  // default: "Reçu : " + the last message
  std::mutex mutex_;
  int calls_ = 0;
  std::vector<json::object> requests_;
  HttpFake upstream_;
  HttpFake tools_;

 private:
  std::pair<int, std::string> answer(const FakeRequest& r) {
    boost::system::error_code ec;
    json::value body = json::parse(r.body, ec);
    if (ec || !body.is_object()) return {400, R"({"error":{"message":"not JSON"}})"};
    int call;
    {
      std::lock_guard lock(mutex_);
      call = calls_++;
      requests_.push_back(body.as_object());
    }
    if (script_) return script_(body.as_object(), call);
    return {200, chat_answer("Reçu : " + last_content(body.as_object()))};
  }
};

}  // namespace occam::workflow::testing
