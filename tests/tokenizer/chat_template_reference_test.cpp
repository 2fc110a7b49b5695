// Every case of ../shared/reference/chat-templates/expected.json (real model templates × conversations ×
// add_generation_prompt, rendered by Jinja2 as Hugging Face sets it up) renders to the identical text,
// or fails where Jinja2 failed, with the same exception text.
#include <gtest/gtest.h>

#include <boost/json.hpp>

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
  tm.tm_wday = 3;  // a Wednesday
  tm.tm_yday = 328;
  return tm;
}

TEST(ChatTemplateReference, ExpectedJsonCases) {
  const auto dir = testing::shared_file("reference/chat-templates/expected.json").parent_path();
  const boost::json::value root = boost::json::parse(testing::read_file(dir / "expected.json"));
  const auto& conversations = root.at("conversations").as_object();
  size_t passed = 0;
  size_t total = 0;
  for (const auto& c : root.at("cases").as_array()) {
    const std::string name(c.at("template").as_string());
    const std::string conversation(c.at("conversation").as_string());
    const bool add_generation_prompt = c.at("add_generation_prompt").as_bool();
    SCOPED_TRACE(name + " / " + conversation + (add_generation_prompt ? " / generation prompt" : ""));
    ++total;
    const auto& conv = conversations.at(conversation).as_object();
    ChatTemplateOptions options;
    options.add_generation_prompt = add_generation_prompt;
    options.bos_token = "<s>";
    options.eos_token = "</s>";
    options.now = fixed_clock;
    if (conv.contains("tools")) options.tools_json = boost::json::serialize(conv.at("tools"));
    auto tpl = ChatTemplate::parse(testing::read_file(dir / name));
    ASSERT_TRUE(tpl.ok()) << tpl.error().message();
    const auto text = tpl->render(boost::json::serialize(conv.at("messages")), options);
    if (c.as_object().contains("text")) {
      const std::string expected(c.at("text").as_string());
      EXPECT_TRUE(text.ok()) << text.error().message();
      if (text.ok()) {
        EXPECT_EQ(*text, expected);
        passed += *text == expected;
      }
    } else {
      // Jinja2's "UndefinedError: 'functions' is undefined" → ours ends with the same text.
      const std::string expected(c.at("error").as_string());
      EXPECT_FALSE(text.ok()) << "expected error: " << expected;
      if (!text.ok()) {
        EXPECT_TRUE(text.error().message().ends_with(expected)) << text.error().message() << "\nvs " << expected;
        passed += text.error().message().ends_with(expected);
      }
    }
  }
  std::printf("chat templates: %zu/%zu expected.json cases pass\n", passed, total);
  EXPECT_EQ(total, 204u);
  EXPECT_EQ(passed, total);
}

}  // namespace
}  // namespace occam::tokenizer
