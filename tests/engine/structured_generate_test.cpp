// Structured output end to end: random JSON schemas (fixed seed) answered by the tiny random-weight
// models (whose unconstrained output is garbage) with random sampling seeds; every answer must parse
// and validate. A model-free random walk of the automaton covers more schemas.
#include <chrono>
#include <cstdio>
#include <random>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/structured_output.h"
#include "test_support.h"

namespace occam::engine::structured {
namespace {

namespace json = boost::json;

// Random schemas: objects (required subsets, additionalProperties variants, free maps), arrays,
// strings (lengths, enums), integers and numbers (bounds, exclusive), booleans, null, enum / const of
// mixed values, anyOf, nullable type lists, $ref to $defs.
class SchemaGenerator {
 public:
  explicit SchemaGenerator(uint64_t seed) : rng_(seed) {}

  json::value schema() {
    defs_ = json::object();
    json::value root = coin(80) ? object(0) : value(0);  // mostly objects, as extraction asks
    if (!defs_.empty() && root.is_object()) root.get_object()["$defs"] = defs_;
    return root;
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  bool coin(int percent) { return pick(100) < percent; }

  json::value scalar_value() {
    switch (pick(5)) {
      case 0:
        return json::value(kNames[pick(kNames.size())]);
      case 1:
        return json::value(pick(200) - 100);
      case 2:
        return json::value(pick(1000) / 8.0);
      case 3:
        return json::value(coin(50));
      default:
        return json::value(nullptr);
    }
  }

  json::value value(int depth) {
    const int kinds = depth < 3 ? 12 : 7;
    switch (pick(kinds)) {
      case 0: {
        json::object s{{"type", "string"}};
        if (coin(60)) s["maxLength"] = pick(10);
        if (coin(30))
          s["minLength"] =
              std::min<int64_t>(pick(4), s.contains("maxLength") ? s["maxLength"].as_int64() : 4);
        return s;
      }
      case 1: {
        json::object s{{"type", "integer"}};
        const int lo = pick(200) - 100;
        if (coin(50)) s["minimum"] = lo;
        if (coin(50)) s[coin(30) ? "exclusiveMaximum" : "maximum"] = lo + 2 + pick(300);
        return s;
      }
      case 2: {
        json::object s{{"type", "number"}};
        const double lo = (pick(400) - 200) / 4.0;
        if (coin(50)) s[coin(30) ? "exclusiveMinimum" : "minimum"] = lo;
        if (coin(50)) s["maximum"] = lo + 0.5 + pick(100) / 3.0;
        return s;
      }
      case 3:
        return json::object{{"type", "boolean"}};
      case 4:
        return json::object{{"type", "null"}};
      case 5: {
        json::array values;
        for (int i = 0, n = 1 + pick(4); i < n; ++i) values.push_back(scalar_value());
        if (coin(20)) values.push_back(json::parse(R"({"k":[1,"x"]})"));
        return json::object{{"enum", values}};
      }
      case 6:
        return json::object{{"const", scalar_value()}};
      case 7:
      case 8:
        return object(depth);
      case 9: {
        json::object s{{"type", "array"}, {"items", value(depth + 1)}};
        const int min = pick(3);
        if (coin(50)) s["minItems"] = min;
        if (coin(60)) s["maxItems"] = min + pick(3);
        return s;
      }
      case 10: {
        // anyOf of alternatives of different kinds, or a nullable type list.
        if (coin(50)) return json::object{{"type", json::array{"string", "null"}}, {"maxLength", pick(8)}};
        return json::object{{"anyOf", json::array{value(depth + 1), value(depth + 1)}}};
      }
      default: {
        json::value target = value(depth + 1);
        const std::string name = fmt::format("d{}", defs_.size());
        defs_[name] = target;
        return json::object{{"$ref", "#/$defs/" + name}};
      }
    }
  }

  json::value object(int depth) {
    if (coin(10)) return json::object{{"type", "object"}};  // free keys
    if (coin(10)) return json::object{{"type", "object"}, {"additionalProperties", value(depth + 1)}};
    json::object props;
    json::array required;
    for (int i = 0, n = 1 + pick(4); i < n; ++i) {
      const std::string key = kNames[pick(kNames.size())];
      if (props.contains(key)) continue;
      props[key] = value(depth + 1);
      if (coin(50)) required.push_back(json::string(key));
    }
    json::object s{{"type", "object"}, {"properties", props}, {"required", required}};
    if (coin(50)) s["additionalProperties"] = coin(50);
    return s;
  }

  static constexpr std::array<const char*, 8> kNames = {"name",    "age", "a b",   "caf\xC3\xA9",
                                                        "quo\"te", "id",  "items", "n"};
  std::mt19937_64 rng_;
  json::object defs_;
};

Limits test_limits() {
  Limits limits;
  limits.max_string_chars = 12;
  limits.max_items = 3;
  limits.max_free_properties = 3;
  limits.max_any_depth = 2;
  return limits;
}

TEST(StructuredGenerate, RandomWalksOfRandomSchemasParseAndValidate) {
  SchemaGenerator gen(20261125);
  std::mt19937_64 rng(7);
  // Bytes a walk tries first (JSON syntax, digits, letters, UTF-8), then any byte.
  const std::string alphabet = std::string("{}[],:\"\\-.0123456789truefalsnxu ") + "\xC3\xA9\xE2\x82\xAC";
  int complete = 0;
  for (int i = 0; i < 1000; ++i) {
    const json::value schema = gen.schema();
    auto g = compile_schema(schema, test_limits());
    ASSERT_TRUE(g.ok()) << json::serialize(schema) << ": " << g.error().message();
    Matcher m(*g);
    std::string text;
    for (int steps = 0; steps < 4000; ++steps) {
      if (m.complete() && (!m.can_continue() || rng() % 4 == 0)) break;
      std::vector<uint8_t> options;
      for (char c : alphabet) {
        Matcher t = m;
        if (t.advance(std::string_view(&c, 1))) options.push_back(static_cast<uint8_t>(c));
      }
      if (options.empty()) {
        for (int c = 0; c < 256; ++c) {
          Matcher t = m;
          const char ch = static_cast<char>(c);
          if (t.advance(std::string_view(&ch, 1))) options.push_back(static_cast<uint8_t>(c));
        }
      }
      ASSERT_FALSE(options.empty()) << "dead end after " << text << " for " << json::serialize(schema);
      const char c = static_cast<char>(options[rng() % options.size()]);
      ASSERT_TRUE(m.advance(std::string_view(&c, 1)));
      text += c;
    }
    ASSERT_TRUE(m.complete()) << text << " for " << json::serialize(schema);
    ASSERT_LE(text.size(), max_bytes(**g)) << text;
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);
    ASSERT_FALSE(ec) << text << " for " << json::serialize(schema);
    const Status s = validate(v, schema);
    ASSERT_TRUE(s.ok()) << text << " for " << json::serialize(schema) << ": " << s.error().message();
    ++complete;
  }
  EXPECT_EQ(complete, 1000);
}

TEST(StructuredGenerate, ThousandAnswersFromTinyRandomModels) {
  const char* models[] = {"models/tiny/llama-Q8_0.gguf", "models/tiny/qwen2-Q4_K_M.gguf",
                          "models/tiny/phi3-Q4_K_M.gguf", "models/tiny/gemma2-F32.gguf"};
  struct Loaded {
    std::unique_ptr<Context> ctx;
    std::shared_ptr<const TokenVocabulary> vocab;
  };
  std::vector<Loaded> loaded;
  for (const char* path : models) {
    auto model = Model::load(occam::testing::shared_file(path));
    ASSERT_TRUE(model.ok()) << model.error().message();
    auto vocab = TokenVocabulary::for_model(**model);
    ASSERT_TRUE(vocab.ok()) << vocab.error().message();
    ContextOptions o;
    o.n_ctx = 2048;
    o.threads = 1;
    auto ctx = Context::create(*model, o);
    ASSERT_TRUE(ctx.ok()) << ctx.error().message();
    loaded.push_back({std::move(*ctx), *vocab});
  }
  SchemaGenerator gen(424242);
  std::mt19937_64 seeds(99);
  const auto start = std::chrono::steady_clock::now();
  size_t tokens = 0, valid = 0, ended_by_end_token = 0;
  const int kAnswers = 1000;
  for (int i = 0; i < kAnswers; ++i) {
    const json::value schema = gen.schema();
    auto g = compile_schema(schema, test_limits());
    ASSERT_TRUE(g.ok()) << json::serialize(schema) << ": " << g.error().message();
    Loaded& l = loaded[static_cast<size_t>(i) % loaded.size()];
    GenerateOptions options;
    options.max_tokens = 4096;  // lowered to the grammar's bound
    options.sampling.temperature = i % 5 == 0 ? 0.0f : 1.0f;
    options.sampling.top_k = i % 3 == 0 ? 40 : 0;
    options.sampling.seed = seeds();
    const std::vector<int32_t> prompt = {1, static_cast<int32_t>(3 + i % 500), 42};
    auto out = generate(*l.ctx, prompt, *g, l.vocab, options);
    ASSERT_TRUE(out.ok()) << out.error().message();
    ASSERT_TRUE(out->complete) << out->text << " for " << json::serialize(schema);
    EXPECT_EQ(out->generated.finish_reason, "stop");
    tokens += out->generated.tokens.size();
    // generate() stops by itself when nothing can follow; else the model picked an end token.
    Matcher replay(*g);
    ASSERT_TRUE(replay.advance(out->text));
    ended_by_end_token += replay.can_continue();
    if (i < 3)
      std::printf("[ structured ] %s\n   -> %s\n", json::serialize(schema).c_str(), out->text.c_str());
    boost::system::error_code ec;
    const json::value v = json::parse(out->text, ec);
    ASSERT_FALSE(ec) << out->text << " for " << json::serialize(schema);
    const Status s = validate(v, schema);
    ASSERT_TRUE(s.ok()) << out->text << " for " << json::serialize(schema) << ": " << s.error().message();
    ++valid;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "[ structured ] %zu/%d answers parse and validate, %zu tokens (%zu answers ended by an end token), "
      "%.2f s\n",
      valid, kAnswers, tokens, ended_by_end_token, seconds);
  EXPECT_EQ(valid, static_cast<size_t>(kAnswers));
}

}  // namespace
}  // namespace occam::engine::structured
