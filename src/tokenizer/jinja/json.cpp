// JSON in and out: caller data (messages, tools, extra variables) becomes template values, and the
// tojson filter writes Python's json.dumps output (ensure_ascii=False), as Hugging Face's tojson does.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <boost/json.hpp>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/utf8.h"

namespace occam::jinja {
namespace {

constexpr int kMaxJsonDepth = 256;

void json_string(std::string_view s, std::string& out, bool ensure_ascii) {
  out.push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    const auto c = static_cast<unsigned char>(ch);
    if (ensure_ascii && c >= 0x80) {
      size_t pos = i;
      const char32_t cp = utf8_decode(s, pos);
      i = pos - 1;
      char buffer[16];
      if (cp >= 0x10000) {
        const char32_t v = cp - 0x10000;
        std::snprintf(buffer, sizeof buffer, "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                      static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
      } else {
        std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
      }
      out += buffer;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
          out += buffer;
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

std::string json_float(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "Infinity" : "-Infinity";
  return float_repr(f);
}

Result<std::string> json_key(const Value& key) {
  switch (key.kind()) {
    case Kind::string: return key.as_string();
    case Kind::integer: return std::to_string(key.as_int());
    case Kind::floating: return json_float(key.as_float());
    case Kind::boolean: return std::string(key.as_bool() ? "true" : "false");
    case Kind::none: return std::string("null");
    default:
      return make_error(ErrorCode::invalid_argument, "TypeError: keys must be str, int, float, bool or None, not {}",
                        type_name(key));
  }
}

class JsonWriter {
 public:
  JsonWriter(Interpreter& interp, const JsonFormat& format) : interp_(interp), format_(format) {}

  Status write(const Value& v, int depth, std::string& out) {
    if (depth > kMaxJsonDepth) return make_error(ErrorCode::invalid_argument, "ValueError: Circular reference detected");
    OCCAM_TRY(interp_.charge(1));
    OCCAM_TRY(interp_.check_size(out.size()));
    switch (v.kind()) {
      case Kind::none: out += "null"; return ok_status();
      case Kind::boolean: out += v.as_bool() ? "true" : "false"; return ok_status();
      case Kind::integer: out += std::to_string(v.as_int()); return ok_status();
      case Kind::floating: out += json_float(v.as_float()); return ok_status();
      case Kind::string: json_string(v.as_string(), out, format_.ensure_ascii); return ok_status();
      case Kind::list: {
        const ListData& l = v.list_data();
        if (l.kind != ListKind::list && l.kind != ListKind::tuple) break;
        if (l.items.empty()) {
          out += "[]";
          return ok_status();
        }
        out.push_back('[');
        for (size_t i = 0; i < l.items.size(); ++i) {
          if (i > 0) out += format_.item_separator;
          newline(depth + 1, out);
          OCCAM_TRY(write(l.items[i], depth + 1, out));
        }
        newline(depth, out);
        out.push_back(']');
        return ok_status();
      }
      case Kind::dict: {
        const auto& entries = v.dict_data().entries;
        if (entries.empty()) {
          out += "{}";
          return ok_status();
        }
        std::vector<std::pair<std::string, const Value*>> items;
        items.reserve(entries.size());
        for (const auto& [key, value] : entries) {
          OCCAM_ASSIGN_OR_RETURN(std::string k, json_key(key));
          items.emplace_back(std::move(k), &value);
        }
        if (format_.sort_keys) {
          std::stable_sort(items.begin(), items.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
        }
        out.push_back('{');
        for (size_t i = 0; i < items.size(); ++i) {
          if (i > 0) out += format_.item_separator;
          newline(depth + 1, out);
          json_string(items[i].first, out, format_.ensure_ascii);
          out += format_.key_separator;
          OCCAM_TRY(write(*items[i].second, depth + 1, out));
        }
        newline(depth, out);
        out.push_back('}');
        return ok_status();
      }
      default: break;
    }
    return make_error(ErrorCode::invalid_argument, "TypeError: Object of type {} is not JSON serializable", type_name(v));
  }

 private:
  void newline(int depth, std::string& out) const {
    if (!format_.indent) return;
    out.push_back('\n');
    for (int i = 0; i < depth; ++i) out += *format_.indent;
  }

  Interpreter& interp_;
  const JsonFormat& format_;
};

}  // namespace

Result<std::string> to_json(Interpreter& interp, const Value& v, const JsonFormat& format) {
  std::string out;
  OCCAM_TRY(JsonWriter(interp, format).write(v, 0, out));
  OCCAM_TRY(interp.check_size(out.size()));
  return out;
}

Value from_json(const boost::json::value& json) {
  switch (json.kind()) {
    case boost::json::kind::null: return Value::none();
    case boost::json::kind::bool_: return Value::boolean(json.get_bool());
    case boost::json::kind::int64: return Value::integer(json.get_int64());
    case boost::json::kind::uint64: {
      const uint64_t u = json.get_uint64();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Value::integer(static_cast<int64_t>(u));
      return Value::floating(static_cast<double>(u));
    }
    case boost::json::kind::double_: return Value::floating(json.get_double());
    case boost::json::kind::string: return Value::string(std::string(json.get_string()));
    case boost::json::kind::array: {
      std::vector<Value> items;
      items.reserve(json.get_array().size());
      for (const auto& item : json.get_array()) items.push_back(from_json(item));
      return Value::list(std::move(items));
    }
    case boost::json::kind::object: {
      auto data = std::make_shared<DictData>();
      data->entries.reserve(json.get_object().size());
      for (const auto& [key, value] : json.get_object()) {
        data->entries.emplace_back(Value::string(std::string(key)), from_json(value));
      }
      return Value::dict(std::move(data));
    }
  }
  return Value::none();
}

}  // namespace occam::jinja
