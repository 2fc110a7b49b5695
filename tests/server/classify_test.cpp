// POST /v1/classify end to end: a classifier trained here (ml API) on a few dozen French and English
// tickets, written to a temp folder and served by occam's server in-process with API keys; a plain HTTP
// client checks the answer's shape, batch input, top_k, and the errors (OpenAI shape, status codes).
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/config.h"
#include "fake_upstream.h"
#include "ml/ml.h"
#include "server/server.h"
#include "test_client.h"
#include "test_support.h"

namespace occam::testing {
namespace {

namespace json = boost::json;

const std::vector<std::pair<std::string, std::string>> kRows = {
    {"I was charged twice for my order", "billing"},
    {"please refund the payment on my card", "billing"},
    {"my invoice shows the wrong amount", "billing"},
    {"why was my credit card billed again", "billing"},
    {"j'ai été débité deux fois pour ma commande", "billing"},
    {"merci de rembourser le paiement sur ma carte", "billing"},
    {"ma facture indique un montant erroné", "billing"},
    {"pourquoi ma carte bancaire a encore été débitée", "billing"},
    {"my parcel has not arrived yet", "delivery"},
    {"where is my package, the tracking has not moved", "delivery"},
    {"the delivery is late by a week", "delivery"},
    {"the courier left my parcel at the wrong address", "delivery"},
    {"mon colis n'est toujours pas arrivé", "delivery"},
    {"où est mon paquet, le suivi ne bouge plus", "delivery"},
    {"la livraison a une semaine de retard", "delivery"},
    {"le livreur a déposé mon colis à la mauvaise adresse", "delivery"},
    {"what is the weather tomorrow in Paris", "oos"},
    {"tell me a joke about cats", "oos"},
    {"who won the football match yesterday", "oos"},
    {"recommend a good pizza recipe", "oos"},
    {"quel temps fera-t-il demain à Lyon", "oos"},
    {"raconte-moi une blague sur les chats", "oos"},
    {"qui a gagné le match de foot hier", "oos"},
    {"donne-moi une bonne recette de crêpes", "oos"},
};

const std::map<std::string, std::string> kAuth = {{"Authorization", "Bearer sk-all"}};

class ClassifyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ml::Dataset data;
    for (const auto& [text, label] : kRows) data.examples.push_back(ml::Example{text, {label}, "", {}});
    ml::TrainOptions options;
    options.kind = ml::ModelKind::logreg;
    options.oos_label = "oos";
    options.threads = 1;
    auto model = ml::Classifier::train(data, options);
    ASSERT_TRUE(model.ok()) << model.error().message();
    std::filesystem::path path = dir_->path() / "tickets.occam-linear";
    ASSERT_TRUE(model->save(path).ok());

    std::string yaml = fmt::format(
        "server: {{host: 127.0.0.1, threads: 1}}\n"
        "models:\n"
        "  tickets: {{backend: classic, path: \"{}\"}}\n"
        "  chat: {{backend: remote, base_url: 'http://127.0.0.1:{}/v1', model: chat}}\n"
        "api_keys:\n"
        "  - {{name: all, key: sk-all}}\n"
        "  - {{name: chat-only, key: sk-chat, models: [chat]}}\n",
        path.string(), refused_port());
    auto root = ConfigNode::parse(yaml, "test.yaml");
    ASSERT_TRUE(root.ok()) << root.error().message();
    auto config = server::read_gateway_config(*root);
    ASSERT_TRUE(config.ok()) << config.error().message();
    config->port = 0;
    auto created = server::Server::create(*config);
    ASSERT_TRUE(created.ok()) << created.error().message();
    ASSERT_TRUE((*created)->start().ok());
    server_ = created->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static ClientResponse classify(const std::string& body,
                                 const std::map<std::string, std::string>& headers = kAuth) {
    return http_post(server_->port(), "/v1/classify", body, headers);
  }

  static inline TempDir* dir_ = nullptr;
  static inline server::Server* server_ = nullptr;
};

TEST_F(ClassifyTest, OneTextHasTheDocumentedShape) {
  ClientResponse r = classify(R"({"model":"tickets","input":"mon colis n'est toujours pas arrivé"})");
  ASSERT_EQ(r.status, 200) << r.body << r.error;
  EXPECT_EQ(r.headers["x-occam-model"], "tickets");
  EXPECT_TRUE(r.headers.count("x-occam-overhead-ms"));
  json::object o = json_body(r);
  EXPECT_EQ(o["object"].as_string(), "list");
  EXPECT_EQ(o["model"].as_string(), "tickets");
  ASSERT_EQ(o["data"].as_array().size(), 1u);
  const json::object& d = o["data"].as_array()[0].as_object();
  EXPECT_EQ(d.at("index").as_int64(), 0);
  EXPECT_EQ(d.at("label").as_string(), "delivery");
  EXPECT_FALSE(d.at("out_of_scope").as_bool());
  const json::array& labels = d.at("labels").as_array();
  ASSERT_EQ(labels.size(), 3u);  // default top_k 3 (= the label count here)
  EXPECT_EQ(labels[0].at("label").as_string(), "delivery");
  EXPECT_DOUBLE_EQ(labels[0].at("probability").as_double(), d.at("confidence").as_double());
  double sum = 0;
  for (const auto& l : labels) sum += l.at("probability").as_double();
  EXPECT_NEAR(sum, 1.0, 1e-3);
  EXPECT_EQ(o["usage"].at("texts").as_int64(), 1);
  EXPECT_EQ(o["usage"].at("characters").as_int64(),
            static_cast<int64_t>(std::string("mon colis n'est toujours pas arrivé").size()));
}

TEST_F(ClassifyTest, BatchInputKeepsOrderAndTopK) {
  ClientResponse r = classify(
      R"({"model":"tickets","top_k":1,"input":["please refund the payment on my card","the delivery is late by a week","tell me a joke about cats"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  json::array data = json_body(r)["data"].as_array();
  ASSERT_EQ(data.size(), 3u);
  const char* expected[] = {"billing", "delivery", "oos"};
  for (std::size_t i = 0; i < data.size(); ++i) {
    EXPECT_EQ(data[i].at("index").as_int64(), static_cast<int64_t>(i));
    EXPECT_EQ(data[i].at("label").as_string(), expected[i]);
    EXPECT_EQ(data[i].at("labels").as_array().size(), 1u);
  }
  EXPECT_FALSE(data[0].at("out_of_scope").as_bool());
  EXPECT_TRUE(data[2].at("out_of_scope").as_bool());
}

TEST_F(ClassifyTest, ErrorsHaveTheOpenAIShape) {
  expect_openai_error(classify(R"({"model":"nope","input":"x"})"), 404, "nope");
  expect_openai_error(classify(R"({"model":"chat","input":"x"})"), 400, "not a classifier");
  expect_openai_error(classify(R"({"model":"tickets"})"), 400, "input");
  expect_openai_error(classify(R"({"model":"tickets","input":[]})"), 400, "input");
  expect_openai_error(classify(R"({"model":"tickets","input":[1]})"), 400, "input[0]");
  expect_openai_error(classify(R"({"model":"tickets","input":"x","top_k":0})"), 400, "top_k");
  expect_openai_error(classify(R"({"input":"x"})"), 400, "model");
  expect_openai_error(classify("not json"), 400, "malformed JSON");
  ClientResponse bad_param = classify(R"({"model":"tickets","input":[1]})");
  EXPECT_EQ(json_body(bad_param)["error"].at("param").as_string(), "input[0]");
  ClientResponse get = http_get(server_->port(), "/v1/classify", kAuth);
  EXPECT_EQ(get.status, 405);
}

TEST_F(ClassifyTest, GenerationOnAClassifierIsRefused) {
  ClientResponse r = http_post(server_->port(), "/v1/chat/completions",
                               R"({"model":"tickets","messages":[{"role":"user","content":"hi"}]})", kAuth);
  expect_openai_error(r, 400, "is a classifier: use POST /v1/classify");
}

TEST_F(ClassifyTest, AuthAndMetricsLikeOtherEndpoints) {
  expect_openai_error(classify(R"({"model":"tickets","input":"x"})", {}), 401, "API key");
  // A key limited to other models does not see the classifier.
  expect_openai_error(classify(R"({"model":"tickets","input":"x"})", {{"Authorization", "Bearer sk-chat"}}),
                      404, "tickets");
  ASSERT_EQ(classify(R"({"model":"tickets","input":"x"})").status, 200);
  std::string metrics = http_get(server_->port(), "/metrics").body;
  EXPECT_NE(metrics.find(R"(occam_requests_total{endpoint="classify",model="tickets",status="200"})"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(endpoint="classify",model="",status="401")"), std::string::npos);
}

}  // namespace
}  // namespace occam::testing
