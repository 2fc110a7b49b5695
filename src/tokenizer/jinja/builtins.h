// The builtin library: filters, tests, methods of str/dict/list, global functions, and the Python
// semantics of attribute access, indexing, iteration, operators and JSON that they share.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/error.h"
#include "tokenizer/jinja/value.h"

namespace occam::jinja {

class Interpreter;

using FilterFn = Result<Value> (*)(Interpreter&, const Value& input, CallArgs& args);
using TestFn = Result<bool> (*)(Interpreter&, const Value& input, CallArgs& args);

// nullptr when the name is unknown.
FilterFn find_filter(std::string_view name);
TestFn find_test(std::string_view name);
// A bound method of a str, dict or list (`s.strip`, `d.items`), or nullopt.
std::optional<Value> find_method(const Value& self, std::string_view name);
// The global functions every template sees: range, namespace, dict, raise_exception, strftime_now, ...
std::vector<std::pair<std::string, Value>> builtin_globals();

// Positional-or-keyword arguments of a builtin, checked like Python: too many or unknown → TypeError.
class ArgReader {
 public:
  static Result<ArgReader> bind(std::string_view function, CallArgs& args,
                                std::initializer_list<std::string_view> names, size_t required = 0);
  // Argument `i` (by position or by name), or nullptr when not given.
  const Value* get(size_t i) const { return i < values_.size() ? values_[i] : nullptr; }
  const Value& get_or(size_t i, const Value& fallback) const {
    const Value* v = get(i);
    return v != nullptr ? *v : fallback;
  }

 private:
  std::vector<const Value*> values_;
};

// Python iter(): the items of a list/tuple/iterator, the keys of a dict, the characters of a string;
// Undefined iterates as empty. Consumes single-pass iterators.
Result<std::vector<Value>> iterate(const Value& v);
// Jinja2's `obj.name` (attribute first, then item) and `obj[key]` (item first, then attribute).
// Missing → Undefined carrying jinja2's message; using an Undefined object is an UndefinedError.
Result<Value> get_attr(const Value& obj, std::string_view name);
Result<Value> get_item(const Value& obj, const Value& key);
Result<Value> get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
// `attribute=` paths of map/selectattr/sort: dotted, integer parts index lists.
Result<Value> get_attribute_path(const Value& obj, const Value& path);

// Binary operators with Python semantics; `op` is one of + - * / // % ** ~.
Result<Value> binary_op(Interpreter& interp, std::string_view op, const Value& a, const Value& b);
Result<bool> contains(const Value& container, const Value& item);
Result<std::string> to_string_checked(const Value& v);
// HTML escaping of markupsafe (& < > ' ").
std::string html_escape(std::string_view text);

// json.dumps(value, ensure_ascii=False, indent=..., separators=..., sort_keys=...) as Hugging Face's tojson.
struct JsonFormat {
  std::optional<std::string> indent;  // per-level indent text; nullopt = single line
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;  // escape non-ASCII as \uXXXX (surrogate pairs above U+FFFF)
};
Result<std::string> to_json(Interpreter& interp, const Value& v, const JsonFormat& format);
Value from_json(const boost::json::value& json);

}  // namespace occam::jinja
