// Chat templates: renders a model's `tokenizer.chat_template` (Jinja2) the way Hugging Face's
// apply_chat_template does — trim_blocks, lstrip_blocks, loop controls, raise_exception, strftime_now,
// tojson(ensure_ascii=False) — with a Jinja2-subset interpreter (src/tokenizer/jinja/).
//
//   auto tpl = ChatTemplate::parse(source);            // syntax errors: "template:3:7: ..."
//   auto text = tpl->render(R"([{"role":"user","content":"Hi"}])", {.add_generation_prompt = true});
//
// Rendering errors name the template position and carry jinja2's exception text:
// "template:1:52: TemplateError: System role not supported" (raise_exception),
// "template:4:9: UndefinedError: 'functions' is undefined", "template:2:3: unsupported filter 'xmlattr'".
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace occam::jinja {
struct Template;
}

namespace occam::gguf {
class File;
}

namespace occam::tokenizer {

struct ChatTemplateOptions {
  bool add_generation_prompt = false;
  std::string bos_token;
  std::string eos_token;
  // JSON array of tool definitions ({"type": "function", "function": {name, description, parameters}}).
  // Empty: `tools` is left undefined, as when apply_chat_template gets no tools.
  std::string tools_json;
  // JSON object of further variables (date_string, documents, tools_in_user_message, builtin_tools, ...).
  std::string extra_json;
  // Clock of strftime_now(); unset = the local time now.
  std::function<std::tm()> now;
  // Bounds for untrusted templates: output/string size, work (statements, expressions, iterations).
  size_t max_output_bytes = size_t{8} << 20;
  uint64_t max_steps = 20'000'000;
};

class ChatTemplate {
 public:
  static Result<ChatTemplate> parse(std::string_view source);
  // `messages_json`: a JSON array of messages {role, content (string or list of parts), tool_calls,
  // tool_call_id, name, ...}, passed to the template as `messages`.
  Result<std::string> render(std::string_view messages_json, const ChatTemplateOptions& options = {}) const;

 private:
  explicit ChatTemplate(std::shared_ptr<const jinja::Template> tpl) : tpl_(std::move(tpl)) {}
  std::shared_ptr<const jinja::Template> tpl_;
};

// Parses and renders in one call.
Result<std::string> render_chat(std::string_view template_source, std::string_view messages_json,
                                const ChatTemplateOptions& options = {});

// The model's template from GGUF metadata: `tokenizer.chat_template`, or `tokenizer.chat_template.<name>`
// for a named variant (e.g. "tool_use"). not_found when the file has none: use default_chat_template().
Result<std::string> chat_template_from_gguf(const gguf::File& file, std::string_view name = {});

// The template for models that ship none: ChatML (`<|im_start|>role\ncontent<|im_end|>\n`, and
// `<|im_start|>assistant\n` when add_generation_prompt), as transformers' former default.
std::string_view default_chat_template();

}  // namespace occam::tokenizer
