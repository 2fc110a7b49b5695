// Methods of str, dict and list/tuple that the immutable sandbox allows (`s.strip()`, `d.items()`,
// `l.index(x)`); mutating ones are refused in access.cpp as jinja2's SecurityError does.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/strings.h"
#include "tokenizer/jinja/utf8.h"

namespace occam::jinja {
namespace {

using MethodFn = Result<Value> (*)(Interpreter&, const Value& self, CallArgs& args);

Error type_error(std::string message) { return Error(ErrorCode::invalid_argument, "TypeError: " + std::move(message)); }

Result<std::optional<std::string>> optional_str(const Value* v, std::string_view what) {
  if (v == nullptr || v->is_none()) return std::optional<std::string>{};
  if (!v->is_string()) return type_error(fmt::format("{} arg must be None or str", what));
  return std::optional<std::string>(v->as_string());
}

Result<int64_t> int_or(const Value* v, int64_t fallback) {
  if (v == nullptr || v->is_none()) return fallback;
  if (v->is_int()) return v->as_int();
  if (v->is_bool()) return v->as_bool() ? 1 : 0;
  return type_error(fmt::format("'{}' object cannot be interpreted as an integer", type_name(*v)));
}

Value string_list(std::vector<std::string> parts) {
  std::vector<Value> items;
  items.reserve(parts.size());
  for (auto& p : parts) items.push_back(Value::string(std::move(p)));
  return Value::list(std::move(items));
}

Result<Value> s_strip_common(const Value& self, CallArgs& args, std::string_view name, bool left, bool right) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind(name, args, {"chars"}));
  OCCAM_ASSIGN_OR_RETURN(auto chars, optional_str(a.get(0), name));
  return Value::string(py_strip(self.as_string(), chars, left, right), self.markup());
}
Result<Value> s_strip(Interpreter&, const Value& s, CallArgs& a) { return s_strip_common(s, a, "strip", true, true); }
Result<Value> s_lstrip(Interpreter&, const Value& s, CallArgs& a) { return s_strip_common(s, a, "lstrip", true, false); }
Result<Value> s_rstrip(Interpreter&, const Value& s, CallArgs& a) { return s_strip_common(s, a, "rstrip", false, true); }

Result<Value> s_split_common(const Value& self, CallArgs& args, bool reverse) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind(reverse ? "rsplit" : "split", args, {"sep", "maxsplit"}));
  OCCAM_ASSIGN_OR_RETURN(auto sep, optional_str(a.get(0), "sep"));
  if (sep && sep->empty()) return make_error(ErrorCode::invalid_argument, "ValueError: empty separator");
  OCCAM_ASSIGN_OR_RETURN(int64_t maxsplit, int_or(a.get(1), -1));
  return string_list(reverse ? py_rsplit(self.as_string(), sep, maxsplit) : py_split(self.as_string(), sep, maxsplit));
}
Result<Value> s_split(Interpreter&, const Value& s, CallArgs& a) { return s_split_common(s, a, false); }
Result<Value> s_rsplit(Interpreter&, const Value& s, CallArgs& a) { return s_split_common(s, a, true); }

Result<Value> s_splitlines(Interpreter&, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("splitlines", args, {"keepends"}));
  return string_list(py_splitlines(self.as_string(), a.get(0) != nullptr && truthy(*a.get(0))));
}

Result<Value> s_affix(const Value& self, CallArgs& args, bool prefix) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind(prefix ? "startswith" : "endswith", args, {"prefix", "start", "end"}, 1));
  std::vector<Value> candidates;
  if (a.get(0)->is_list() && a.get(0)->list_data().kind == ListKind::tuple) {
    candidates = a.get(0)->list_data().items;
  } else {
    candidates.push_back(*a.get(0));
  }
  std::string_view s = self.as_string();
  std::string sliced;
  if (a.get(1) != nullptr || a.get(2) != nullptr) {
    OCCAM_ASSIGN_OR_RETURN(Value part, get_slice(self, a.get_or(1, Value::none()), a.get_or(2, Value::none()), Value::none()));
    sliced = part.as_string();
    s = sliced;
  }
  for (const auto& c : candidates) {
    if (!c.is_string()) {
      return type_error(fmt::format("{} first arg must be str or a tuple of str, not {}",
                                    prefix ? "startswith" : "endswith", type_name(c)));
    }
    if (prefix ? s.starts_with(c.as_string()) : s.ends_with(c.as_string())) return Value::boolean(true);
  }
  return Value::boolean(false);
}
Result<Value> s_startswith(Interpreter&, const Value& s, CallArgs& a) { return s_affix(s, a, true); }
Result<Value> s_endswith(Interpreter&, const Value& s, CallArgs& a) { return s_affix(s, a, false); }

template <std::string (*F)(std::string_view)>
Result<Value> s_map(Interpreter&, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("method", args, {}));
  (void)a;
  return Value::string(F(self.as_string()), self.markup());
}

std::string swapcase(std::string_view s) {
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = utf8_decode(s, pos);
    utf8_append(out, py_is_cased_upper(cp) ? py_to_lower(cp) : py_to_upper(cp));
  }
  return out;
}

Result<Value> s_replace(Interpreter& interp, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("replace", args, {"old", "new", "count"}, 2));
  if (!a.get(0)->is_string() || !a.get(1)->is_string()) return type_error("replace() arguments must be str");
  OCCAM_ASSIGN_OR_RETURN(int64_t count, int_or(a.get(2), -1));
  OCCAM_TRY(interp.check_size(replaced_size(self.as_string(), a.get(0)->as_string(), a.get(1)->as_string(), count)));
  std::string out = py_replace(self.as_string(), a.get(0)->as_string(), a.get(1)->as_string(), count);
  return Value::string(std::move(out));
}

Result<Value> s_find_common(const Value& self, CallArgs& args, bool reverse, bool must) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("find", args, {"sub"}, 1));
  if (!a.get(0)->is_string()) return type_error("must be str");
  const int64_t at = py_find(self.as_string(), a.get(0)->as_string(), reverse);
  if (must && at < 0) return make_error(ErrorCode::invalid_argument, "ValueError: substring not found");
  return Value::integer(at);
}
Result<Value> s_find(Interpreter&, const Value& s, CallArgs& a) { return s_find_common(s, a, false, false); }
Result<Value> s_rfind(Interpreter&, const Value& s, CallArgs& a) { return s_find_common(s, a, true, false); }
Result<Value> s_index(Interpreter&, const Value& s, CallArgs& a) { return s_find_common(s, a, false, true); }

Result<Value> s_count(Interpreter&, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("count", args, {"sub"}, 1));
  if (!a.get(0)->is_string()) return type_error("must be str");
  return Value::integer(py_count(self.as_string(), a.get(0)->as_string()));
}

Result<Value> s_join(Interpreter& interp, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("join", args, {"iterable"}, 1));
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(*a.get(0)));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      return type_error(fmt::format("sequence item {}: expected str instance, {} found", i, type_name(items[i])));
    }
    if (i > 0) out += self.as_string();
    out += items[i].as_string();
    OCCAM_TRY(interp.check_size(out.size()));
  }
  return Value::string(std::move(out));
}

template <bool (*P)(char32_t)>
Result<Value> s_is(Interpreter&, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("is", args, {}));
  (void)a;
  const std::string& s = self.as_string();
  if (s.empty()) return Value::boolean(false);
  size_t pos = 0;
  while (pos < s.size()) {
    if (!P(utf8_decode(s, pos))) return Value::boolean(false);
  }
  return Value::boolean(true);
}
bool is_alnum(char32_t cp) { return py_is_alpha(cp) || py_is_digit(cp); }

Result<Value> s_affix_remove(const Value& self, CallArgs& args, bool prefix) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind(prefix ? "removeprefix" : "removesuffix", args, {"affix"}, 1));
  if (!a.get(0)->is_string()) return type_error("argument must be str");
  const std::string& s = self.as_string();
  const std::string& x = a.get(0)->as_string();
  if (prefix && s.starts_with(x)) return Value::string(s.substr(x.size()));
  if (!prefix && s.ends_with(x)) return Value::string(s.substr(0, s.size() - x.size()));
  return Value::string(s);
}
Result<Value> s_removeprefix(Interpreter&, const Value& s, CallArgs& a) { return s_affix_remove(s, a, true); }
Result<Value> s_removesuffix(Interpreter&, const Value& s, CallArgs& a) { return s_affix_remove(s, a, false); }

// One replacement field of str.format: [[fill]align][sign][0][width][.precision][type] for s, d, f, %.
Result<std::string> format_field(const Value& v, const std::string& spec) {
  if (spec.empty()) return to_str(v);
  size_t i = 0;
  char fill = ' ';
  char align = 0;
  const auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (spec.size() >= 2 && is_align(spec[1])) {
    fill = spec[0];
    align = spec[1];
    i = 2;
  } else if (is_align(spec[0])) {
    align = spec[0];
    i = 1;
  }
  char sign = 0;
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) sign = spec[i++];
  if (i < spec.size() && spec[i] == '0' && align == 0) {
    fill = '0';
    align = '=';
    ++i;
  }
  size_t width = 0;
  while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i])) && width < 100000) {
    width = width * 10 + static_cast<size_t>(spec[i++] - '0');
  }
  int precision = -1;
  if (i < spec.size() && spec[i] == '.') {
    precision = 0;
    ++i;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i])) && precision < 1000) {
      precision = precision * 10 + (spec[i++] - '0');
    }
  }
  char type = 0;
  if (i < spec.size()) type = spec[i++];
  if (i != spec.size() || width > 4096) return make_error(ErrorCode::unsupported, "unsupported format spec '{}'", spec);
  std::string body;
  bool numeric = false;
  if (type == 0 && v.is_string()) type = 's';
  if (type == 's') {
    if (!v.is_string()) return make_error(ErrorCode::invalid_argument, "ValueError: Unknown format code 's' for object of type '{}'", type_name(v));
    body = precision >= 0 ? utf8_from_code_points(utf8_code_points(v.as_string()), 0, static_cast<size_t>(precision))
                          : v.as_string();
  } else if (v.is_number()) {
    numeric = true;
    char buffer[1100];
    const double x = v.as_number();
    if (type == 'd' || (type == 0 && !v.is_float() && precision < 0)) {
      if (v.is_float()) return make_error(ErrorCode::invalid_argument, "ValueError: Unknown format code 'd' for object of type 'float'");
      body = std::to_string(v.is_bool() ? v.as_bool() : v.as_int());
    } else if (type == 'f' || type == 'F' || type == 'e' || type == 'E' || type == '%') {
      const double y = type == '%' ? x * 100 : x;
      const char conv = type == '%' ? 'f' : type;
      std::snprintf(buffer, sizeof buffer, (std::string("%.*") + conv).c_str(), precision < 0 ? 6 : precision, y);
      body = buffer;
      if (type == '%') body += '%';
    } else if (type == 0 && v.is_float() && precision < 0) {
      body = float_repr(x);
    } else {
      return make_error(ErrorCode::unsupported, "unsupported format spec '{}'", spec);
    }
    if (!body.empty() && body[0] != '-' && (sign == '+' || sign == ' ')) body.insert(body.begin(), sign);
  } else {
    return make_error(ErrorCode::unsupported, "unsupported format spec '{}' for {}", spec, type_name(v));
  }
  const size_t len = utf8_length(body);
  if (len >= width) return body;
  const size_t pad = width - len;
  if (align == 0) align = numeric ? '>' : '<';
  if (align == '<') return body + std::string(pad, fill);
  if (align == '>') return std::string(pad, fill) + body;
  if (align == '^') return std::string(pad / 2, fill) + body + std::string(pad - pad / 2, fill);
  const size_t sign_len = (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) ? 1 : 0;
  return body.substr(0, sign_len) + std::string(pad, fill) + body.substr(sign_len);
}

Result<Value> s_format(Interpreter& interp, const Value& self, CallArgs& args) {
  const std::string& f = self.as_string();
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    const char c = f[i];
    if (c == '}') {
      if (i + 1 < f.size() && f[i + 1] == '}') ++i;
      else return make_error(ErrorCode::invalid_argument, "ValueError: Single '}}' encountered in format string");
      out.push_back('}');
      continue;
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < f.size() && f[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    const size_t close = f.find('}', i);
    if (close == std::string::npos) {
      return make_error(ErrorCode::invalid_argument, "ValueError: Single '{{' encountered in format string");
    }
    std::string field = f.substr(i + 1, close - i - 1);
    i = close;
    std::string spec;
    if (const size_t colon = field.find(':'); colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field.resize(colon);
    }
    char conversion = 0;
    if (const size_t bang = field.find('!'); bang != std::string::npos) {
      if (bang + 2 != field.size()) return make_error(ErrorCode::invalid_argument, "ValueError: invalid conversion");
      conversion = field[bang + 1];
      field.resize(bang);
    }
    const Value* value = nullptr;
    if (field.empty() || std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
      const size_t index = field.empty() ? auto_index++ : static_cast<size_t>(std::atoi(field.c_str()));
      if (index >= args.positional.size() || field.size() > 6) {
        return make_error(ErrorCode::invalid_argument, "IndexError: Replacement index {} out of range for positional args tuple", index);
      }
      value = &args.positional[index];
    } else {
      for (const auto& [key, v] : args.keyword) {
        if (key == field) value = &v;
      }
      if (value == nullptr) return make_error(ErrorCode::invalid_argument, "KeyError: '{}'", field);
    }
    Value converted = *value;
    if (conversion == 'r') converted = Value::string(repr(*value));
    else if (conversion == 's') converted = Value::string(to_str(*value));
    else if (conversion != 0) return make_error(ErrorCode::invalid_argument, "ValueError: Unknown conversion specifier {}", conversion);
    OCCAM_ASSIGN_OR_RETURN(std::string text, format_field(converted, spec));
    out += text;
    OCCAM_TRY(interp.check_size(out.size()));
  }
  return Value::string(std::move(out));
}

Result<Value> d_items(Interpreter&, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("items", args, {}));
  (void)a;
  std::vector<Value> pairs;
  for (const auto& [k, v] : self.dict_data().entries) pairs.push_back(Value::list({k, v}, ListKind::tuple));
  return Value::list(std::move(pairs), ListKind::dict_items);
}

Result<Value> d_keys(Interpreter&, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("keys", args, {}));
  (void)a;
  std::vector<Value> keys;
  for (const auto& entry : self.dict_data().entries) keys.push_back(entry.first);
  return Value::list(std::move(keys), ListKind::dict_keys);
}

Result<Value> d_values(Interpreter&, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("values", args, {}));
  (void)a;
  std::vector<Value> values;
  for (const auto& entry : self.dict_data().entries) values.push_back(entry.second);
  return Value::list(std::move(values), ListKind::dict_values);
}

Result<Value> d_get(Interpreter&, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("get", args, {"key", "default"}, 1));
  if (const Value* v = self.dict_data().find(*a.get(0))) return *v;
  return a.get_or(1, Value::none());
}

Result<Value> d_copy(Interpreter&, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("copy", args, {}));
  (void)a;
  return Value::dict(std::make_shared<DictData>(self.dict_data()));
}

Result<Value> l_count(Interpreter&, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("count", args, {"value"}, 1));
  const auto& items = self.list_data().items;
  return Value::integer(std::count_if(items.begin(), items.end(), [&](const Value& v) { return py_equal(v, *a.get(0)); }));
}

Result<Value> l_index(Interpreter&, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("index", args, {"value"}, 1));
  const auto& items = self.list_data().items;
  for (size_t i = 0; i < items.size(); ++i) {
    if (py_equal(items[i], *a.get(0))) return Value::integer(static_cast<int64_t>(i));
  }
  return make_error(ErrorCode::invalid_argument, "ValueError: {} is not in list", repr(*a.get(0)));
}

Result<Value> l_copy(Interpreter&, const Value& self, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("copy", args, {}));
  (void)a;
  return Value::list(self.list_data().items);
}

const std::unordered_map<std::string_view, MethodFn>& str_methods() {
  static const std::unordered_map<std::string_view, MethodFn> table = {
      {"strip", s_strip},           {"lstrip", s_lstrip},           {"rstrip", s_rstrip},
      {"split", s_split},           {"rsplit", s_rsplit},           {"splitlines", s_splitlines},
      {"startswith", s_startswith}, {"endswith", s_endswith},       {"upper", s_map<py_upper>},
      {"lower", s_map<py_lower>},   {"title", s_map<py_title>},     {"capitalize", s_map<py_capitalize>},
      {"swapcase", s_map<swapcase>}, {"casefold", s_map<py_lower>}, {"replace", s_replace},
      {"find", s_find},             {"rfind", s_rfind},             {"index", s_index},
      {"count", s_count},           {"join", s_join},               {"format", s_format},
      {"isdigit", s_is<py_is_digit>}, {"isnumeric", s_is<py_is_digit>}, {"isdecimal", s_is<py_is_digit>},
      {"isalpha", s_is<py_is_alpha>}, {"isalnum", s_is<is_alnum>},  {"isspace", s_is<py_is_space>},
      {"removeprefix", s_removeprefix}, {"removesuffix", s_removesuffix},
  };
  return table;
}

const std::unordered_map<std::string_view, MethodFn>& dict_methods() {
  static const std::unordered_map<std::string_view, MethodFn> table = {
      {"items", d_items}, {"keys", d_keys}, {"values", d_values}, {"get", d_get}, {"copy", d_copy},
  };
  return table;
}

const std::unordered_map<std::string_view, MethodFn>& list_methods() {
  static const std::unordered_map<std::string_view, MethodFn> table = {
      {"count", l_count}, {"index", l_index}, {"copy", l_copy},
  };
  return table;
}

}  // namespace

std::optional<Value> find_method(const Value& self, std::string_view name) {
  const std::unordered_map<std::string_view, MethodFn>* table = nullptr;
  if (self.is_string()) {
    table = &str_methods();
  } else if (self.is_dict()) {
    table = &dict_methods();
  } else if (self.is_sequence_list()) {
    table = &list_methods();
    if (name == "copy" && self.list_data().kind == ListKind::tuple) return std::nullopt;
  } else {
    return std::nullopt;
  }
  const auto it = table->find(name);
  if (it == table->end()) return std::nullopt;
  auto fn = std::make_shared<Callable>();
  fn->name = std::string(name);
  const MethodFn method = it->second;
  fn->builtin = [method, self](Interpreter& interp, CallArgs& args) -> Result<Value> {
    OCCAM_TRY(interp.charge(work_units(self)));  // every method makes at most a few passes over its object
    return method(interp, self, args);
  };
  return Value::callable(std::move(fn));
}

}  // namespace occam::jinja
