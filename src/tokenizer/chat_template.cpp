#include "tokenizer/chat_template.h"

#include <chrono>

#include <boost/json.hpp>

#include "gguf/gguf.h"

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/parser.h"

namespace occam::tokenizer {
namespace {

constexpr std::string_view kChatML =
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

Result<boost::json::value> parse_json(std::string_view text, std::string_view what) {
  boost::json::parse_options options;
  options.max_depth = 128;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec, {}, options);
  if (ec) return make_error(ErrorCode::invalid_argument, "chat template: {} is not valid JSON: {}", what, ec.message());
  return value;
}

std::tm local_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

}  // namespace

Result<ChatTemplate> ChatTemplate::parse(std::string_view source) {
  OCCAM_ASSIGN_OR_RETURN(auto tpl, jinja::parse_template(source));
  return ChatTemplate(std::move(tpl));
}

Result<std::string> ChatTemplate::render(std::string_view messages_json, const ChatTemplateOptions& options) const {
  std::vector<std::pair<std::string, jinja::Value>> vars;
  OCCAM_ASSIGN_OR_RETURN(boost::json::value messages, parse_json(messages_json, "messages"));
  if (!messages.is_array()) return make_error(ErrorCode::invalid_argument, "chat template: messages must be a JSON array");
  if (!options.extra_json.empty()) {
    OCCAM_ASSIGN_OR_RETURN(boost::json::value extra, parse_json(options.extra_json, "extra variables"));
    if (!extra.is_object()) {
      return make_error(ErrorCode::invalid_argument, "chat template: extra variables must be a JSON object");
    }
    for (const auto& [key, value] : extra.get_object()) vars.emplace_back(std::string(key), jinja::from_json(value));
  }
  vars.emplace_back("messages", jinja::from_json(messages));
  if (!options.tools_json.empty()) {
    OCCAM_ASSIGN_OR_RETURN(boost::json::value tools, parse_json(options.tools_json, "tools"));
    vars.emplace_back("tools", jinja::from_json(tools));
  }
  vars.emplace_back("add_generation_prompt", jinja::Value::boolean(options.add_generation_prompt));
  vars.emplace_back("bos_token", jinja::Value::string(options.bos_token));
  vars.emplace_back("eos_token", jinja::Value::string(options.eos_token));
  jinja::RenderLimits limits;
  limits.max_output_bytes = options.max_output_bytes;
  limits.max_steps = options.max_steps;
  jinja::Interpreter interpreter(limits, options.now ? options.now : local_now);
  return interpreter.render(*tpl_, vars);
}

Result<std::string> render_chat(std::string_view template_source, std::string_view messages_json,
                                const ChatTemplateOptions& options) {
  OCCAM_ASSIGN_OR_RETURN(ChatTemplate tpl, ChatTemplate::parse(template_source));
  return tpl.render(messages_json, options);
}

Result<std::string> chat_template_from_gguf(const gguf::File& file, std::string_view name) {
  const std::string key = name.empty() ? std::string("tokenizer.chat_template")
                                       : fmt::format("tokenizer.chat_template.{}", name);
  if (!file.contains(key)) return make_error(ErrorCode::not_found, "gguf: no '{}' metadata", key);
  OCCAM_ASSIGN_OR_RETURN(std::string_view text, file.get_string(key));
  return std::string(text);
}

std::string_view default_chat_template() { return kChatML; }

}  // namespace occam::tokenizer
