// Feature cases of the Jinja2 subset, one per line of data/chat_template_cases.json, each rendered by the
// real Jinja2 with Hugging Face's setup (tests/tokenizer/make_chat_template_cases.py writes the file).
// A case renders to the identical text, or fails with a message ending in jinja2's exception text.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "gguf/gguf.h"
#include "test_support.h"
#include "tokenizer/chat_template.h"

namespace occam::tokenizer {
namespace {

std::tm fixed_clock() {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 10;
  tm.tm_mday = 25;
  tm.tm_hour = 9;
  tm.tm_min = 30;
  tm.tm_wday = 3;
  tm.tm_yday = 328;
  return tm;
}

std::string json_string_or(const boost::json::object& o, std::string_view key, std::string fallback) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : fallback;
}

TEST(ChatTemplateCases, JinjaFeatureTable) {
  const std::string path = std::string(OCCAM_SOURCE_DIR) + "/tests/tokenizer/data/chat_template_cases.json";
  const boost::json::value root = boost::json::parse(testing::read_file(path));
  size_t passed = 0;
  size_t total = 0;
  for (const auto& item : root.at("cases").as_array()) {
    const auto& c = item.as_object();
    const std::string name(c.at("name").as_string());
    SCOPED_TRACE(name);
    ++total;
    boost::json::object context = c.at("context").as_object();
    ChatTemplateOptions options;
    options.now = fixed_clock;
    options.bos_token = json_string_or(context, "bos_token", "");
    options.eos_token = json_string_or(context, "eos_token", "");
    if (const auto* agp = context.if_contains("add_generation_prompt")) options.add_generation_prompt = agp->as_bool();
    const std::string messages =
        context.contains("messages") ? boost::json::serialize(context.at("messages")) : std::string("[]");
    for (const char* key : {"messages", "bos_token", "eos_token", "add_generation_prompt"}) context.erase(key);
    if (const auto* t = context.if_contains("tools")) options.tools_json = boost::json::serialize(*t);
    context.erase("tools");
    options.extra_json = boost::json::serialize(context);
    std::string source;
    if (const auto* gguf_path = c.if_contains("gguf")) {
      // The template of a shared vocab-only GGUF, read through chat_template_from_gguf.
      auto file = gguf::File::open(testing::shared_file(std::string(gguf_path->as_string())));
      ASSERT_TRUE(file.ok()) << file.error().message();
      auto from_gguf = chat_template_from_gguf(*file);
      ASSERT_TRUE(from_gguf.ok()) << from_gguf.error().message();
      source = *from_gguf;
    } else {
      source = std::string(c.at("template").as_string());
    }
    const auto text = render_chat(source, messages, options);
    bool ok = false;
    if (const auto* expected = c.if_contains("text")) {
      EXPECT_TRUE(text.ok()) << text.error().message();
      if (text.ok()) {
        EXPECT_EQ(*text, expected->as_string().c_str());
        ok = *text == expected->as_string();
      }
    } else {
      const std::string error(c.at("error").as_string());
      EXPECT_FALSE(text.ok()) << "rendered '" << *text << "', expected " << error;
      if (!text.ok()) {
        EXPECT_TRUE(text.error().message().ends_with(error)) << text.error().message() << "\nvs " << error;
        ok = text.error().message().ends_with(error);
      }
    }
    passed += ok;
  }
  std::printf("chat template feature cases: %zu/%zu pass\n", passed, total);
  EXPECT_GE(total, 150u);
  EXPECT_EQ(passed, total);
}

}  // namespace
}  // namespace occam::tokenizer
