// Embeddings through the engine backend on the tiny bert model: the vectors are the engine's own pooled
// embeddings of the tokenized inputs, in input order, and the backend's scheduler gives llama.cpp's
// reference embeddings of reference/logits (bert-F32 L1, L8, L33).
#include <cmath>
#include <cstring>
#include <future>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "backends/backend.h"
#include "backends/engine_scheduler.h"
#include "engine/engine.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace occam::backends {
namespace {

namespace asio = boost::asio;

constexpr const char* kBert = "models/tiny/bert-F32.gguf";

std::unique_ptr<Backend> make_bert() {
  const std::string model = occam::testing::shared_file(kBert).string();
  auto node = ConfigNode::parse(fmt::format("path: \"{}\"\nthreads: 1\ncontext: 256\n", model));
  EXPECT_TRUE(node.ok());
  auto backend = make_backend("engine", BackendContext{"bert", *node});
  EXPECT_TRUE(backend.ok()) << (backend.ok() ? "" : backend.error().message());
  return backend.ok() ? std::move(*backend) : nullptr;
}

Task<void> embed_into(Backend* backend, const EmbeddingRequest* request,
                      std::optional<Result<EmbeddingResult>>* out) {
  Result<EmbeddingResult> r = co_await backend->embed(*request);
  out->emplace(std::move(r));
}

Result<EmbeddingResult> embed(Backend& backend, std::vector<std::string> input) {
  EmbeddingRequest request;
  request.model = "bert";
  request.input = std::move(input);
  asio::io_context io;
  std::optional<Result<EmbeddingResult>> out;
  asio::co_spawn(io, embed_into(&backend, &request, &out), asio::detached);
  io.run();
  if (!out) return make_error(ErrorCode::internal, "the request did not finish");
  return std::move(*out);
}

double max_rel_diff(std::span<const float> got, std::span<const float> want) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(got[i]) - want[i]));
    scale = std::max(scale, std::abs(static_cast<double>(want[i])));
  }
  return diff / scale;
}

struct Engine {
  std::shared_ptr<const engine::Model> model;
  std::unique_ptr<engine::Context> ctx;
  std::shared_ptr<const tokenizer::Tokenizer> tok;
};

Engine bert_engine() {
  Engine e;
  auto model = engine::Model::load(occam::testing::shared_file(kBert));
  EXPECT_TRUE(model.ok());
  e.model = *model;
  auto ctx = engine::Context::create(e.model, {.n_ctx = 256, .threads = 1});
  EXPECT_TRUE(ctx.ok());
  e.ctx = std::move(*ctx);
  auto tok = tokenizer::Tokenizer::from_gguf(e.model->file());
  EXPECT_TRUE(tok.ok());
  e.tok = std::make_shared<const tokenizer::Tokenizer>(std::move(*tok));
  return e;
}

TEST(EngineEmbeddings, VectorsAreTheEnginesPooledEmbeddings) {
  auto backend = make_bert();
  ASSERT_NE(backend, nullptr);
  EXPECT_TRUE(backend->capabilities().embeddings);
  EXPECT_FALSE(backend->capabilities().chat);
  Engine e = bert_engine();
  const std::vector<std::string> input = {"hello world", "a b c d e f", "hello world", "x"};
  auto out = embed(*backend, input);
  ASSERT_TRUE(out.ok()) << out.error().message();
  ASSERT_EQ(out->vectors.size(), input.size());
  int64_t tokens = 0;
  for (size_t i = 0; i < input.size(); ++i) {
    const std::vector<int32_t> ids = e.tok->encode(input[i], {.add_special = true});
    tokens += static_cast<int64_t>(ids.size());
    auto want = e.ctx->embed(ids);
    ASSERT_TRUE(want.ok());
    ASSERT_EQ(out->vectors[i].size(), e.model->info().n_embd);
    EXPECT_LE(max_rel_diff(out->vectors[i], *want), 1e-6) << input[i];
  }
  EXPECT_EQ(out->vectors[0], out->vectors[2]);  // the same text twice, whatever came between
  EXPECT_NE(out->vectors[0], out->vectors[1]);
  EXPECT_EQ(out->usage.prompt_tokens, tokens);
}

// The reference's token ids do not all come from a text (random vocabulary: the L8 ids decode to text that
// tokenizes differently), so this goes through the backend's compute path, the scheduler, with the ids.
TEST(EngineEmbeddings, MatchLlamaCppReference) {
  Engine e = bert_engine();
  auto scheduler = EngineScheduler::create(e.model, e.tok, {.n_ctx = 256, .threads = 1}, {});
  ASSERT_TRUE(scheduler.ok()) << scheduler.error().message();
  const auto manifest = boost::json::parse(
      occam::testing::read_file(occam::testing::shared_file("reference/logits/manifest.json")));
  int compared = 0;
  for (const auto& c : manifest.at("cases").as_array()) {
    if (c.at("model").as_string() != kBert || c.at("kind").as_string() != "embedding") continue;
    std::vector<int32_t> ids;
    for (const auto& id : c.at("token_ids").as_array()) ids.push_back(static_cast<int32_t>(id.as_int64()));
    std::promise<Result<EmbeddingResult>> done;
    auto future = done.get_future();
    ASSERT_TRUE(
        (*scheduler)
            ->submit_embedding({ids}, [&done](Result<EmbeddingResult> r) { done.set_value(std::move(r)); })
            .ok());
    auto out = future.get();
    ASSERT_TRUE(out.ok()) << out.error().message();
    const std::string file = std::string(c.at("file").as_string());
    std::vector<float> ref;
    {
      const std::string bytes = occam::testing::read_file(occam::testing::shared_file(file));
      ref.resize(bytes.size() / sizeof(float));
      std::memcpy(ref.data(), bytes.data(), ref.size() * sizeof(float));
    }
    ASSERT_EQ(out->vectors[0].size(), ref.size()) << file;
    EXPECT_LE(max_rel_diff(out->vectors[0], ref), 1e-4) << file;  // the F32 tolerance of the logits tests
    ++compared;
  }
  EXPECT_EQ(compared, 3);
}

}  // namespace
}  // namespace occam::backends
