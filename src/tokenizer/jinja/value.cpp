#include "tokenizer/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "tokenizer/jinja/utf8.h"

namespace occam::jinja {

ReprBudget& repr_budget() {
  static thread_local ReprBudget budget;
  return budget;
}

Value Value::undefined(std::string hint, bool security) {
  Value v;
  v.kind_ = Kind::undefined;
  v.str_ = std::make_shared<const std::string>(std::move(hint));
  v.b_ = security;
  return v;
}

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::boolean;
  v.b_ = b;
  return v;
}

Value Value::integer(int64_t i) {
  Value v;
  v.kind_ = Kind::integer;
  v.i_ = i;
  return v;
}

Value Value::floating(double f) {
  Value v;
  v.kind_ = Kind::floating;
  v.f_ = f;
  return v;
}

Value Value::string(std::string s, bool markup) {
  Value v;
  v.kind_ = Kind::string;
  v.str_ = std::make_shared<const std::string>(std::move(s));
  v.markup_ = markup;
  return v;
}

Value Value::list(std::vector<Value> items, ListKind kind) {
  Value v;
  v.kind_ = Kind::list;
  v.list_ = std::make_shared<ListData>();
  v.list_->items = std::move(items);
  v.list_->kind = kind;
  uint32_t depth = 0;
  for (const auto& item : v.list_->items) depth = std::max(depth, item.depth());
  v.list_->depth = depth + 1;
  return v;
}

Value Value::dict(std::shared_ptr<DictData> data) {
  Value v;
  v.kind_ = Kind::dict;
  v.dict_ = data ? std::move(data) : std::make_shared<DictData>();
  uint32_t depth = 0;
  for (const auto& [key, value] : v.dict_->entries) depth = std::max({depth, key.depth(), value.depth()});
  v.dict_->depth = depth + 1;
  return v;
}

uint32_t Value::depth() const {
  if (kind_ == Kind::list) return list_->depth;
  if (kind_ == Kind::dict) return dict_->depth;
  return 0;
}

Value Value::ns(std::shared_ptr<DictData> data) {
  Value v;
  v.kind_ = Kind::ns;
  v.dict_ = std::move(data);
  return v;
}

Value Value::callable(std::shared_ptr<Callable> fn) {
  Value v;
  v.kind_ = Kind::callable;
  v.fn_ = std::move(fn);
  return v;
}

double Value::as_number() const {
  switch (kind_) {
    case Kind::boolean: return b_ ? 1.0 : 0.0;
    case Kind::integer: return static_cast<double>(i_);
    case Kind::floating: return f_;
    default: return 0.0;
  }
}

const Value* DictData::find(const Value& key) const {
  for (const auto& [k, v] : entries) {
    if (py_equal(k, key)) return &v;
  }
  return nullptr;
}

const Value* DictData::find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k.is_string() && k.as_string() == key) return &v;
  }
  return nullptr;
}

void DictData::set(Value key, Value value) {
  for (auto& [k, v] : entries) {
    if (py_equal(k, key)) {
      v = std::move(value);
      return;
    }
  }
  entries.emplace_back(std::move(key), std::move(value));
}

uint64_t work_units(const Value& v) {
  switch (v.kind()) {
    case Kind::string: return v.as_string().size() / 64 + 1;
    case Kind::list: return v.list_data().items.size() + 1;
    case Kind::dict:
    case Kind::ns: return v.dict_data().entries.size() + 1;
    default: return 1;
  }
}

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::undefined:
    case Kind::none: return false;
    case Kind::boolean: return v.as_bool();
    case Kind::integer: return v.as_int() != 0;
    case Kind::floating: return v.as_float() != 0.0;
    case Kind::string: return !v.as_string().empty();
    case Kind::list: {
      const ListData& l = v.list_data();
      if (l.kind == ListKind::generator || l.kind == ListKind::reverse_iterator) return true;
      return !l.items.empty();
    }
    case Kind::dict: return !v.dict_data().entries.empty();
    case Kind::ns:
    case Kind::callable: return true;
  }
  return false;
}

bool py_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_number() == b.as_number();
    const int64_t x = a.is_bool() ? (a.as_bool() ? 1 : 0) : a.as_int();
    const int64_t y = b.is_bool() ? (b.as_bool() ? 1 : 0) : b.as_int();
    return x == y;
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::undefined:
    case Kind::none: return true;
    case Kind::string: return a.as_string() == b.as_string();
    case Kind::list: {
      const ListData& x = a.list_data();
      const ListData& y = b.list_data();
      if (&x == &y) return true;
      const bool x_seq = x.kind == ListKind::list || x.kind == ListKind::tuple;
      if (!x_seq || x.kind != y.kind || x.items.size() != y.items.size()) return false;
      for (size_t i = 0; i < x.items.size(); ++i) {
        if (!py_equal(x.items[i], y.items[i])) return false;
      }
      return true;
    }
    case Kind::dict: {
      const DictData& x = a.dict_data();
      const DictData& y = b.dict_data();
      if (&x == &y) return true;
      if (x.entries.size() != y.entries.size()) return false;
      for (const auto& [k, v] : x.entries) {
        const Value* other = y.find(k);
        if (other == nullptr || !py_equal(v, *other)) return false;
      }
      return true;
    }
    case Kind::ns: return a.dict_ptr() == b.dict_ptr();
    case Kind::callable: return &a.callable_data() == &b.callable_data();
    default: return false;
  }
}

std::string float_repr(double f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
  if (f == 0.0) return std::signbit(f) ? "-0.0" : "0.0";
  char buffer[64];
  // Shortest round-trip digits in scientific form, then laid out as Python's repr does: positional
  // notation for 1e-4 <= |f| < 1e16, scientific otherwise.
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, f, std::chars_format::scientific);
  std::string sci(buffer, end);
  const bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  const size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exponent = std::atoi(sci.c_str() + e + 1);
  std::string out = negative ? "-" : "";
  if (exponent >= -5 + 1 && exponent < 16) {
    if (exponent < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-exponent - 1), '0');
      out += digits;
    } else if (static_cast<size_t>(exponent) + 1 >= digits.size()) {
      out += digits;
      out.append(static_cast<size_t>(exponent) + 1 - digits.size(), '0');
      out += ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(exponent) + 1);
      out += '.';
      out += digits.substr(static_cast<size_t>(exponent) + 1);
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) {
    out += '.';
    out += digits.substr(1);
  }
  char exp_text[16];
  std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  out += exp_text;
  return out;
}

namespace {

// str.isprintable(): not a control, format, separator (other than space) or private-use character.
bool py_is_printable(char32_t cp) {
  if (cp < 0x20 || cp == 0x7F) return false;
  if (cp >= 0x80 && cp <= 0xA0) return false;
  if (cp == 0xAD || cp == 0x1680 || cp == 0x180E || cp == 0xFEFF || cp == 0x3000) return false;
  if ((cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F)) {
    return false;
  }
  if ((cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000) return false;
  return true;
}

void repr_into(const Value& v, std::string& out, int depth);

void repr_items(const std::vector<Value>& items, std::string& out, int depth) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (out.size() > repr_budget().max_bytes) {
      repr_budget().overflowed = true;
      return;
    }
    if (i > 0) out += ", ";
    repr_into(items[i], out, depth + 1);
  }
}

void repr_into(const Value& v, std::string& out, int depth) {
  if (depth > 64) {
    out += "...";
    return;
  }
  switch (v.kind()) {
    case Kind::string: out += string_repr(v.as_string()); return;
    case Kind::list: {
      const ListData& l = v.list_data();
      switch (l.kind) {
        case ListKind::list:
          out += '[';
          repr_items(l.items, out, depth);
          out += ']';
          return;
        case ListKind::tuple:
          out += '(';
          repr_items(l.items, out, depth);
          if (l.items.size() == 1) out += ',';
          out += ')';
          return;
        case ListKind::generator: out += "<generator object>"; return;
        case ListKind::reverse_iterator: out += "<list_reverseiterator object>"; return;
        case ListKind::dict_keys:
        case ListKind::dict_values:
        case ListKind::dict_items:
          out += type_name(v);
          out += "([";
          repr_items(l.items, out, depth);
          out += "])";
          return;
      }
      return;
    }
    case Kind::dict: {
      out += '{';
      bool first = true;
      for (const auto& [k, val] : v.dict_data().entries) {
        if (out.size() > repr_budget().max_bytes) {
          repr_budget().overflowed = true;
          return;
        }
        if (!first) out += ", ";
        first = false;
        repr_into(k, out, depth + 1);
        out += ": ";
        repr_into(val, out, depth + 1);
      }
      out += '}';
      return;
    }
    case Kind::ns: {
      out += "<Namespace ";
      repr_into(Value::dict(v.dict_ptr()), out, depth + 1);
      out += '>';
      return;
    }
    case Kind::undefined: out += "Undefined"; return;
    default: out += to_str(v); return;
  }
}

}  // namespace

std::string string_repr(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = utf8_decode(s, pos);
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (!py_is_printable(cp)) {
      char buffer[16];
      if (cp < 0x100) {
        std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(cp));
      } else if (cp < 0x10000) {
        std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
      } else {
        std::snprintf(buffer, sizeof buffer, "\\U%08x", static_cast<unsigned>(cp));
      }
      out += buffer;
    } else {
      utf8_append(out, cp);
    }
  }
  out += quote;
  return out;
}

std::string to_str(const Value& v) {
  switch (v.kind()) {
    case Kind::undefined: return "";
    case Kind::none: return "None";
    case Kind::boolean: return v.as_bool() ? "True" : "False";
    case Kind::integer: return std::to_string(v.as_int());
    case Kind::floating: return float_repr(v.as_float());
    case Kind::string: return v.as_string();
    case Kind::callable: {
      const Callable& c = v.callable_data();
      if (c.macro != nullptr) return "<Macro '" + c.name + "'>";
      return "<built-in function " + c.name + ">";
    }
    default: {
      std::string out;
      repr_into(v, out, 0);
      return out;
    }
  }
}

std::string repr(const Value& v) {
  std::string out;
  repr_into(v, out, 0);
  return out;
}

std::string type_name(const Value& v) {
  switch (v.kind()) {
    case Kind::undefined: return "Undefined";
    case Kind::none: return "NoneType";
    case Kind::boolean: return "bool";
    case Kind::integer: return "int";
    case Kind::floating: return "float";
    case Kind::string: return v.markup() ? "Markup" : "str";
    case Kind::list:
      switch (v.list_data().kind) {
        case ListKind::list: return "list";
        case ListKind::tuple: return "tuple";
        case ListKind::generator: return "generator";
        case ListKind::reverse_iterator: return "list_reverseiterator";
        case ListKind::dict_keys: return "dict_keys";
        case ListKind::dict_values: return "dict_values";
        case ListKind::dict_items: return "dict_items";
      }
      return "list";
    case Kind::dict: return "dict";
    case Kind::ns: return "Namespace";
    case Kind::callable: return v.callable_data().macro != nullptr ? "Macro" : "builtin_function_or_method";
  }
  return "object";
}

std::string object_type_repr(const Value& v) {
  if (v.is_none()) return "None";
  if (v.is_ns()) return "jinja2.utils.Namespace object";
  if (v.is_string() && v.markup()) return "markupsafe.Markup object";
  return type_name(v) + " object";
}

Result<int> py_compare(const Value& a, const Value& b) {
  if (a.is_undefined()) return undefined_error(a);
  if (b.is_undefined()) return undefined_error(b);
  if (a.is_number() && b.is_number()) {
    if (!a.is_float() && !b.is_float()) {
      const int64_t x = a.is_bool() ? a.as_bool() : a.as_int();
      const int64_t y = b.is_bool() ? b.as_bool() : b.as_int();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    const double x = a.as_number();
    const double y = b.as_number();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.as_string().compare(b.as_string());  // UTF-8 byte order is code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_sequence_list() && b.is_sequence_list() && a.list_data().kind == b.list_data().kind) {
    const auto& x = a.list_data().items;
    const auto& y = b.list_data().items;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (py_equal(x[i], y[i])) continue;
      return py_compare(x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  return make_error(ErrorCode::invalid_argument, "TypeError: '<' not supported between instances of '{}' and '{}'",
                    type_name(a), type_name(b));
}

Error undefined_error(const Value& undefined) {
  if (undefined.undefined_is_security()) {
    return make_error(ErrorCode::permission_denied, "SecurityError: {}", undefined.undefined_hint());
  }
  const std::string& hint = undefined.undefined_hint();
  return make_error(ErrorCode::invalid_argument, "UndefinedError: {}", hint.empty() ? "value is undefined" : hint);
}

}  // namespace occam::jinja
