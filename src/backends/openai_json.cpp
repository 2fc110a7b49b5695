#include "backends/openai_json.h"

#include <boost/json.hpp>

namespace occam::backends {

namespace json = boost::json;

namespace {

std::string_view str_or(const json::object& o, std::string_view key, std::string_view fallback = {}) {
  const json::value* v = o.if_contains(key);
  return (v != nullptr && v->is_string()) ? std::string_view(v->get_string()) : fallback;
}

bool number_of(const json::value* v, double& out) {
  if (v == nullptr) return false;
  if (v->is_double())
    out = v->get_double();
  else if (v->is_int64())
    out = static_cast<double>(v->get_int64());
  else if (v->is_uint64())
    out = static_cast<double>(v->get_uint64());
  else
    return false;
  return true;
}

int64_t int_or(const json::object& o, std::string_view key, int64_t fallback) {
  double d = 0;
  return number_of(o.if_contains(key), d) ? static_cast<int64_t>(d) : fallback;
}

Error garbage(std::string_view what) {
  return make_error(ErrorCode::unavailable, "upstream answer: {}", what);
}

Result<json::value> parse_body(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return garbage(fmt::format("invalid JSON ({})", ec.message()));
  return v;
}

json::array write_logprobs_content(const std::vector<TokenLogprob>& tokens) {
  json::array content;
  for (const TokenLogprob& t : tokens) {
    json::array top;
    for (const TopLogprob& alt : t.top)
      top.push_back(json::object{{"token", alt.token}, {"logprob", alt.logprob}});
    content.push_back(json::object{
        {"token", t.token}, {"logprob", t.logprob}, {"bytes", nullptr}, {"top_logprobs", std::move(top)}});
  }
  return content;
}

// Legacy completions logprobs: parallel arrays.
json::object write_completion_logprobs(const std::vector<TokenLogprob>& tokens) {
  json::array toks, lps, tops;
  for (const TokenLogprob& t : tokens) {
    toks.push_back(json::string(t.token));
    lps.push_back(t.logprob);
    json::object top;
    for (const TopLogprob& alt : t.top) top[alt.token] = alt.logprob;
    tops.push_back(std::move(top));
  }
  return json::object{{"tokens", std::move(toks)},
                      {"token_logprobs", std::move(lps)},
                      {"top_logprobs", std::move(tops)},
                      {"text_offset", json::array()}};
}

void read_logprobs(const json::value* lp, RequestKind kind, std::vector<TokenLogprob>& out) {
  if (lp == nullptr || !lp->is_object()) return;
  const json::object& o = lp->get_object();
  if (kind == RequestKind::chat) {
    const json::value* content = o.if_contains("content");
    if (content == nullptr || !content->is_array()) return;
    for (const json::value& item : content->get_array()) {
      if (!item.is_object()) continue;
      TokenLogprob t;
      t.token = str_or(item.get_object(), "token");
      number_of(item.get_object().if_contains("logprob"), t.logprob);
      if (const json::value* top = item.get_object().if_contains("top_logprobs"); top && top->is_array()) {
        for (const json::value& alt : top->get_array()) {
          if (!alt.is_object()) continue;
          TopLogprob a;
          a.token = str_or(alt.get_object(), "token");
          number_of(alt.get_object().if_contains("logprob"), a.logprob);
          t.top.push_back(std::move(a));
        }
      }
      out.push_back(std::move(t));
    }
  } else {
    const json::value* toks = o.if_contains("tokens");
    const json::value* lps = o.if_contains("token_logprobs");
    if (toks == nullptr || !toks->is_array()) return;
    const json::array& ta = toks->get_array();
    for (std::size_t i = 0; i < ta.size(); ++i) {
      TokenLogprob t;
      if (ta[i].is_string()) t.token = ta[i].get_string();
      if (lps != nullptr && lps->is_array() && i < lps->get_array().size()) {
        number_of(&lps->get_array()[i], t.logprob);
      }
      out.push_back(std::move(t));
    }
  }
}

Status read_tool_calls(const json::value* calls, std::vector<ToolCall>& out) {
  if (calls == nullptr || calls->is_null()) return ok_status();
  if (!calls->is_array()) return garbage("tool_calls is not an array");
  for (const json::value& c : calls->get_array()) {
    if (!c.is_object()) return garbage("tool call is not an object");
    ToolCall call;
    call.id = str_or(c.get_object(), "id");
    const json::value* fn = c.get_object().if_contains("function");
    if (fn == nullptr || !fn->is_object()) return garbage("tool call without function");
    call.name = str_or(fn->get_object(), "name");
    call.arguments = str_or(fn->get_object(), "arguments");
    out.push_back(std::move(call));
  }
  return ok_status();
}

}  // namespace

// ---------------------------------------------------------------------------------------------------

std::string write_generate_request(const GenerateRequest& r, std::string_view upstream_model, bool stream) {
  json::object o;
  o["model"] = upstream_model;
  if (r.kind == RequestKind::chat) {
    json::array messages;
    for (const Message& m : r.messages) {
      json::object msg{{"role", m.role}};
      if (m.content_null)
        msg["content"] = nullptr;
      else
        msg["content"] = m.content;
      if (!m.name.empty()) msg["name"] = m.name;
      if (!m.tool_call_id.empty()) msg["tool_call_id"] = m.tool_call_id;
      if (!m.tool_calls.empty()) {
        json::array calls;
        for (const ToolCall& c : m.tool_calls) {
          calls.push_back(
              json::object{{"id", c.id},
                           {"type", "function"},
                           {"function", json::object{{"name", c.name}, {"arguments", c.arguments}}}});
        }
        msg["tool_calls"] = std::move(calls);
      }
      messages.push_back(std::move(msg));
    }
    o["messages"] = std::move(messages);
  } else {
    o["prompt"] = r.prompt;
    if (r.echo) o["echo"] = true;
  }
  if (stream) {
    o["stream"] = true;
    o["stream_options"] = json::object{{"include_usage", true}};
  }
  if (r.max_tokens) o[r.kind == RequestKind::chat ? "max_completion_tokens" : "max_tokens"] = *r.max_tokens;
  if (r.temperature) o["temperature"] = *r.temperature;
  if (r.top_p) o["top_p"] = *r.top_p;
  if (r.presence_penalty) o["presence_penalty"] = *r.presence_penalty;
  if (r.frequency_penalty) o["frequency_penalty"] = *r.frequency_penalty;
  if (r.seed) o["seed"] = *r.seed;
  if (r.n != 1) o["n"] = r.n;
  if (!r.stop.empty()) {
    json::array stop;
    for (const std::string& s : r.stop) stop.push_back(json::string(s));
    o["stop"] = std::move(stop);
  }
  if (r.logprobs) {
    if (r.kind == RequestKind::chat) {
      o["logprobs"] = true;
      if (r.top_logprobs > 0) o["top_logprobs"] = r.top_logprobs;
    } else {
      o["logprobs"] = r.top_logprobs;
    }
  }
  if (r.response_format.kind == ResponseFormatKind::json_object) {
    o["response_format"] = json::object{{"type", "json_object"}};
  } else if (r.response_format.kind == ResponseFormatKind::json_schema) {
    json::object schema{{"name", r.response_format.name.empty() ? "answer" : r.response_format.name},
                        {"schema", r.response_format.schema}};
    if (r.response_format.strict) schema["strict"] = true;
    o["response_format"] = json::object{{"type", "json_schema"}, {"json_schema", std::move(schema)}};
  }
  if (!r.tools.empty()) {
    json::array tools;
    for (const Tool& t : r.tools) {
      json::object fn{{"name", t.name}};
      if (!t.description.empty()) fn["description"] = t.description;
      if (!t.parameters.is_null()) fn["parameters"] = t.parameters;
      tools.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
    }
    o["tools"] = std::move(tools);
    switch (r.tool_choice) {
      case ToolChoice::automatic:
        break;
      case ToolChoice::none:
        o["tool_choice"] = "none";
        break;
      case ToolChoice::required:
        o["tool_choice"] = "required";
        break;
      case ToolChoice::function:
        o["tool_choice"] =
            json::object{{"type", "function"}, {"function", json::object{{"name", r.tool_choice_name}}}};
        break;
    }
    if (r.parallel_tool_calls) o["parallel_tool_calls"] = *r.parallel_tool_calls;
  }
  if (!r.user.empty()) o["user"] = r.user;
  return json::serialize(o);
}

std::string write_embedding_request(const EmbeddingRequest& r, std::string_view upstream_model) {
  json::array input;
  for (const std::string& s : r.input) input.push_back(json::string(s));
  json::object o{{"model", upstream_model}, {"input", std::move(input)}, {"encoding_format", "float"}};
  if (r.dimensions) o["dimensions"] = *r.dimensions;
  if (!r.user.empty()) o["user"] = r.user;
  return json::serialize(o);
}

// ---------------------------------------------------------------------------------------------------

Result<GenerateResult> read_generate_result(std::string_view body, RequestKind kind) {
  OCCAM_ASSIGN_OR_RETURN(json::value v, parse_body(body));
  if (!v.is_object()) return garbage("not a JSON object");
  const json::object& o = v.get_object();
  const json::value* choices = o.if_contains("choices");
  if (choices == nullptr || !choices->is_array()) return garbage("no choices array");
  GenerateResult result;
  result.id = str_or(o, "id");
  result.created = int_or(o, "created", 0);
  int position = 0;
  for (const json::value& cv : choices->get_array()) {
    if (!cv.is_object()) return garbage(fmt::format("choices[{}] is not an object", position));
    const json::object& c = cv.get_object();
    Choice choice;
    choice.index = static_cast<int>(int_or(c, "index", position));
    choice.finish_reason = str_or(c, "finish_reason", "stop");
    if (kind == RequestKind::chat) {
      const json::value* msg = c.if_contains("message");
      if (msg == nullptr || !msg->is_object())
        return garbage(fmt::format("choices[{}] has no message", position));
      const json::value* content = msg->get_object().if_contains("content");
      if (content == nullptr || content->is_null()) {
        choice.content_null = true;
      } else if (content->is_string()) {
        choice.text = content->get_string();
      } else {
        return garbage(fmt::format("choices[{}].message.content is not a string", position));
      }
      OCCAM_TRY(read_tool_calls(msg->get_object().if_contains("tool_calls"), choice.tool_calls));
    } else {
      const json::value* text = c.if_contains("text");
      if (text == nullptr || !text->is_string())
        return garbage(fmt::format("choices[{}] has no text", position));
      choice.text = text->get_string();
    }
    if (const json::value* lp = c.if_contains("logprobs"); lp != nullptr && !lp->is_null()) {
      result.has_logprobs = true;
      read_logprobs(lp, kind, choice.logprobs);
    }
    result.choices.push_back(std::move(choice));
    ++position;
  }
  if (const json::value* usage = o.if_contains("usage"); usage != nullptr && usage->is_object()) {
    result.usage.prompt_tokens = int_or(usage->get_object(), "prompt_tokens", 0);
    result.usage.completion_tokens = int_or(usage->get_object(), "completion_tokens", 0);
  }
  return result;
}

Status read_generate_chunk(std::string_view data, RequestKind kind, std::vector<Delta>& deltas,
                           Usage* usage) {
  OCCAM_ASSIGN_OR_RETURN(json::value v, parse_body(data));
  if (!v.is_object()) return garbage("stream chunk is not a JSON object");
  const json::object& o = v.get_object();
  if (const json::value* err = o.if_contains("error"); err != nullptr && !err->is_null()) {
    return garbage(fmt::format("error in stream: {}", read_error_message(data)));
  }
  if (const json::value* u = o.if_contains("usage"); u != nullptr && u->is_object() && usage != nullptr) {
    usage->prompt_tokens = int_or(u->get_object(), "prompt_tokens", 0);
    usage->completion_tokens = int_or(u->get_object(), "completion_tokens", 0);
  }
  const json::value* choices = o.if_contains("choices");
  if (choices == nullptr) return ok_status();
  if (!choices->is_array()) return garbage("stream chunk choices is not an array");
  for (const json::value& cv : choices->get_array()) {
    if (!cv.is_object()) return garbage("stream chunk choice is not an object");
    const json::object& c = cv.get_object();
    Delta d;
    d.index = static_cast<int>(int_or(c, "index", 0));
    d.finish_reason = str_or(c, "finish_reason");
    if (kind == RequestKind::chat) {
      const json::value* dv = c.if_contains("delta");
      if (dv != nullptr && dv->is_object()) {
        const json::object& delta = dv->get_object();
        d.role = str_or(delta, "role");
        d.content = str_or(delta, "content");
        if (const json::value* calls = delta.if_contains("tool_calls"); calls && calls->is_array()) {
          for (const json::value& call : calls->get_array()) {
            if (!call.is_object()) return garbage("tool call delta is not an object");
            ToolCallDelta t;
            t.index = static_cast<int>(int_or(call.get_object(), "index", 0));
            t.id = str_or(call.get_object(), "id");
            if (const json::value* fn = call.get_object().if_contains("function"); fn && fn->is_object()) {
              t.name = str_or(fn->get_object(), "name");
              t.arguments = str_or(fn->get_object(), "arguments");
            }
            d.tool_calls.push_back(std::move(t));
          }
        }
      } else if (dv != nullptr && !dv->is_null()) {
        return garbage("stream chunk delta is not an object");
      }
    } else {
      d.content = str_or(c, "text");
    }
    read_logprobs(c.if_contains("logprobs"), kind, d.logprobs);
    deltas.push_back(std::move(d));
  }
  return ok_status();
}

Result<EmbeddingResult> read_embedding_result(std::string_view body) {
  OCCAM_ASSIGN_OR_RETURN(json::value v, parse_body(body));
  if (!v.is_object()) return garbage("not a JSON object");
  const json::value* data = v.get_object().if_contains("data");
  if (data == nullptr || !data->is_array()) return garbage("no data array");
  EmbeddingResult result;
  result.vectors.resize(data->get_array().size());
  for (const json::value& item : data->get_array()) {
    if (!item.is_object()) return garbage("data item is not an object");
    int64_t index = int_or(item.get_object(), "index", -1);
    if (index < 0 || index >= static_cast<int64_t>(result.vectors.size()))
      return garbage("bad embedding index");
    const json::value* e = item.get_object().if_contains("embedding");
    if (e == nullptr || !e->is_array()) return garbage("embedding is not an array of numbers");
    std::vector<float>& out = result.vectors[static_cast<std::size_t>(index)];
    for (const json::value& x : e->get_array()) {
      double d = 0;
      if (!number_of(&x, d)) return garbage("embedding is not an array of numbers");
      out.push_back(static_cast<float>(d));
    }
  }
  if (const json::value* usage = v.get_object().if_contains("usage");
      usage != nullptr && usage->is_object()) {
    result.usage.prompt_tokens = int_or(usage->get_object(), "prompt_tokens", 0);
  }
  return result;
}

std::string read_error_message(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    const json::value* err = v.get_object().if_contains("error");
    if (err != nullptr && err->is_object()) {
      std::string_view m = str_or(err->get_object(), "message");
      if (!m.empty()) return std::string(m);
    }
    if (err != nullptr && err->is_string()) return std::string(err->get_string());
  }
  return std::string(body.substr(0, 200));
}

// ---------------------------------------------------------------------------------------------------

std::string write_generate_result(const GenerateResult& result, RequestKind kind, std::string_view model) {
  json::array choices;
  for (const Choice& c : result.choices) {
    json::object choice{{"index", c.index}};
    if (kind == RequestKind::chat) {
      json::object message{{"role", "assistant"}};
      if (c.content_null)
        message["content"] = nullptr;
      else
        message["content"] = c.text;
      if (!c.tool_calls.empty()) {
        json::array calls;
        for (const ToolCall& t : c.tool_calls) {
          calls.push_back(
              json::object{{"id", t.id},
                           {"type", "function"},
                           {"function", json::object{{"name", t.name}, {"arguments", t.arguments}}}});
        }
        message["tool_calls"] = std::move(calls);
      }
      message["refusal"] = nullptr;
      choice["message"] = std::move(message);
      if (result.has_logprobs)
        choice["logprobs"] = json::object{{"content", write_logprobs_content(c.logprobs)}};
      else
        choice["logprobs"] = nullptr;
    } else {
      choice["text"] = c.text;
      if (result.has_logprobs)
        choice["logprobs"] = write_completion_logprobs(c.logprobs);
      else
        choice["logprobs"] = nullptr;
    }
    choice["finish_reason"] = c.finish_reason.empty() ? "stop" : c.finish_reason;
    choices.push_back(std::move(choice));
  }
  json::object o{
      {"id", result.id},
      {"object", kind == RequestKind::chat ? "chat.completion" : "text_completion"},
      {"created", result.created},
      {"model", model},
      {"choices", std::move(choices)},
      {"usage", json::object{{"prompt_tokens", result.usage.prompt_tokens},
                             {"completion_tokens", result.usage.completion_tokens},
                             {"total_tokens", result.usage.prompt_tokens + result.usage.completion_tokens}}}};
  return json::serialize(o);
}

std::string write_generate_chunk(const Delta& d, RequestKind kind, std::string_view id, int64_t created,
                                 std::string_view model) {
  json::object choice{{"index", d.index}};
  if (kind == RequestKind::chat) {
    json::object delta;
    if (!d.role.empty()) delta["role"] = d.role;
    if (!d.content.empty() || (d.role.empty() && d.tool_calls.empty() && d.finish_reason.empty())) {
      delta["content"] = d.content;
    }
    if (!d.role.empty() && d.content.empty() && d.tool_calls.empty()) delta["content"] = "";
    if (!d.tool_calls.empty()) {
      json::array calls;
      for (const ToolCallDelta& t : d.tool_calls) {
        json::object fn{{"arguments", t.arguments}};
        if (!t.name.empty()) fn["name"] = t.name;
        json::object call{{"index", t.index}, {"function", std::move(fn)}};
        if (!t.id.empty()) {
          call["id"] = t.id;
          call["type"] = "function";
        }
        calls.push_back(std::move(call));
      }
      delta["tool_calls"] = std::move(calls);
    }
    choice["delta"] = std::move(delta);
    if (!d.logprobs.empty())
      choice["logprobs"] = json::object{{"content", write_logprobs_content(d.logprobs)}};
    else
      choice["logprobs"] = nullptr;
  } else {
    choice["text"] = d.content;
    if (!d.logprobs.empty())
      choice["logprobs"] = write_completion_logprobs(d.logprobs);
    else
      choice["logprobs"] = nullptr;
  }
  if (d.finish_reason.empty())
    choice["finish_reason"] = nullptr;
  else
    choice["finish_reason"] = d.finish_reason;
  json::object o{{"id", id},
                 {"object", kind == RequestKind::chat ? "chat.completion.chunk" : "text_completion"},
                 {"created", created},
                 {"model", model},
                 {"choices", json::array{std::move(choice)}}};
  return json::serialize(o);
}

namespace {
// A chunk without choices (usage, trace): the fields every chunk has.
json::object choiceless_chunk(RequestKind kind, std::string_view id, int64_t created,
                              std::string_view model) {
  return json::object{{"id", id},
                      {"object", kind == RequestKind::chat ? "chat.completion.chunk" : "text_completion"},
                      {"created", created},
                      {"model", model},
                      {"choices", json::array()}};
}
}  // namespace

std::string write_usage_chunk(const Usage& usage, RequestKind kind, std::string_view id, int64_t created,
                              std::string_view model) {
  json::object o = choiceless_chunk(kind, id, created, model);
  o["usage"] = json::object{{"prompt_tokens", usage.prompt_tokens},
                            {"completion_tokens", usage.completion_tokens},
                            {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
  return json::serialize(o);
}

std::string write_trace_chunk(const json::object& occam, RequestKind kind, std::string_view id,
                              int64_t created, std::string_view model) {
  json::object o = choiceless_chunk(kind, id, created, model);
  o["occam"] = occam;
  return json::serialize(o);
}

namespace {

std::string base64_encode(const unsigned char* data, std::size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (std::size_t i = 0; i < n; i += 3) {
    uint32_t chunk = uint32_t(data[i]) << 16;
    if (i + 1 < n) chunk |= uint32_t(data[i + 1]) << 8;
    if (i + 2 < n) chunk |= uint32_t(data[i + 2]);
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < n ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

}  // namespace

std::string write_embedding_result(const EmbeddingResult& result, std::string_view model, bool base64) {
  json::array data;
  for (std::size_t i = 0; i < result.vectors.size(); ++i) {
    const std::vector<float>& vec = result.vectors[i];
    json::object item{{"object", "embedding"}, {"index", i}};
    if (base64) {
      // float32 little-endian, which is the host order on every machine occam builds for (x86-64).
      item["embedding"] =
          base64_encode(reinterpret_cast<const unsigned char*>(vec.data()), vec.size() * sizeof(float));
    } else {
      json::array values;
      values.reserve(vec.size());
      for (float x : vec) values.push_back(static_cast<double>(x));
      item["embedding"] = std::move(values);
    }
    data.push_back(std::move(item));
  }
  json::object o{{"object", "list"},
                 {"data", std::move(data)},
                 {"model", model},
                 {"usage", json::object{{"prompt_tokens", result.usage.prompt_tokens},
                                        {"total_tokens", result.usage.prompt_tokens}}}};
  return json::serialize(o);
}

std::string write_error(std::string_view message, std::string_view type, std::string_view param,
                        std::string_view code) {
  json::object err{{"message", message}, {"type", type}};
  if (param.empty())
    err["param"] = nullptr;
  else
    err["param"] = param;
  if (code.empty())
    err["code"] = nullptr;
  else
    err["code"] = code;
  return json::serialize(json::object{{"error", std::move(err)}});
}

// ---------------------------------------------------------------------------------------------------

Choice& DeltaAccumulator::choice(int index) {
  for (Choice& c : choices_) {
    if (c.index == index) return c;
  }
  choices_.push_back(Choice{});
  choices_.back().index = index;
  return choices_.back();
}

void DeltaAccumulator::add(const Delta& d) {
  Choice& c = choice(d.index);
  c.text += d.content;
  for (const ToolCallDelta& t : d.tool_calls) {
    if (t.index < 0 || t.index > 1024) continue;  // a hostile index must not allocate
    if (static_cast<std::size_t>(t.index) >= c.tool_calls.size())
      c.tool_calls.resize(static_cast<std::size_t>(t.index) + 1);
    ToolCall& call = c.tool_calls[static_cast<std::size_t>(t.index)];
    if (!t.id.empty()) call.id = t.id;
    if (!t.name.empty()) call.name += t.name;
    call.arguments += t.arguments;
  }
  if (!d.finish_reason.empty()) c.finish_reason = d.finish_reason;
  c.logprobs.insert(c.logprobs.end(), d.logprobs.begin(), d.logprobs.end());
  c.content_null = c.text.empty() && !c.tool_calls.empty();
}

}  // namespace occam::backends
