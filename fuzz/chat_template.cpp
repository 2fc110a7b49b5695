// fuzz-deps: core gguf tokenizer
// libFuzzer target: arbitrary template source through the chat-template parser and renderer, with a fixed
// conversation (system, user, assistant tool call, tool result; tools; extra variables) and tight
// limits on output size and work, so that loops, recursion and string growth stay bounded. Checks that
// nothing crashes, leaks or hangs, and that a successful rendering respects the output limit.
// fuzz-deps: core gguf tokenizer
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tokenizer/chat_template.h"

namespace {

constexpr size_t kMaxOutput = 64 * 1024;

constexpr std::string_view kMessages = R"([
  {"role": "system", "content": "Be brief."},
  {"role": "user", "content": "Bonjour « toi » !"},
  {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function",
    "function": {"name": "get_status", "arguments": {"id": "T-42", "n": [1, 2.5, true, null]}}}]},
  {"role": "tool", "name": "get_status", "tool_call_id": "call_1", "content": "{\"status\": \"fermé\"}"},
  {"role": "user", "content": [{"type": "text", "text": "part"}, {"type": "image"}]}
])";

constexpr std::string_view kTools = R"([{"type": "function", "function": {"name": "get_status",
  "description": "Status of a ticket", "parameters": {"type": "object",
  "properties": {"id": {"type": "string", "description": "ticket id"}}, "required": ["id"]}}}])";

std::tm fixed_clock() {
  std::tm tm{};
  tm.tm_year = 126;
  tm.tm_mon = 10;
  tm.tm_mday = 25;
  tm.tm_hour = 9;
  tm.tm_min = 30;
  return tm;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  auto tpl = occam::tokenizer::ChatTemplate::parse(source);
  if (!tpl.ok()) return 0;
  occam::tokenizer::ChatTemplateOptions options;
  options.add_generation_prompt = (size % 2) == 0;
  options.bos_token = "<s>";
  options.eos_token = "</s>";
  options.tools_json = std::string(kTools);
  options.extra_json = R"({"date_string": "26 Jul 2024", "builtin_tools": ["brave_search"], "documents": []})";
  options.now = fixed_clock;
  options.max_output_bytes = kMaxOutput;
  options.max_steps = 200'000;
  auto text = tpl->render(kMessages, options);
  if (text.ok() && text->size() > kMaxOutput) std::abort();
  return 0;
}
