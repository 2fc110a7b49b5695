// The `classic` backend: a classifier trained here (ml API) on a few dozen French and English tickets,
// written to a temp folder and served: labels, probabilities, top_k, out-of-scope, batch order, refusals
// of generation, and load errors (missing key, missing file, corrupted file).
#include <fstream>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "backends/backend.h"
#include "ml/ml.h"
#include "test_support.h"

namespace occam::backends {
namespace {

namespace asio = boost::asio;

// Ticket category (billing, delivery) and out-of-scope ("oos") rows, French and English.
const std::vector<std::pair<std::string, std::string>> kRows = {
    {"I was charged twice for my order", "billing"},
    {"please refund the payment on my card", "billing"},
    {"my invoice shows the wrong amount", "billing"},
    {"why was my credit card billed again", "billing"},
    {"I need a copy of my invoice for the refund", "billing"},
    {"the payment failed but money left my account", "billing"},
    {"j'ai été débité deux fois pour ma commande", "billing"},
    {"merci de rembourser le paiement sur ma carte", "billing"},
    {"ma facture indique un montant erroné", "billing"},
    {"pourquoi ma carte bancaire a encore été débitée", "billing"},
    {"je voudrais un remboursement de ma facture", "billing"},
    {"le paiement a échoué mais mon compte est débité", "billing"},
    {"my parcel has not arrived yet", "delivery"},
    {"where is my package, the tracking has not moved", "delivery"},
    {"the delivery is late by a week", "delivery"},
    {"the courier left my parcel at the wrong address", "delivery"},
    {"when will my order be shipped", "delivery"},
    {"the package arrived damaged", "delivery"},
    {"mon colis n'est toujours pas arrivé", "delivery"},
    {"où est mon paquet, le suivi ne bouge plus", "delivery"},
    {"la livraison a une semaine de retard", "delivery"},
    {"le livreur a déposé mon colis à la mauvaise adresse", "delivery"},
    {"quand ma commande sera-t-elle expédiée", "delivery"},
    {"le paquet est arrivé abîmé", "delivery"},
    {"what is the weather tomorrow in Paris", "oos"},
    {"tell me a joke about cats", "oos"},
    {"who won the football match yesterday", "oos"},
    {"recommend a good pizza recipe", "oos"},
    {"how tall is the eiffel tower", "oos"},
    {"play some music please", "oos"},
    {"quel temps fera-t-il demain à Lyon", "oos"},
    {"raconte-moi une blague sur les chats", "oos"},
    {"qui a gagné le match de foot hier", "oos"},
    {"donne-moi une bonne recette de crêpes", "oos"},
    {"quelle est la hauteur de la tour eiffel", "oos"},
    {"mets de la musique s'il te plaît", "oos"},
};

class ClassicBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ml::Dataset data;
    for (const auto& [text, label] : kRows) data.examples.push_back(ml::Example{text, {label}, "", {}});
    ml::TrainOptions options;
    options.kind = ml::ModelKind::logreg;
    options.oos_label = "oos";
    options.threads = 1;
    auto model = ml::Classifier::train(data, options);
    ASSERT_TRUE(model.ok()) << model.error().message();
    dir_ = new occam::testing::TempDir();
    ASSERT_TRUE(model->save(path()).ok());
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::filesystem::path path() { return dir_->path() / "tickets.occam-linear"; }

  static Result<std::unique_ptr<Backend>> make(const std::string& yaml) {
    OCCAM_ASSIGN_OR_RETURN(ConfigNode node, ConfigNode::parse(yaml, "test.yaml"));
    return make_backend("classic", BackendContext{"tickets", node});
  }
  static std::unique_ptr<Backend> make_ok() {
    auto backend = make(fmt::format("backend: classic\npath: \"{}\"\n", path().string()));
    EXPECT_TRUE(backend.ok()) << backend.error().message();
    return backend.ok() ? std::move(*backend) : nullptr;
  }

  static occam::testing::TempDir* dir_;
};

occam::testing::TempDir* ClassicBackendTest::dir_ = nullptr;

// Coroutines with pointer parameters (copied into the frame), not capturing lambdas.
Task<void> classify_into(Backend* backend, const ClassifyRequest* request,
                         std::optional<Result<ClassifyResult>>* out) {
  out->emplace(co_await backend->classify(*request));
}
Task<void> generate_into(Backend* backend, const GenerateRequest* request,
                         std::optional<Result<GenerateResult>>* out) {
  out->emplace(co_await backend->generate(*request, nullptr));
}

Task<void> embed_into(Backend* backend, const EmbeddingRequest* request,
                      std::optional<Result<EmbeddingResult>>* out) {
  out->emplace(co_await backend->embed(*request));
}

Result<ClassifyResult> classify(Backend& backend, std::vector<std::string> texts, int top_k = 3) {
  ClassifyRequest request{"tickets", std::move(texts), top_k};
  asio::io_context io;
  std::optional<Result<ClassifyResult>> out;
  asio::co_spawn(io, classify_into(&backend, &request, &out), asio::detached);
  io.run();
  if (!out) return make_error(ErrorCode::internal, "the request did not finish");
  return std::move(*out);
}

TEST_F(ClassicBackendTest, ClassifiesABatchInOrderWithTopKAndProbabilities) {
  auto backend = make_ok();
  ASSERT_NE(backend, nullptr);
  EXPECT_TRUE(backend->capabilities().classify);
  EXPECT_FALSE(backend->capabilities().chat);
  EXPECT_FALSE(backend->capabilities().completion);
  auto result = classify(
      *backend, {"my parcel has not arrived yet", "merci de rembourser le paiement sur ma carte"}, 2);
  ASSERT_TRUE(result.ok()) << result.error().message();
  ASSERT_EQ(result->data.size(), 2u);
  EXPECT_EQ(result->data[0].label, "delivery");
  EXPECT_EQ(result->data[1].label, "billing");
  for (const Classification& c : result->data) {
    EXPECT_FALSE(c.out_of_scope);
    ASSERT_EQ(c.labels.size(), 2u);
    EXPECT_EQ(c.labels[0].label, c.label);
    EXPECT_DOUBLE_EQ(c.labels[0].probability, c.confidence);
    EXPECT_GE(c.labels[0].probability, c.labels[1].probability);
    EXPECT_GT(c.confidence, 0.0);
    EXPECT_LE(c.confidence, 1.0);
  }
  EXPECT_EQ(result->characters,
            static_cast<int64_t>(std::string("my parcel has not arrived yet").size() +
                                 std::string("merci de rembourser le paiement sur ma carte").size()));
}

TEST_F(ClassicBackendTest, FlagsOutOfScopeAndCapsTopKAtTheLabelCount) {
  auto backend = make_ok();
  ASSERT_NE(backend, nullptr);
  auto result = classify(*backend, {"raconte-moi une blague sur les chats"}, 50);
  ASSERT_TRUE(result.ok()) << result.error().message();
  ASSERT_EQ(result->data.size(), 1u);
  EXPECT_TRUE(result->data[0].out_of_scope);
  EXPECT_EQ(result->data[0].labels.size(), 3u);  // billing, delivery, oos
}

TEST_F(ClassicBackendTest, RefusesGenerationAndEmbeddings) {
  auto backend = make_ok();
  ASSERT_NE(backend, nullptr);
  GenerateRequest request;
  request.model = "tickets";
  Message message;
  message.role = "user";
  message.content = "hello";
  request.messages.push_back(message);
  asio::io_context io;
  std::optional<Result<GenerateResult>> out;
  asio::co_spawn(io, generate_into(backend.get(), &request, &out), asio::detached);
  io.run();
  ASSERT_TRUE(out.has_value());
  ASSERT_FALSE(out->ok());
  EXPECT_EQ(out->error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(out->error().message().find("/v1/classify"), std::string::npos) << out->error().message();

  EmbeddingRequest embedding{"tickets", {"hello"}, std::nullopt, ""};
  std::optional<Result<EmbeddingResult>> embedded;
  asio::co_spawn(io, embed_into(backend.get(), &embedding, &embedded), asio::detached);
  io.restart();
  io.run();
  ASSERT_TRUE(embedded.has_value());
  ASSERT_FALSE(embedded->ok());
  EXPECT_EQ(embedded->error().code(), ErrorCode::invalid_argument);
}

TEST_F(ClassicBackendTest, LoadErrorsNameTheProblem) {
  auto missing_key = make("backend: classic\n");
  ASSERT_FALSE(missing_key.ok());
  EXPECT_NE(missing_key.error().message().find("path"), std::string::npos) << missing_key.error().message();

  auto missing_file =
      make(fmt::format("backend: classic\npath: \"{}\"\n", (dir_->path() / "nope.bin").string()));
  ASSERT_FALSE(missing_file.ok());
  EXPECT_NE(missing_file.error().message().find("test.yaml"), std::string::npos)
      << missing_file.error().message();

  std::string bytes = occam::testing::read_file(path());
  std::filesystem::path cut = dir_->path() / "cut.occam-linear";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  auto truncated = make(fmt::format("backend: classic\npath: \"{}\"\n", cut.string()));
  EXPECT_FALSE(truncated.ok());
}

}  // namespace
}  // namespace occam::backends
