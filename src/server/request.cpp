#include "server/request.h"

#include <cmath>

#include <boost/json.hpp>

#include "backends/json_schema.h"

namespace occam::server {

namespace json = boost::json;
using backends::GenerateRequest;
using backends::Message;
using backends::RequestKind;

namespace {

constexpr std::size_t kMaxMessages = 100000;
constexpr std::size_t kMaxStops = 4;
constexpr std::size_t kMaxTools = 128;
constexpr std::size_t kMaxTextInputs = 2048;  // embeddings and classification

Error field_error(std::string_view path, std::string_view message) {
  return make_error(ErrorCode::invalid_argument, "{}: {}", path, message);
}

std::string_view kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "value";
}

Error type_error(std::string_view path, std::string_view expected, const json::value& found) {
  return make_error(ErrorCode::invalid_argument, "{}: expected {}, found {}", path, expected, kind_name(found));
}

Result<json::object> parse_object(std::string_view body) {
  if (body.empty()) return make_error(ErrorCode::invalid_argument, "body: empty request body (expected a JSON object)");
  json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, {}, options);
  if (ec) return make_error(ErrorCode::invalid_argument, "body: malformed JSON ({})", ec.message());
  if (!v.is_object()) return type_error("body", "a JSON object", v);
  return std::move(v.get_object());
}

// A JSON number that is an integer (1, 1.0) in [min, max].
Result<int64_t> get_int(const json::value& v, std::string_view path, int64_t min, int64_t max) {
  double d = 0;
  if (v.is_int64()) d = static_cast<double>(v.get_int64());
  else if (v.is_uint64()) d = static_cast<double>(v.get_uint64());
  else if (v.is_double()) d = v.get_double();
  else return type_error(path, "integer", v);
  if (!std::isfinite(d) || d != std::floor(d)) return field_error(path, "expected an integer");
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    return field_error(path, fmt::format("must be between {} and {}", min, max));
  }
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) return static_cast<int64_t>(v.get_uint64());
  return static_cast<int64_t>(d);
}

Result<double> get_number(const json::value& v, std::string_view path, double min, double max) {
  double d = 0;
  if (v.is_int64()) d = static_cast<double>(v.get_int64());
  else if (v.is_uint64()) d = static_cast<double>(v.get_uint64());
  else if (v.is_double()) d = v.get_double();
  else return type_error(path, "number", v);
  if (!(d >= min && d <= max)) return field_error(path, fmt::format("must be between {} and {}", min, max));
  return d;
}

Result<bool> get_bool(const json::value& v, std::string_view path) {
  if (!v.is_bool()) return type_error(path, "boolean", v);
  return v.get_bool();
}

Result<std::string> get_string(const json::value& v, std::string_view path) {
  if (!v.is_string()) return type_error(path, "string", v);
  return std::string(v.get_string());
}

// Present and not null.
const json::value* field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

Result<std::string> read_model(const json::object& o) {
  const json::value* v = field(o, "model");
  if (v == nullptr) return field_error("model", "required");
  OCCAM_ASSIGN_OR_RETURN(std::string model, get_string(*v, "model"));
  if (model.empty()) return field_error("model", "must not be empty");
  return model;
}

// Text content: a string, or an array of {type: "text", text} parts (joined).
Result<std::string> read_text_content(const json::value& v, const std::string& path) {
  if (v.is_string()) return std::string(v.get_string());
  if (!v.is_array()) return type_error(path, "string or array", v);
  std::string text;
  std::size_t i = 0;
  for (const json::value& part : v.get_array()) {
    std::string at = fmt::format("{}[{}]", path, i++);
    if (!part.is_object()) return type_error(at, "object", part);
    const json::value* type = field(part.get_object(), "type");
    if (type == nullptr) return field_error(at + ".type", "required");
    OCCAM_ASSIGN_OR_RETURN(std::string t, get_string(*type, at + ".type"));
    if (t != "text") return field_error(at + ".type", fmt::format("content part type '{}' is not supported (only text)", t));
    const json::value* txt = field(part.get_object(), "text");
    if (txt == nullptr) return field_error(at + ".text", "required");
    OCCAM_ASSIGN_OR_RETURN(std::string piece, get_string(*txt, at + ".text"));
    text += piece;
  }
  return text;
}

Status read_tool_calls(const json::value& v, const std::string& path, std::vector<backends::ToolCall>& out) {
  if (!v.is_array()) return type_error(path, "array", v);
  std::size_t i = 0;
  for (const json::value& item : v.get_array()) {
    std::string at = fmt::format("{}[{}]", path, i++);
    if (!item.is_object()) return type_error(at, "object", item);
    const json::object& o = item.get_object();
    backends::ToolCall call;
    if (const json::value* id = field(o, "id")) {
      OCCAM_ASSIGN_OR_RETURN(call.id, get_string(*id, at + ".id"));
    }
    const json::value* fn = field(o, "function");
    if (fn == nullptr) return field_error(at + ".function", "required");
    if (!fn->is_object()) return type_error(at + ".function", "object", *fn);
    const json::value* name = field(fn->get_object(), "name");
    if (name == nullptr) return field_error(at + ".function.name", "required");
    OCCAM_ASSIGN_OR_RETURN(call.name, get_string(*name, at + ".function.name"));
    if (const json::value* args = field(fn->get_object(), "arguments")) {
      OCCAM_ASSIGN_OR_RETURN(call.arguments, get_string(*args, at + ".function.arguments"));
    }
    out.push_back(std::move(call));
  }
  return ok_status();
}

Result<Message> read_message(const json::value& v, const std::string& path) {
  if (!v.is_object()) return type_error(path, "object", v);
  const json::object& o = v.get_object();
  Message m;
  const json::value* role = field(o, "role");
  if (role == nullptr) return field_error(path + ".role", "required");
  OCCAM_ASSIGN_OR_RETURN(m.role, get_string(*role, path + ".role"));
  if (m.role == "developer") m.role = "system";
  if (m.role != "system" && m.role != "user" && m.role != "assistant" && m.role != "tool") {
    return field_error(path + ".role", fmt::format("unknown role '{}' (expected system, developer, user, assistant or tool)", m.role));
  }
  const json::value* content = field(o, "content");
  if (content == nullptr) {
    if (m.role != "assistant") return field_error(path + ".content", "required");
    m.content_null = true;
  } else {
    OCCAM_ASSIGN_OR_RETURN(m.content, read_text_content(*content, path + ".content"));
  }
  if (const json::value* name = field(o, "name")) {
    OCCAM_ASSIGN_OR_RETURN(m.name, get_string(*name, path + ".name"));
  }
  if (const json::value* calls = field(o, "tool_calls")) {
    if (m.role != "assistant") return field_error(path + ".tool_calls", "only assistant messages carry tool calls");
    OCCAM_TRY(read_tool_calls(*calls, path + ".tool_calls", m.tool_calls));
  }
  if (m.role == "assistant" && m.content_null && m.tool_calls.empty()) {
    return field_error(path + ".content", "required (or tool_calls)");
  }
  if (m.role == "tool") {
    const json::value* id = field(o, "tool_call_id");
    if (id == nullptr) return field_error(path + ".tool_call_id", "required for role tool");
    OCCAM_ASSIGN_OR_RETURN(m.tool_call_id, get_string(*id, path + ".tool_call_id"));
  }
  return m;
}

Status read_stop(const json::object& o, GenerateRequest& r) {
  const json::value* stop = field(o, "stop");
  if (stop == nullptr) return ok_status();
  if (stop->is_string()) {
    if (!stop->get_string().empty()) r.stop.emplace_back(stop->get_string());
    return ok_status();
  }
  if (!stop->is_array()) return type_error("stop", "string or array", *stop);
  if (stop->get_array().size() > kMaxStops) return field_error("stop", "at most 4 sequences");
  std::size_t i = 0;
  for (const json::value& s : stop->get_array()) {
    OCCAM_ASSIGN_OR_RETURN(std::string text, get_string(s, fmt::format("stop[{}]", i++)));
    if (!text.empty()) r.stop.push_back(std::move(text));
  }
  return ok_status();
}

// Parameters common to chat and completions.
Status read_sampling(const json::object& o, GenerateRequest& r) {
  if (const json::value* v = field(o, "stream")) {
    OCCAM_ASSIGN_OR_RETURN(r.stream, get_bool(*v, "stream"));
  }
  if (const json::value* v = field(o, "stream_options")) {
    if (!v->is_object()) return type_error("stream_options", "object", *v);
    if (const json::value* u = field(v->get_object(), "include_usage")) {
      OCCAM_ASSIGN_OR_RETURN(r.stream_include_usage, get_bool(*u, "stream_options.include_usage"));
    }
  }
  if (const json::value* v = field(o, "max_tokens")) {
    OCCAM_ASSIGN_OR_RETURN(r.max_tokens, get_int(*v, "max_tokens", 1, 1 << 24));
  }
  if (const json::value* v = field(o, "max_completion_tokens")) {
    OCCAM_ASSIGN_OR_RETURN(r.max_tokens, get_int(*v, "max_completion_tokens", 1, 1 << 24));
  }
  if (const json::value* v = field(o, "temperature")) {
    OCCAM_ASSIGN_OR_RETURN(r.temperature, get_number(*v, "temperature", 0, 2));
  }
  if (const json::value* v = field(o, "top_p")) {
    OCCAM_ASSIGN_OR_RETURN(r.top_p, get_number(*v, "top_p", 0, 1));
  }
  if (const json::value* v = field(o, "presence_penalty")) {
    OCCAM_ASSIGN_OR_RETURN(r.presence_penalty, get_number(*v, "presence_penalty", -2, 2));
  }
  if (const json::value* v = field(o, "frequency_penalty")) {
    OCCAM_ASSIGN_OR_RETURN(r.frequency_penalty, get_number(*v, "frequency_penalty", -2, 2));
  }
  if (const json::value* v = field(o, "seed")) {
    OCCAM_ASSIGN_OR_RETURN(r.seed, get_int(*v, "seed", INT64_MIN, INT64_MAX));
  }
  if (const json::value* v = field(o, "n")) {
    OCCAM_ASSIGN_OR_RETURN(int64_t n, get_int(*v, "n", 1, 128));
    r.n = static_cast<int>(n);
  }
  if (const json::value* v = field(o, "user")) {
    OCCAM_ASSIGN_OR_RETURN(r.user, get_string(*v, "user"));
  }
  return read_stop(o, r);
}

Status read_response_format(const json::object& o, GenerateRequest& r) {
  const json::value* v = field(o, "response_format");
  if (v == nullptr) return ok_status();
  if (!v->is_object()) return type_error("response_format", "object", *v);
  const json::value* type = field(v->get_object(), "type");
  if (type == nullptr) return field_error("response_format.type", "required");
  OCCAM_ASSIGN_OR_RETURN(std::string t, get_string(*type, "response_format.type"));
  if (t == "text") return ok_status();
  if (t == "json_object") {
    r.response_format.kind = backends::ResponseFormatKind::json_object;
    return ok_status();
  }
  if (t != "json_schema") {
    return field_error("response_format.type", fmt::format("unknown type '{}' (expected text, json_object or json_schema)", t));
  }
  r.response_format.kind = backends::ResponseFormatKind::json_schema;
  const json::value* js = field(v->get_object(), "json_schema");
  if (js == nullptr) return field_error("response_format.json_schema", "required for type json_schema");
  if (!js->is_object()) return type_error("response_format.json_schema", "object", *js);
  const json::object& spec = js->get_object();
  const json::value* name = field(spec, "name");
  if (name == nullptr) return field_error("response_format.json_schema.name", "required");
  OCCAM_ASSIGN_OR_RETURN(r.response_format.name, get_string(*name, "response_format.json_schema.name"));
  if (const json::value* strict = field(spec, "strict")) {
    OCCAM_ASSIGN_OR_RETURN(r.response_format.strict, get_bool(*strict, "response_format.json_schema.strict"));
  }
  const json::value* schema = field(spec, "schema");
  if (schema == nullptr) return field_error("response_format.json_schema.schema", "required");
  if (!schema->is_object()) return type_error("response_format.json_schema.schema", "object", *schema);
  Status checked = backends::check_schema(*schema, "response_format.json_schema.schema");
  if (!checked.ok()) {
    return make_error(ErrorCode::invalid_argument, "{}; this schema cannot be honoured", checked.error().message());
  }
  r.response_format.schema = *schema;
  return ok_status();
}

bool valid_function_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

Status read_tools(const json::object& o, GenerateRequest& r) {
  if (const json::value* v = field(o, "tools")) {
    if (!v->is_array()) return type_error("tools", "array", *v);
    if (v->get_array().size() > kMaxTools) return field_error("tools", "at most 128 tools");
    std::size_t i = 0;
    for (const json::value& item : v->get_array()) {
      std::string at = fmt::format("tools[{}]", i++);
      if (!item.is_object()) return type_error(at, "object", item);
      const json::value* type = field(item.get_object(), "type");
      if (type == nullptr) return field_error(at + ".type", "required");
      OCCAM_ASSIGN_OR_RETURN(std::string t, get_string(*type, at + ".type"));
      if (t != "function") return field_error(at + ".type", fmt::format("tool type '{}' is not supported (only function)", t));
      const json::value* fn = field(item.get_object(), "function");
      if (fn == nullptr) return field_error(at + ".function", "required");
      if (!fn->is_object()) return type_error(at + ".function", "object", *fn);
      backends::Tool tool;
      const json::value* name = field(fn->get_object(), "name");
      if (name == nullptr) return field_error(at + ".function.name", "required");
      OCCAM_ASSIGN_OR_RETURN(tool.name, get_string(*name, at + ".function.name"));
      if (!valid_function_name(tool.name)) {
        return field_error(at + ".function.name", "must be 1 to 64 letters, digits, '_' or '-'");
      }
      for (const backends::Tool& other : r.tools) {
        if (other.name == tool.name) return field_error(at + ".function.name", fmt::format("duplicate tool '{}'", tool.name));
      }
      if (const json::value* d = field(fn->get_object(), "description")) {
        OCCAM_ASSIGN_OR_RETURN(tool.description, get_string(*d, at + ".function.description"));
      }
      if (const json::value* p = field(fn->get_object(), "parameters")) {
        if (!p->is_object()) return type_error(at + ".function.parameters", "object", *p);
        Status checked = backends::check_schema(*p, at + ".function.parameters");
        if (!checked.ok()) {
          return make_error(ErrorCode::invalid_argument, "{}; this tool cannot be honoured", checked.error().message());
        }
        tool.parameters = *p;
      }
      r.tools.push_back(std::move(tool));
    }
  }
  if (const json::value* v = field(o, "tool_choice")) {
    if (v->is_string()) {
      std::string_view c = v->get_string();
      if (c == "auto") r.tool_choice = backends::ToolChoice::automatic;
      else if (c == "none") r.tool_choice = backends::ToolChoice::none;
      else if (c == "required") r.tool_choice = backends::ToolChoice::required;
      else return field_error("tool_choice", fmt::format("unknown value '{}' (expected none, auto, required or an object)", c));
    } else if (v->is_object()) {
      const json::value* fn = field(v->get_object(), "function");
      if (fn == nullptr || !fn->is_object()) return field_error("tool_choice.function", "required");
      const json::value* name = field(fn->get_object(), "name");
      if (name == nullptr) return field_error("tool_choice.function.name", "required");
      OCCAM_ASSIGN_OR_RETURN(r.tool_choice_name, get_string(*name, "tool_choice.function.name"));
      r.tool_choice = backends::ToolChoice::function;
      bool found = false;
      for (const backends::Tool& t : r.tools) found = found || t.name == r.tool_choice_name;
      if (!found) return field_error("tool_choice.function.name", fmt::format("no tool named '{}'", r.tool_choice_name));
    } else {
      return type_error("tool_choice", "string or object", *v);
    }
    if (r.tools.empty() && r.tool_choice == backends::ToolChoice::required) {
      return field_error("tool_choice", "'required' needs tools");
    }
  }
  if (const json::value* v = field(o, "parallel_tool_calls")) {
    OCCAM_ASSIGN_OR_RETURN(bool p, get_bool(*v, "parallel_tool_calls"));
    r.parallel_tool_calls = p;
  }
  return ok_status();
}

}  // namespace

Result<GenerateRequest> parse_chat_request(std::string_view body) {
  OCCAM_ASSIGN_OR_RETURN(json::object o, parse_object(body));
  GenerateRequest r;
  r.kind = RequestKind::chat;
  OCCAM_ASSIGN_OR_RETURN(r.model, read_model(o));
  const json::value* messages = field(o, "messages");
  if (messages == nullptr) return field_error("messages", "required");
  if (!messages->is_array()) return type_error("messages", "array", *messages);
  if (messages->get_array().empty()) return field_error("messages", "must not be empty");
  if (messages->get_array().size() > kMaxMessages) return field_error("messages", "too many messages");
  std::size_t i = 0;
  for (const json::value& m : messages->get_array()) {
    OCCAM_ASSIGN_OR_RETURN(Message message, read_message(m, fmt::format("messages[{}]", i++)));
    r.messages.push_back(std::move(message));
  }
  OCCAM_TRY(read_sampling(o, r));
  if (const json::value* v = field(o, "logprobs")) {
    OCCAM_ASSIGN_OR_RETURN(r.logprobs, get_bool(*v, "logprobs"));
  }
  if (const json::value* v = field(o, "top_logprobs")) {
    OCCAM_ASSIGN_OR_RETURN(int64_t top, get_int(*v, "top_logprobs", 0, 20));
    if (!r.logprobs && top > 0) return field_error("top_logprobs", "needs logprobs: true");
    r.top_logprobs = static_cast<int>(top);
  }
  OCCAM_TRY(read_response_format(o, r));
  OCCAM_TRY(read_tools(o, r));
  return r;
}

Result<GenerateRequest> parse_completion_request(std::string_view body) {
  OCCAM_ASSIGN_OR_RETURN(json::object o, parse_object(body));
  GenerateRequest r;
  r.kind = RequestKind::completion;
  OCCAM_ASSIGN_OR_RETURN(r.model, read_model(o));
  const json::value* prompt = field(o, "prompt");
  if (prompt == nullptr) return field_error("prompt", "required");
  if (prompt->is_string()) {
    r.prompt = prompt->get_string();
  } else if (prompt->is_array()) {
    const json::array& a = prompt->get_array();
    if (a.size() != 1) return field_error("prompt", "exactly one prompt per request is supported");
    OCCAM_ASSIGN_OR_RETURN(r.prompt, get_string(a[0], "prompt[0]"));
  } else {
    return type_error("prompt", "string or array of one string", *prompt);
  }
  OCCAM_TRY(read_sampling(o, r));
  if (const json::value* v = field(o, "logprobs")) {
    OCCAM_ASSIGN_OR_RETURN(int64_t top, get_int(*v, "logprobs", 0, 5));
    r.logprobs = true;
    r.top_logprobs = static_cast<int>(top);
  }
  if (const json::value* v = field(o, "echo")) {
    OCCAM_ASSIGN_OR_RETURN(r.echo, get_bool(*v, "echo"));
  }
  if (const json::value* v = field(o, "best_of")) {
    OCCAM_ASSIGN_OR_RETURN(int64_t best_of, get_int(*v, "best_of", 1, 128));
    if (best_of != r.n) return field_error("best_of", "only best_of equal to n is supported");
  }
  if (const json::value* v = field(o, "suffix")) {
    OCCAM_ASSIGN_OR_RETURN(std::string suffix, get_string(*v, "suffix"));
    if (!suffix.empty()) return field_error("suffix", "not supported");
  }
  return r;
}

namespace {

// `input`: a string or a non-empty array of strings (embeddings and classification alike).
Result<std::vector<std::string>> read_text_inputs(const json::object& o) {
  const json::value* input = field(o, "input");
  if (input == nullptr) return field_error("input", "required");
  std::vector<std::string> out;
  if (input->is_string()) {
    out.emplace_back(input->get_string());
    return out;
  }
  if (!input->is_array()) return type_error("input", "string or array of strings", *input);
  const json::array& a = input->get_array();
  if (a.empty()) return field_error("input", "must not be empty");
  if (a.size() > kMaxTextInputs) return field_error("input", "at most 2048 inputs");
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) return type_error(fmt::format("input[{}]", i), "string (token arrays are not supported)", a[i]);
    out.emplace_back(a[i].get_string());
  }
  return out;
}

}  // namespace

Result<ParsedEmbeddingRequest> parse_embedding_request(std::string_view body) {
  OCCAM_ASSIGN_OR_RETURN(json::object o, parse_object(body));
  ParsedEmbeddingRequest p;
  OCCAM_ASSIGN_OR_RETURN(p.request.model, read_model(o));
  OCCAM_ASSIGN_OR_RETURN(p.request.input, read_text_inputs(o));
  if (const json::value* v = field(o, "encoding_format")) {
    OCCAM_ASSIGN_OR_RETURN(std::string format, get_string(*v, "encoding_format"));
    if (format == "base64") p.base64 = true;
    else if (format != "float") return field_error("encoding_format", "expected float or base64");
  }
  if (const json::value* v = field(o, "dimensions")) {
    OCCAM_ASSIGN_OR_RETURN(p.request.dimensions, get_int(*v, "dimensions", 1, 65536));
  }
  if (const json::value* v = field(o, "user")) {
    OCCAM_ASSIGN_OR_RETURN(p.request.user, get_string(*v, "user"));
  }
  return p;
}

Result<backends::ClassifyRequest> parse_classify_request(std::string_view body) {
  OCCAM_ASSIGN_OR_RETURN(json::object o, parse_object(body));
  backends::ClassifyRequest r;
  OCCAM_ASSIGN_OR_RETURN(r.model, read_model(o));
  OCCAM_ASSIGN_OR_RETURN(r.input, read_text_inputs(o));
  if (const json::value* v = field(o, "top_k")) {
    OCCAM_ASSIGN_OR_RETURN(int64_t top_k, get_int(*v, "top_k", 1, 1000));
    r.top_k = static_cast<int>(top_k);
  }
  return r;
}

Result<WorkflowRunRequest> parse_workflow_run_request(std::string_view body) {
  OCCAM_ASSIGN_OR_RETURN(json::object o, parse_object(body));
  WorkflowRunRequest r;
  const json::value* input = field(o, "input");
  if (input == nullptr) return field_error("input", "required");
  if (!input->is_object()) return type_error("input", "object", *input);
  r.input = *input;
  if (const json::value* v = field(o, "async")) {
    OCCAM_ASSIGN_OR_RETURN(r.async, get_bool(*v, "async"));
  }
  return r;
}

std::string error_param(const Error& error) {
  std::string_view m = error.message();
  std::size_t colon = m.find(": ");
  if (colon == std::string_view::npos || colon == 0) return {};
  std::string_view path = m.substr(0, colon);
  for (char c : path) {
    if (std::isspace(static_cast<unsigned char>(c))) return {};
  }
  if (path == "body") return {};
  return std::string(path);
}

}  // namespace occam::server
