// Jinja2's builtin filters (jinja2/filters.py) with Hugging Face's tojson, on template values.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/strings.h"
#include "tokenizer/jinja/utf8.h"

namespace occam::jinja {
namespace {

Error type_error(std::string message) { return Error(ErrorCode::invalid_argument, "TypeError: " + std::move(message)); }

// jinja2's soft_str: Undefined → "", Markup stays Markup.
Value soft_str(const Value& v) { return v.is_string() ? v : Value::string(to_str(v)); }

Result<int64_t> int_arg(const Value* v, int64_t fallback, std::string_view what) {
  if (v == nullptr || v->is_none()) return fallback;
  if (v->is_int()) return v->as_int();
  if (v->is_bool()) return v->as_bool() ? 1 : 0;
  if (v->is_undefined()) return undefined_error(*v);
  return type_error(fmt::format("'{}' must be an integer, not {}", what, type_name(*v)));
}

Result<size_t> py_len(const Value& v) {
  switch (v.kind()) {
    case Kind::undefined: return size_t{0};
    case Kind::string: return utf8_length(v.as_string());
    case Kind::dict: return v.dict_data().entries.size();
    case Kind::list:
      if (v.list_data().kind == ListKind::generator || v.list_data().kind == ListKind::reverse_iterator) break;
      return v.list_data().items.size();
    default: break;
  }
  return type_error(fmt::format("object of type '{}' has no len()", type_name(v)));
}

Result<Value> f_length(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("length", args, {}));
  (void)a;
  OCCAM_ASSIGN_OR_RETURN(size_t n, py_len(v));
  return Value::integer(static_cast<int64_t>(n));
}

Result<Value> f_default(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("default", args, {"default_value", "boolean"}));
  const Value fallback = a.get_or(0, Value::string(""));
  const bool boolean = a.get(1) != nullptr && truthy(*a.get(1));
  if (v.is_undefined() || (boolean && !truthy(v))) return fallback;
  return v;
}

Result<Value> f_first(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("first", args, {}));
  (void)a;
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  if (items.empty()) return Value::undefined("No first item, sequence was empty.");
  return items.front();
}

Result<Value> f_last(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("last", args, {}));
  (void)a;
  if (v.is_list() && (v.list_data().kind == ListKind::generator || v.list_data().kind == ListKind::reverse_iterator)) {
    return type_error(fmt::format("'{}' object is not reversible", type_name(v)));
  }
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  if (items.empty()) return Value::undefined("No last item, sequence was empty.");
  return items.back();
}

Result<Value> f_join(Interpreter& interp, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("join", args, {"d", "attribute"}));
  const std::string sep = a.get(0) != nullptr ? to_str(*a.get(0)) : "";
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    if (a.get(1) != nullptr) {
      OCCAM_ASSIGN_OR_RETURN(Value item, get_attribute_path(items[i], *a.get(1)));
      out += to_str(item);
    } else {
      out += to_str(items[i]);
    }
    OCCAM_TRY(interp.check_size(out.size()));
  }
  OCCAM_TRY(interp.charge(out.size() / 64));
  return Value::string(std::move(out));
}

template <std::string (*F)(std::string_view)>
Result<Value> string_filter(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("filter", args, {}));
  (void)a;
  const Value s = soft_str(v);
  return Value::string(F(s.as_string()), s.markup());
}

// jinja2's title filter: words start after whitespace and - ( { [ <.
std::string jinja_title(std::string_view s) {
  std::string out;
  bool word_start = true;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = utf8_decode(s, pos);
    const bool boundary = py_is_space(cp) || cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<';
    utf8_append(out, boundary ? cp : (word_start ? py_to_upper(cp) : py_to_lower(cp)));
    word_start = boundary;
  }
  return out;
}

Result<Value> f_trim(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("trim", args, {"chars"}));
  std::optional<std::string> chars;
  if (a.get(0) != nullptr && !a.get(0)->is_none()) chars = to_str(*a.get(0));
  const Value s = soft_str(v);
  return Value::string(py_strip(s.as_string(), chars, true, true), s.markup());
}

Result<Value> f_replace(Interpreter& interp, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("replace", args, {"old", "new", "count"}, 2));
  OCCAM_ASSIGN_OR_RETURN(int64_t count, int_arg(a.get(2), -1, "count"));
  const std::string s = to_str(v);
  const std::string old = to_str(*a.get(0));
  const std::string replacement = to_str(*a.get(1));
  OCCAM_TRY(interp.check_size(replaced_size(s, old, replacement, count)));
  std::string out = py_replace(s, old, replacement, count);
  return Value::string(std::move(out));
}

Result<Value> f_indent(Interpreter& interp, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("indent", args, {"width", "first", "blank"}));
  std::string indention;
  if (a.get(0) != nullptr && a.get(0)->is_string()) {
    indention = a.get(0)->as_string();
  } else {
    OCCAM_ASSIGN_OR_RETURN(int64_t width, int_arg(a.get(0), 4, "width"));
    if (width > 4096) return make_error(ErrorCode::unsupported, "indent width {} too large", width);
    indention.assign(width > 0 ? static_cast<size_t>(width) : 0, ' ');
  }
  const bool first = a.get(1) != nullptr && truthy(*a.get(1));
  const bool blank = a.get(2) != nullptr && truthy(*a.get(2));
  const Value s = soft_str(v);
  const std::vector<std::string> lines = py_splitlines(s.as_string() + "\n", false);
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      out += '\n';
      if (blank || !lines[i].empty()) out += indention;
    }
    out += lines[i];
    OCCAM_TRY(interp.check_size(out.size()));
  }
  if (first) out = indention + out;
  return Value::string(std::move(out), s.markup());
}

Result<Value> f_tojson(Interpreter& interp, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"}));
  JsonFormat format;
  format.ensure_ascii = a.get(0) != nullptr && truthy(*a.get(0));
  if (const Value* indent = a.get(1); indent != nullptr && !indent->is_none()) {
    if (indent->is_string()) {
      format.indent = indent->as_string();
    } else {
      OCCAM_ASSIGN_OR_RETURN(int64_t n, int_arg(indent, 0, "indent"));
      if (n > 4096) return make_error(ErrorCode::unsupported, "indent {} too large", n);
      format.indent = std::string(n > 0 ? static_cast<size_t>(n) : 0, ' ');
    }
    format.item_separator = ",";
  }
  if (const Value* sep = a.get(2); sep != nullptr && !sep->is_none()) {
    OCCAM_ASSIGN_OR_RETURN(std::vector<Value> parts, iterate(*sep));
    if (parts.size() != 2 || !parts[0].is_string() || !parts[1].is_string()) {
      return make_error(ErrorCode::invalid_argument, "ValueError: separators must be a pair of strings");
    }
    format.item_separator = parts[0].as_string();
    format.key_separator = parts[1].as_string();
  }
  format.sort_keys = a.get(3) != nullptr && truthy(*a.get(3));
  OCCAM_ASSIGN_OR_RETURN(std::string text, to_json(interp, v, format));
  return Value::string(std::move(text));
}

Result<Value> f_string(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("string", args, {}));
  (void)a;
  return soft_str(v);
}

// Python int("…") and float("…") of a string: surrounding whitespace and underscores between digits allowed.
std::optional<int64_t> parse_int(std::string s, int base) {
  s = py_strip(s, std::nullopt, true, true);
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && i > 0 && i + 1 < s.size() && std::isalnum(static_cast<unsigned char>(s[i - 1])) &&
        std::isalnum(static_cast<unsigned char>(s[i + 1]))) {
      continue;
    }
    clean.push_back(s[i]);
  }
  if (clean.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(clean.c_str(), &end, base);
  if (errno != 0 || end != clean.c_str() + clean.size() || std::isspace(static_cast<unsigned char>(clean[0]))) {
    return std::nullopt;
  }
  return static_cast<int64_t>(v);
}

std::optional<double> parse_float(const std::string& raw) {
  std::string s = py_strip(raw, std::nullopt, true, true);
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  if (s.find_first_of("xXpP") != std::string::npos) return std::nullopt;  // strtod accepts hex floats
  return v;
}

Result<Value> f_int(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("int", args, {"default", "base"}));
  const Value fallback = a.get_or(0, Value::integer(0));
  OCCAM_ASSIGN_OR_RETURN(int64_t base, int_arg(a.get(1), 10, "base"));
  if (v.is_undefined()) return undefined_error(v);
  if (v.is_int()) return v;
  if (v.is_bool()) return Value::integer(v.as_bool());
  if (v.is_float()) {
    if (!std::isfinite(v.as_float()) || std::fabs(v.as_float()) >= 9.2e18) return fallback;
    return Value::integer(static_cast<int64_t>(v.as_float()));
  }
  if (v.is_string()) {
    if (base >= 2 && base <= 36) {
      if (auto i = parse_int(v.as_string(), static_cast<int>(base))) return Value::integer(*i);
    }
    if (auto f = parse_float(v.as_string()); f && std::isfinite(*f) && std::fabs(*f) < 9.2e18) {
      return Value::integer(static_cast<int64_t>(*f));
    }
  }
  return fallback;
}

Result<Value> f_float(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("float", args, {"default"}));
  const Value fallback = a.get_or(0, Value::floating(0.0));
  if (v.is_undefined()) return undefined_error(v);
  if (v.is_number()) return Value::floating(v.as_number());
  if (v.is_string()) {
    if (auto f = parse_float(v.as_string())) return Value::floating(*f);
  }
  return fallback;
}

Result<Value> f_list(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("list", args, {}));
  (void)a;
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  return Value::list(std::move(items));
}

Result<Value> f_items(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("items", args, {}));
  (void)a;
  if (v.is_undefined()) return Value::list({}, ListKind::generator);
  if (!v.is_dict()) return type_error("Can only get item pairs from a mapping.");
  std::vector<Value> pairs;
  for (const auto& [key, value] : v.dict_data().entries) pairs.push_back(Value::list({key, value}, ListKind::tuple));
  return Value::list(std::move(pairs), ListKind::generator);
}

Result<bool> run_test(Interpreter& interp, const Value& item, const Value& name, std::vector<Value> test_args) {
  if (!name.is_string()) return type_error("test name must be a string");
  const TestFn test = find_test(name.as_string());
  if (test == nullptr) return make_error(ErrorCode::unsupported, "unsupported test '{}'", name.as_string());
  CallArgs call;
  call.positional = std::move(test_args);
  return test(interp, item, call);
}

// map/select/reject and their attr forms yield nothing for a falsy input (jinja2 checks `if seq:`).
Result<std::vector<Value>> iterate_if_truthy(const Value& v) {
  if (!truthy(v)) return std::vector<Value>{};
  return iterate(v);
}

Result<Value> f_map(Interpreter& interp, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate_if_truthy(v));
  std::vector<Value> out;
  out.reserve(items.size());
  const bool by_attribute = args.positional.empty();
  if (by_attribute) {
    OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("map", args, {"attribute", "default"}, 1));
    for (const auto& item : items) {
      OCCAM_ASSIGN_OR_RETURN(Value x, get_attribute_path(item, *a.get(0)));
      if (x.is_undefined() && a.get(1) != nullptr) x = *a.get(1);
      out.push_back(std::move(x));
    }
    return Value::list(std::move(out), ListKind::generator);
  }
  if (!args.positional[0].is_string()) return type_error("map filter name must be a string");
  const std::string name = args.positional[0].as_string();
  const FilterFn filter = find_filter(name);
  if (filter == nullptr) return make_error(ErrorCode::unsupported, "unsupported filter '{}'", name);
  for (const auto& item : items) {
    CallArgs call;
    call.positional.assign(args.positional.begin() + 1, args.positional.end());
    call.keyword = args.keyword;
    OCCAM_ASSIGN_OR_RETURN(Value x, filter(interp, item, call));
    out.push_back(std::move(x));
  }
  return Value::list(std::move(out), ListKind::generator);
}

Result<Value> select_common(Interpreter& interp, const Value& v, CallArgs& args, bool by_attribute, bool keep) {
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate_if_truthy(v));
  size_t next = 0;
  Value attribute;
  if (by_attribute) {
    if (args.positional.empty()) return type_error("selectattr() missing required argument 'attr'");
    attribute = args.positional[next++];
  }
  std::optional<Value> test_name;
  if (next < args.positional.size()) test_name = args.positional[next++];
  const std::vector<Value> test_args(args.positional.begin() + static_cast<std::ptrdiff_t>(next), args.positional.end());
  std::vector<Value> out;
  for (const auto& item : items) {
    OCCAM_TRY(interp.charge(1));
    Value subject = item;
    if (by_attribute) {
      OCCAM_ASSIGN_OR_RETURN(subject, get_attribute_path(item, attribute));
    }
    bool passed = false;
    if (test_name) {
      OCCAM_ASSIGN_OR_RETURN(passed, run_test(interp, subject, *test_name, test_args));
    } else {
      passed = truthy(subject);
    }
    if (passed == keep) out.push_back(item);
  }
  return Value::list(std::move(out), ListKind::generator);
}

Result<Value> f_select(Interpreter& i, const Value& v, CallArgs& a) { return select_common(i, v, a, false, true); }
Result<Value> f_reject(Interpreter& i, const Value& v, CallArgs& a) { return select_common(i, v, a, false, false); }
Result<Value> f_selectattr(Interpreter& i, const Value& v, CallArgs& a) { return select_common(i, v, a, true, true); }
Result<Value> f_rejectattr(Interpreter& i, const Value& v, CallArgs& a) { return select_common(i, v, a, true, false); }

// Sort/unique key: the attribute (if any), lowercased when not case-sensitive.
Result<Value> sort_key(const Value& item, const Value* attribute, bool case_sensitive) {
  Value key = item;
  if (attribute != nullptr && !attribute->is_none()) {
    OCCAM_ASSIGN_OR_RETURN(key, get_attribute_path(item, *attribute));
  }
  if (!case_sensitive && key.is_string()) key = Value::string(py_lower(key.as_string()));
  return key;
}

Result<Value> f_unique(Interpreter& interp, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("unique", args, {"case_sensitive", "attribute"}));
  const bool case_sensitive = a.get(0) != nullptr && truthy(*a.get(0));
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  std::vector<Value> seen;
  std::vector<Value> out;
  for (const auto& item : items) {
    OCCAM_ASSIGN_OR_RETURN(Value key, sort_key(item, a.get(1), case_sensitive));
    OCCAM_TRY(interp.charge(seen.size() / 16 + 1));
    if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return py_equal(s, key); })) {
      seen.push_back(key);
      out.push_back(item);
    }
  }
  return Value::list(std::move(out), ListKind::generator);
}

Result<Value> sorted(Interpreter& interp, std::vector<Value> items, const std::vector<Value>& keys, bool reverse) {
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  OCCAM_TRY(interp.charge(items.size() * 8));
  // Comparison errors (mixed types) are reported after the sort, which cannot be interrupted.
  std::optional<Error> failure;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    if (failure) return false;
    auto c = py_compare(keys[x], keys[y]);
    if (!c.ok()) {
      failure = c.error();
      return false;
    }
    return reverse ? *c > 0 : *c < 0;
  });
  if (failure) return *failure;
  std::vector<Value> out;
  out.reserve(items.size());
  for (size_t i : order) out.push_back(std::move(items[i]));
  return Value::list(std::move(out));
}

Result<Value> f_sort(Interpreter& interp, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("sort", args, {"reverse", "case_sensitive", "attribute"}));
  const bool reverse = a.get(0) != nullptr && truthy(*a.get(0));
  const bool case_sensitive = a.get(1) != nullptr && truthy(*a.get(1));
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  std::vector<Value> keys;
  keys.reserve(items.size());
  for (const auto& item : items) {
    OCCAM_ASSIGN_OR_RETURN(Value key, sort_key(item, a.get(2), case_sensitive));
    keys.push_back(std::move(key));
  }
  return sorted(interp, std::move(items), keys, reverse);
}

Result<Value> f_dictsort(Interpreter& interp, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("dictsort", args, {"case_sensitive", "by", "reverse"}));
  if (!v.is_dict()) return type_error("dictsort filter requires a mapping");
  const bool case_sensitive = a.get(0) != nullptr && truthy(*a.get(0));
  const std::string by = a.get(1) != nullptr ? to_str(*a.get(1)) : "key";
  if (by != "key" && by != "value") {
    return make_error(ErrorCode::invalid_argument, "FilterArgumentError: You can only sort by either \"key\" or \"value\"");
  }
  const bool reverse = a.get(2) != nullptr && truthy(*a.get(2));
  std::vector<Value> items;
  std::vector<Value> keys;
  for (const auto& [key, value] : v.dict_data().entries) {
    items.push_back(Value::list({key, value}, ListKind::tuple));
    OCCAM_ASSIGN_OR_RETURN(Value k, sort_key(by == "key" ? key : value, nullptr, case_sensitive));
    keys.push_back(std::move(k));
  }
  return sorted(interp, std::move(items), keys, reverse);
}

Result<Value> f_reverse(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("reverse", args, {}));
  (void)a;
  if (v.is_string()) {
    std::vector<char32_t> cps = utf8_code_points(v.as_string());
    std::reverse(cps.begin(), cps.end());
    return Value::string(utf8_from_code_points(cps, 0, cps.size()), v.markup());
  }
  const bool lazy = v.is_list() && (v.list_data().kind == ListKind::generator ||
                                    v.list_data().kind == ListKind::reverse_iterator);
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  std::reverse(items.begin(), items.end());
  // reversed() works on sequences and dicts; other iterables are listed and reversed.
  return Value::list(std::move(items), lazy ? ListKind::list : ListKind::reverse_iterator);
}

// Python's round(x, n): correctly rounded, halves to even on the exact binary value.
double py_round(double x, int64_t digits) {
  if (!std::isfinite(x)) return x;
  if (digits >= 0) {
    if (digits > 300) return x;
    char buffer[512];
    std::snprintf(buffer, sizeof buffer, "%.*f", static_cast<int>(digits), x);
    return std::strtod(buffer, nullptr);
  }
  const double p = std::pow(10.0, static_cast<double>(-digits));
  const double y = x / p;
  double r = std::round(y);
  if (std::fabs(y - std::trunc(y)) == 0.5) r = 2.0 * std::round(y / 2.0);
  return r * p;
}

Result<Value> f_round(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("round", args, {"precision", "method"}));
  OCCAM_ASSIGN_OR_RETURN(int64_t precision, int_arg(a.get(0), 0, "precision"));
  const std::string method = a.get(1) != nullptr ? to_str(*a.get(1)) : "common";
  if (method != "common" && method != "ceil" && method != "floor") {
    return make_error(ErrorCode::invalid_argument, "FilterArgumentError: method must be common, ceil or floor");
  }
  if (v.is_undefined()) return undefined_error(v);
  if (!v.is_number()) return type_error(fmt::format("type {} doesn't define __round__ method", type_name(v)));
  if (method == "common") {
    if (!v.is_float() && precision >= 0) return Value::integer(v.is_bool() ? v.as_bool() : v.as_int());
    return Value::floating(py_round(v.as_number(), precision));
  }
  const double p = std::pow(10.0, static_cast<double>(precision));
  const double scaled = v.as_number() * p;
  return Value::floating((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / p);
}

Result<Value> f_abs(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("abs", args, {}));
  (void)a;
  if (v.is_float()) return Value::floating(std::fabs(v.as_float()));
  if (v.is_int()) {
    if (v.as_int() == INT64_MIN) return make_error(ErrorCode::unsupported, "OverflowError: integer overflow");
    return Value::integer(v.as_int() < 0 ? -v.as_int() : v.as_int());
  }
  if (v.is_bool()) return Value::integer(v.as_bool());
  if (v.is_undefined()) return undefined_error(v);
  return type_error(fmt::format("bad operand type for abs(): '{}'", type_name(v)));
}

Result<Value> f_safe(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("safe", args, {}));
  (void)a;
  return Value::string(to_str(v), true);
}

Result<Value> f_escape(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("escape", args, {}));
  (void)a;
  if (v.is_string() && v.markup()) return v;
  return Value::string(html_escape(to_str(v)), true);
}

Result<Value> f_forceescape(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("forceescape", args, {}));
  (void)a;
  return Value::string(html_escape(to_str(v)), true);
}

Result<Value> f_batch(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("batch", args, {"linecount", "fill_with"}, 1));
  OCCAM_ASSIGN_OR_RETURN(int64_t count, int_arg(a.get(0), 1, "linecount"));
  if (count <= 0) return make_error(ErrorCode::invalid_argument, "ValueError: batch size must be positive");
  if (count > (int64_t{1} << 20)) return make_error(ErrorCode::resource_exhausted, "batch size {} too large", count);
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  std::vector<Value> out;
  std::vector<Value> current;
  for (auto& item : items) {
    current.push_back(std::move(item));
    if (static_cast<int64_t>(current.size()) == count) out.push_back(Value::list(std::exchange(current, {})));
  }
  if (!current.empty()) {
    if (a.get(1) != nullptr && !a.get(1)->is_none()) {
      while (static_cast<int64_t>(current.size()) < count) current.push_back(*a.get(1));
    }
    out.push_back(Value::list(std::move(current)));
  }
  return Value::list(std::move(out), ListKind::generator);
}

Result<Value> f_slice(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("slice", args, {"slices", "fill_with"}, 1));
  OCCAM_ASSIGN_OR_RETURN(int64_t slices, int_arg(a.get(0), 1, "slices"));
  if (slices <= 0 || slices > 100000) return make_error(ErrorCode::invalid_argument, "ValueError: invalid slice count");
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> seq, iterate(v));
  const auto n = static_cast<int64_t>(seq.size());
  const int64_t per = n / slices;
  const int64_t with_extra = n % slices;
  int64_t offset = 0;
  std::vector<Value> out;
  for (int64_t i = 0; i < slices; ++i) {
    const int64_t start = offset + i * per;
    if (i < with_extra) ++offset;
    const int64_t end = offset + (i + 1) * per;
    std::vector<Value> part(seq.begin() + start, seq.begin() + end);
    if (a.get(1) != nullptr && !a.get(1)->is_none() && i >= with_extra) part.push_back(*a.get(1));
    out.push_back(Value::list(std::move(part)));
  }
  return Value::list(std::move(out), ListKind::generator);
}

Result<Value> f_wordcount(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("wordcount", args, {}));
  (void)a;
  const std::string s = to_str(v);
  int64_t words = 0;
  bool in_word = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = utf8_decode(s, pos);
    const bool word = py_is_alpha(cp) || py_is_digit(cp) || cp == '_' || cp >= 0x80;
    if (word && !in_word) ++words;
    in_word = word && !py_is_space(cp);
  }
  return Value::integer(words);
}

Result<Value> f_center(Interpreter& interp, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("center", args, {"width"}));
  OCCAM_ASSIGN_OR_RETURN(int64_t width, int_arg(a.get(0), 80, "width"));
  const std::string s = to_str(v);
  const auto len = static_cast<int64_t>(utf8_length(s));
  if (width <= len) return Value::string(s);
  OCCAM_TRY(interp.check_size(static_cast<size_t>(width)));
  const int64_t pad = width - len;
  // CPython's str.center puts the extra space on the right unless both the padding and width are odd.
  const int64_t left = pad / 2 + (pad & width & 1);
  return Value::string(std::string(static_cast<size_t>(left), ' ') + s + std::string(static_cast<size_t>(pad - left), ' '));
}

Result<Value> f_truncate(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("truncate", args, {"length", "killwords", "end", "leeway"}));
  OCCAM_ASSIGN_OR_RETURN(int64_t length, int_arg(a.get(0), 255, "length"));
  const bool killwords = a.get(1) != nullptr && truthy(*a.get(1));
  const std::string end = a.get(2) != nullptr ? to_str(*a.get(2)) : "...";
  OCCAM_ASSIGN_OR_RETURN(int64_t leeway, int_arg(a.get(3), 5, "leeway"));
  const auto end_len = static_cast<int64_t>(utf8_length(end));
  if (length < end_len) return make_error(ErrorCode::invalid_argument, "AssertionError: expected length >= {}", end_len);
  if (leeway < 0) return make_error(ErrorCode::invalid_argument, "AssertionError: expected leeway >= 0");
  const std::vector<char32_t> cps = utf8_code_points(to_str(v));
  if (static_cast<int64_t>(cps.size()) <= length + leeway) return Value::string(to_str(v));
  std::string head = utf8_from_code_points(cps, 0, static_cast<size_t>(length - end_len));
  if (!killwords) {
    const size_t space = head.rfind(' ');
    if (space != std::string::npos) head.resize(space);
  }
  return Value::string(head + end);
}

Result<Value> f_sum(Interpreter& interp, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("sum", args, {"attribute", "start"}));
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  Value total = a.get_or(1, Value::integer(0));
  for (const auto& item : items) {
    Value x = item;
    if (a.get(0) != nullptr && !a.get(0)->is_none()) {
      OCCAM_ASSIGN_OR_RETURN(x, get_attribute_path(item, *a.get(0)));
    }
    OCCAM_ASSIGN_OR_RETURN(total, binary_op(interp, "+", total, x));
  }
  return total;
}

Result<Value> min_max(const Value& v, CallArgs& args, bool max) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind(max ? "max" : "min", args, {"case_sensitive", "attribute"}));
  const bool case_sensitive = a.get(0) != nullptr && truthy(*a.get(0));
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  OCCAM_ASSIGN_OR_RETURN(Value best_key, sort_key(items[0], a.get(1), case_sensitive));
  for (size_t i = 1; i < items.size(); ++i) {
    OCCAM_ASSIGN_OR_RETURN(Value key, sort_key(items[i], a.get(1), case_sensitive));
    OCCAM_ASSIGN_OR_RETURN(int c, py_compare(key, best_key));
    if (max ? c > 0 : c < 0) {
      best = i;
      best_key = std::move(key);
    }
  }
  return items[best];
}

Result<Value> f_min(Interpreter&, const Value& v, CallArgs& a) { return min_max(v, a, false); }
Result<Value> f_max(Interpreter&, const Value& v, CallArgs& a) { return min_max(v, a, true); }

Result<Value> f_attr(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("attr", args, {"name"}, 1));
  if (v.is_undefined()) return undefined_error(v);
  const std::string name = to_str(*a.get(0));
  if (v.is_ns()) {
    if (const Value* x = v.dict_data().find(name)) return *x;
  } else if (std::optional<Value> method = find_method(v, name)) {
    return *method;
  }
  return Value::undefined(fmt::format("'{}' has no attribute '{}'", object_type_repr(v), name));
}

Result<Value> f_format(Interpreter& interp, const Value& v, CallArgs& args) {
  Value params;
  if (!args.keyword.empty()) {
    auto data = std::make_shared<DictData>();
    for (auto& [key, value] : args.keyword) data->set(Value::string(key), value);
    params = Value::dict(std::move(data));
  } else {
    params = Value::list(args.positional, ListKind::tuple);
  }
  return binary_op(interp, "%", soft_str(v), params);
}

const std::unordered_map<std::string_view, FilterFn>& filter_table() {
  static const std::unordered_map<std::string_view, FilterFn> table = {
      {"abs", f_abs},
      {"attr", f_attr},
      {"batch", f_batch},
      {"capitalize", string_filter<py_capitalize>},
      {"center", f_center},
      {"count", f_length},
      {"d", f_default},
      {"default", f_default},
      {"dictsort", f_dictsort},
      {"e", f_escape},
      {"escape", f_escape},
      {"first", f_first},
      {"float", f_float},
      {"forceescape", f_forceescape},
      {"format", f_format},
      {"indent", f_indent},
      {"int", f_int},
      {"items", f_items},
      {"join", f_join},
      {"last", f_last},
      {"length", f_length},
      {"list", f_list},
      {"lower", string_filter<py_lower>},
      {"map", f_map},
      {"max", f_max},
      {"min", f_min},
      {"reject", f_reject},
      {"rejectattr", f_rejectattr},
      {"replace", f_replace},
      {"reverse", f_reverse},
      {"round", f_round},
      {"safe", f_safe},
      {"select", f_select},
      {"selectattr", f_selectattr},
      {"slice", f_slice},
      {"sort", f_sort},
      {"string", f_string},
      {"sum", f_sum},
      {"title", string_filter<jinja_title>},
      {"tojson", f_tojson},
      {"trim", f_trim},
      {"truncate", f_truncate},
      {"unique", f_unique},
      {"upper", string_filter<py_upper>},
      {"wordcount", f_wordcount},
  };
  return table;
}

}  // namespace

FilterFn find_filter(std::string_view name) {
  const auto& table = filter_table();
  const auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace occam::jinja
