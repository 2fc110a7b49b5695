// Behaviour of the chat-template API that is not a Jinja2 rendering: error positions, limits on
// untrusted templates, the default template, GGUF access, caller data.
#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "test_support.h"
#include "tokenizer/chat_template.h"

namespace occam::tokenizer {
namespace {

constexpr std::string_view kUser = R"([{"role": "user", "content": "Hi"}])";

Result<std::string> render(std::string_view source, const ChatTemplateOptions& options = {}) {
  return render_chat(source, kUser, options);
}

std::string error_of(const Result<std::string>& r) { return r.ok() ? "rendered: " + *r : r.error().message(); }

TEST(ChatTemplate, SyntaxErrorsNameLineAndColumn) {
  EXPECT_EQ(error_of(render("ok\n{% if %}x{% endif %}")),
            "template:2:7: TemplateSyntaxError: expected an expression, got end of statement block");
  EXPECT_EQ(error_of(render("{% for x in y %}\n  x\n")),
            "template:2:4: TemplateSyntaxError: unexpected end of template, expected 'endfor' or 'else'");
  EXPECT_EQ(error_of(render("a\n\n  {{ 'open }}")), "template:3:6: TemplateSyntaxError: unexpected end of string");
  EXPECT_EQ(error_of(render("{% frobnicate %}")), "template:1:4: TemplateSyntaxError: unknown tag 'frobnicate'");
  EXPECT_EQ(error_of(render("{% endif %}")), "template:1:4: TemplateSyntaxError: unexpected tag 'endif'");
  EXPECT_EQ(error_of(render("{{ (1 }}")), "template:1:7: TemplateSyntaxError: unexpected '}', expected ')'");
  EXPECT_EQ(error_of(render("{# never closed")), "template:1:1: TemplateSyntaxError: missing end of comment tag");
  EXPECT_EQ(error_of(render("{% break %}")), "template:1:4: TemplateSyntaxError: 'break' outside of a loop");
}

TEST(ChatTemplate, UnsupportedFeaturesAreErrorsWithPosition) {
  const auto filter = render("line one\n{% if false %}{{ x | xmlattr }}{% endif %}");
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.error().code(), ErrorCode::unsupported);
  EXPECT_EQ(filter.error().message(), "template:2:22: unsupported filter 'xmlattr'");
  EXPECT_EQ(error_of(render("{{ 1 is prime }}")), "template:1:6: unsupported test 'prime'");
  EXPECT_EQ(error_of(render("{% include 'other.jinja' %}")), "template:1:4: unsupported tag 'include'");
  EXPECT_EQ(error_of(render("{% extends 'base' %}")), "template:1:4: unsupported tag 'extends'");
  EXPECT_EQ(error_of(render("{% for x in y recursive %}{% endfor %}")),
            "template:1:15: unsupported recursive for loop");
}

TEST(ChatTemplate, RuntimeErrorsNamePositionAndJinjaException) {
  EXPECT_EQ(error_of(render("\n  {{ raise_exception('No system role') }}")),
            "template:2:6: TemplateError: No system role");
  EXPECT_EQ(error_of(render("{{ messages[0].content + 1 }}")),
            "template:1:24: TypeError: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(error_of(render("{{ missing.attribute }}")), "template:1:11: UndefinedError: 'missing' is undefined");
}

TEST(ChatTemplate, UnboundedWorkIsStopped) {
  ChatTemplateOptions options;
  options.max_steps = 100'000;
  const auto loops = render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", options);
  ASSERT_FALSE(loops.ok());
  EXPECT_EQ(loops.error().code(), ErrorCode::resource_exhausted);
  const auto recursion = render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  ASSERT_FALSE(recursion.ok());
  EXPECT_EQ(recursion.error().code(), ErrorCode::resource_exhausted);
  // Linear scans inside loops are charged: 100000 membership tests over a 100000-item list.
  const auto scans = render("{% set big = range(100000) | list %}{% for i in range(100000) %}{% if -1 in big %}x"
                            "{% endif %}{% endfor %}");
  ASSERT_FALSE(scans.ok());
  EXPECT_EQ(scans.error().code(), ErrorCode::resource_exhausted);
  const auto range = render("{{ range(1000000) | length }}");
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.error().message().find("MAX_RANGE"), std::string::npos);
}

TEST(ChatTemplate, OutputAndStringSizesAreBounded) {
  ChatTemplateOptions options;
  options.max_output_bytes = 1000;
  EXPECT_EQ(render("{{ 'x' * 1000 }}", options).value_or("failed").size(), 1000u);
  const auto big = render("{{ 'x' * 1001 }}", options);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code(), ErrorCode::resource_exhausted);
  const auto doubling = render("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
                               "{% endfor %}{{ ns.s | length }}",
                               options);
  ASSERT_FALSE(doubling.ok());
  EXPECT_EQ(doubling.error().code(), ErrorCode::resource_exhausted);
  // Amplifications: printing a long list of long strings, replacing into every position, padded batches.
  const auto printed = render("{% set s = 'x' * 900 %}{{ [s] * 100000 }}", options);
  ASSERT_FALSE(printed.ok());
  EXPECT_EQ(printed.error().code(), ErrorCode::resource_exhausted);
  EXPECT_EQ(render("{{ ('x' * 900) | replace('', 'y' * 900) }}", options).error().code(),
            ErrorCode::resource_exhausted);
  EXPECT_EQ(render("{{ ('x' * 900).replace('x', 'y' * 900) }}", options).error().code(),
            ErrorCode::resource_exhausted);
  EXPECT_EQ(render("{{ [1] | batch(10**12, 'x') | list }}", options).error().code(), ErrorCode::resource_exhausted);
  EXPECT_EQ(render("{{ '%(a)s%(a)s' % {'a': 'x' * 900} }}", options).error().code(), ErrorCode::resource_exhausted);
  const auto many = render("{% for i in range(2000) %}x{% endfor %}", options);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().code(), ErrorCode::resource_exhausted);
}

TEST(ChatTemplate, DeepNestingIsAnErrorNotACrash) {
  const std::string parens = std::string(5000, '(') + "1" + std::string(5000, ')');
  EXPECT_FALSE(render("{{ " + parens + " }}").ok());
  std::string ifs;
  for (int i = 0; i < 3000; ++i) ifs += "{% if true %}";
  EXPECT_FALSE(render(ifs).ok());
  EXPECT_FALSE(render("{{ " + std::string(5000, '-') + "1 }}").ok());
  EXPECT_FALSE(render("{{ x" + std::string(2000, '|') + " }}").ok());
  // Left-associative chains are as deep as they are long: rejected when evaluated, freed iteratively.
  std::string chain = "{{ 1";
  for (int i = 0; i < 200000; ++i) chain += "+1";
  const auto long_chain = render(chain + " }}");
  ASSERT_FALSE(long_chain.ok());
  EXPECT_EQ(long_chain.error().code(), ErrorCode::resource_exhausted);
  const auto deep_value = render("{% set ns = namespace(a=[]) %}{% for i in range(1000) %}{% set ns.a = [ns.a] %}"
                                 "{% endfor %}{{ ns.a == ns.a }}");
  ASSERT_FALSE(deep_value.ok());
  EXPECT_EQ(deep_value.error().code(), ErrorCode::resource_exhausted);
  EXPECT_EQ(render("{{ 'ab' * 9223372036854775807 }}").error().code(), ErrorCode::resource_exhausted);
  EXPECT_FALSE(render("{{ '%.99999f' % 1.0 }}").ok());
}

TEST(ChatTemplate, DefaultTemplateIsChatML) {
  ChatTemplateOptions options;
  options.add_generation_prompt = true;
  const auto text = render_chat(default_chat_template(),
                                R"([{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"}])", options);
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_EQ(*text, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, CallerVariables) {
  ChatTemplateOptions options;
  options.bos_token = "<s>";
  options.extra_json = R"({"date_string": "26 Jul 2024", "documents": [{"title": "T"}]})";
  EXPECT_EQ(render("{{ bos_token }}{{ tools is defined }}|{{ date_string }}|{{ documents[0].title }}", options).value_or(""),
            "<s>False|26 Jul 2024|T");
  options.tools_json = R"([{"type": "function", "function": {"name": "f"}}])";
  EXPECT_EQ(render("{{ tools[0].function.name }}", options).value_or(""), "f");
  EXPECT_FALSE(render_chat("x", "{not json", {}).ok());
  EXPECT_FALSE(render_chat("x", R"({"role": "user"})", {}).ok());
  options.extra_json = "[1]";
  EXPECT_FALSE(render("x", options).ok());
}

TEST(ChatTemplate, ParsedTemplateRendersManyTimes) {
  auto tpl = ChatTemplate::parse("{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}");
  ASSERT_TRUE(tpl.ok());
  EXPECT_EQ(tpl->render(kUser).value_or(""), "user:Hi;");
  EXPECT_EQ(tpl->render(R"([{"role": "a", "content": "b"}, {"role": "c", "content": [1]}])").value_or(""), "a:b;c:[1];");
}

TEST(ChatTemplate, TemplateFromGguf) {
  auto file = gguf::File::open(testing::shared_file("reference/tokenizer/ggml-vocab-llama-bpe.gguf"));
  ASSERT_TRUE(file.ok()) << file.error().message();
  auto source = chat_template_from_gguf(*file);
  ASSERT_TRUE(source.ok()) << source.error().message();
  ChatTemplateOptions options;
  options.bos_token = "<|begin_of_text|>";
  options.add_generation_prompt = true;
  const auto text = render_chat(*source, kUser, options);
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_EQ(*text,
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  const auto named = chat_template_from_gguf(*file, "tool_use");
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().code(), ErrorCode::not_found);
}

}  // namespace
}  // namespace occam::tokenizer
