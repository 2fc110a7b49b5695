// Python/Jinja2 semantics shared by the interpreter and the builtins: argument binding, iteration,
// attribute and item access (as jinja2's ImmutableSandboxedEnvironment does them), slicing, `in`.
#include <algorithm>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/utf8.h"

namespace occam::jinja {

Result<ArgReader> ArgReader::bind(std::string_view function, CallArgs& args, std::initializer_list<std::string_view> names,
                                  size_t required) {
  ArgReader reader;
  reader.values_.assign(names.size(), nullptr);
  if (args.positional.size() > names.size()) {
    return make_error(ErrorCode::invalid_argument, "TypeError: {}() takes at most {} argument(s) ({} given)", function,
                      names.size(), args.positional.size());
  }
  for (size_t i = 0; i < args.positional.size(); ++i) reader.values_[i] = &args.positional[i];
  for (const auto& [key, value] : args.keyword) {
    const auto it = std::find(names.begin(), names.end(), key);
    if (it == names.end()) {
      return make_error(ErrorCode::invalid_argument, "TypeError: {}() got an unexpected keyword argument '{}'", function,
                        key);
    }
    const size_t i = static_cast<size_t>(it - names.begin());
    if (reader.values_[i] != nullptr) {
      return make_error(ErrorCode::invalid_argument, "TypeError: {}() got multiple values for argument '{}'", function,
                        key);
    }
    reader.values_[i] = &value;
  }
  for (size_t i = 0; i < required; ++i) {
    if (reader.values_[i] == nullptr) {
      return make_error(ErrorCode::invalid_argument, "TypeError: {}() missing required argument '{}'", function,
                        *(names.begin() + i));
    }
  }
  return reader;
}

Result<std::vector<Value>> iterate(const Value& v) {
  switch (v.kind()) {
    case Kind::undefined: return std::vector<Value>{};
    case Kind::list: {
      ListData& l = v.list_data();
      if (l.kind == ListKind::generator || l.kind == ListKind::reverse_iterator) {
        if (l.consumed) return std::vector<Value>{};
        l.consumed = true;
        return std::move(l.items);
      }
      return l.items;
    }
    case Kind::dict: {
      std::vector<Value> keys;
      keys.reserve(v.dict_data().entries.size());
      for (const auto& entry : v.dict_data().entries) keys.push_back(entry.first);
      return keys;
    }
    case Kind::string: {
      std::vector<Value> chars;
      const std::string& s = v.as_string();
      size_t pos = 0;
      while (pos < s.size()) {
        const size_t start = pos;
        utf8_decode(s, pos);
        chars.push_back(Value::string(s.substr(start, pos - start), v.markup()));
      }
      return chars;
    }
    default:
      return make_error(ErrorCode::invalid_argument, "TypeError: '{}' object is not iterable", type_name(v));
  }
}

namespace {

bool is_mutating_method(const Value& obj, std::string_view name) {
  static constexpr std::string_view list_methods[] = {"append", "clear", "extend", "insert", "pop", "remove",
                                                      "reverse", "sort"};
  static constexpr std::string_view dict_methods[] = {"clear", "pop", "popitem", "setdefault", "update"};
  if (obj.is_list() && obj.list_data().kind == ListKind::list) {
    return std::find(std::begin(list_methods), std::end(list_methods), name) != std::end(list_methods);
  }
  if (obj.is_dict()) return std::find(std::begin(dict_methods), std::end(dict_methods), name) != std::end(dict_methods);
  return false;
}

// getattr(obj, name) as the immutable sandbox allows it: methods, namespace attributes.
std::optional<Value> python_attribute(const Value& obj, std::string_view name) {
  if (obj.is_ns()) {
    const Value* v = obj.dict_data().find(name);
    if (v != nullptr) return *v;
    return std::nullopt;
  }
  if (is_mutating_method(obj, name)) {
    return Value::undefined(fmt::format("access to attribute '{}' of '{}' object is unsafe.", name, type_name(obj)),
                            true);
  }
  return find_method(obj, name);
}

Value missing_attribute(const Value& obj, std::string_view name) {
  return Value::undefined(fmt::format("'{}' has no attribute '{}'", object_type_repr(obj), name));
}

Value missing_element(const Value& obj, const Value& key) {
  return Value::undefined(fmt::format("{} has no element {}", object_type_repr(obj), repr(key)));
}

bool is_index(const Value& v) { return v.is_int() || v.is_bool(); }
int64_t index_of(const Value& v) { return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int(); }

}  // namespace

Result<Value> get_attr(const Value& obj, std::string_view name) {
  if (obj.is_undefined()) return undefined_error(obj);
  if (std::optional<Value> attr = python_attribute(obj, name)) return *attr;
  if (obj.is_dict()) {
    const Value* v = obj.dict_data().find(name);
    if (v != nullptr) return *v;
  }
  return missing_attribute(obj, name);
}

Result<Value> get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) return undefined_error(obj);
  if (key.is_undefined()) return undefined_error(key);
  if (obj.is_dict()) {
    const Value* v = obj.dict_data().find(key);
    if (v != nullptr) return *v;
  } else if (obj.is_sequence_list() && is_index(key)) {
    const auto& items = obj.list_data().items;
    int64_t i = index_of(key);
    const auto n = static_cast<int64_t>(items.size());
    if (i < 0) i += n;
    if (i >= 0 && i < n) return items[static_cast<size_t>(i)];
    return missing_element(obj, key);
  } else if (obj.is_string() && is_index(key)) {
    const std::string& s = obj.as_string();
    int64_t i = index_of(key);
    if (is_ascii(s)) {
      const auto n = static_cast<int64_t>(s.size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return Value::string(s.substr(static_cast<size_t>(i), 1), obj.markup());
    } else {
      const auto cps = utf8_code_points(s);
      const auto n = static_cast<int64_t>(cps.size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) {
        return Value::string(utf8_from_code_points(cps, static_cast<size_t>(i), static_cast<size_t>(i) + 1), obj.markup());
      }
    }
    return missing_element(obj, key);
  }
  if (key.is_string()) {
    if (std::optional<Value> attr = python_attribute(obj, key.as_string())) return *attr;
    return missing_attribute(obj, key.as_string());
  }
  return missing_element(obj, key);
}

namespace {

Result<int64_t> slice_bound(const Value& v, int64_t fallback) {
  if (v.is_none()) return fallback;
  if (is_index(v)) return index_of(v);
  if (v.is_undefined()) return undefined_error(v);
  return make_error(ErrorCode::invalid_argument,
                    "TypeError: slice indices must be integers or None or have an __index__ method");
}

// Python's slice.indices(): the positions a slice selects from a sequence of length n.
Result<std::vector<size_t>> slice_positions(int64_t n, const Value& start_v, const Value& stop_v, const Value& step_v) {
  OCCAM_ASSIGN_OR_RETURN(int64_t step, slice_bound(step_v, 1));
  if (step == 0) return make_error(ErrorCode::invalid_argument, "ValueError: slice step cannot be zero");
  const int64_t lower = step < 0 ? -1 : 0;
  const int64_t upper = step < 0 ? n - 1 : n;
  const auto clamp = [&](int64_t i) {
    if (i < 0) {
      i += n;
      return i < lower ? lower : i;
    }
    return i > upper ? upper : i;
  };
  OCCAM_ASSIGN_OR_RETURN(int64_t start, slice_bound(start_v, step < 0 ? upper : lower));
  OCCAM_ASSIGN_OR_RETURN(int64_t stop, slice_bound(stop_v, step < 0 ? lower : upper));
  if (!start_v.is_none()) start = clamp(start);
  if (!stop_v.is_none()) stop = clamp(stop);
  std::vector<size_t> positions;
  if (step > 0) {
    for (int64_t i = start; i < stop; i += step) positions.push_back(static_cast<size_t>(i));
  } else {
    for (int64_t i = start; i > stop; i += step) positions.push_back(static_cast<size_t>(i));
  }
  return positions;
}

}  // namespace

Result<Value> get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  if (obj.is_undefined()) return undefined_error(obj);
  if (obj.is_sequence_list()) {
    const auto& items = obj.list_data().items;
    OCCAM_ASSIGN_OR_RETURN(auto positions, slice_positions(static_cast<int64_t>(items.size()), start, stop, step));
    std::vector<Value> out;
    out.reserve(positions.size());
    for (size_t p : positions) out.push_back(items[p]);
    return Value::list(std::move(out), obj.list_data().kind);
  }
  if (obj.is_string()) {
    const auto cps = utf8_code_points(obj.as_string());
    OCCAM_ASSIGN_OR_RETURN(auto positions, slice_positions(static_cast<int64_t>(cps.size()), start, stop, step));
    std::string out;
    for (size_t p : positions) utf8_append(out, cps[p]);
    return Value::string(std::move(out), obj.markup());
  }
  return Value::undefined(fmt::format("{} has no element slice", object_type_repr(obj)));
}

Result<Value> get_attribute_path(const Value& obj, const Value& path) {
  if (!path.is_string()) return get_item(obj, path);
  Value current = obj;
  const std::string& p = path.as_string();
  size_t begin = 0;
  while (true) {
    const size_t dot = p.find('.', begin);
    const std::string part = p.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin);
    Value key = Value::string(part);
    if (!part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        part.size() < 18) {
      key = Value::integer(std::stoll(part));
    }
    OCCAM_ASSIGN_OR_RETURN(current, get_item(current, key));
    if (dot == std::string::npos) return current;
    begin = dot + 1;
  }
}

Result<bool> contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Kind::string:
      if (!item.is_string()) {
        if (item.is_undefined()) return undefined_error(item);
        return make_error(ErrorCode::invalid_argument, "TypeError: 'in <string>' requires string as left operand, not {}",
                          type_name(item));
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Kind::undefined: return false;
    case Kind::list: {
      OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(container));
      for (const auto& v : items) {
        if (py_equal(v, item)) return true;
      }
      return false;
    }
    case Kind::dict:
      if ((item.is_list() && item.list_data().kind != ListKind::tuple) || item.is_dict()) {
        return make_error(ErrorCode::invalid_argument, "TypeError: unhashable type: '{}'", type_name(item));
      }
      return container.dict_data().find(item) != nullptr;
    default:
      return make_error(ErrorCode::invalid_argument, "TypeError: argument of type '{}' is not iterable",
                        type_name(container));
  }
}

Result<std::string> to_string_checked(const Value& v) { return to_str(v); }

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\'': out += "&#39;"; break;
      case '"': out += "&#34;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace occam::jinja
