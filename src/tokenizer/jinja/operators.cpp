// Python's binary operators on template values (+ - * / // % ** and Jinja2's ~), including str and
// list concatenation and repetition, markupsafe's escaping `+`, and printf-style `str % args`.
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/interpreter.h"

namespace occam::jinja {
namespace {

Error type_error(std::string_view op, const Value& a, const Value& b) {
  return make_error(ErrorCode::invalid_argument, "TypeError: unsupported operand type(s) for {}: '{}' and '{}'", op,
                    type_name(a), type_name(b));
}

Error overflow() {
  return make_error(ErrorCode::unsupported, "OverflowError: integer result does not fit in 64 bits");
}

int64_t int_of(const Value& v) { return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int(); }

Result<Value> repeat(Interpreter& interp, const Value& seq, int64_t n) {
  if (n <= 0) {
    if (seq.is_string()) return Value::string("", seq.markup());
    return Value::list({}, seq.list_data().kind);
  }
  if (seq.is_string()) {
    const std::string& s = seq.as_string();
    // Checked before multiplying: s.size() * n may not fit in 64 bits.
    if (!s.empty() && static_cast<uint64_t>(n) > (uint64_t{1} << 40) / s.size()) {
      OCCAM_TRY(interp.check_size(size_t{1} << 40));
    }
    OCCAM_TRY(interp.check_size(s.size() * static_cast<size_t>(n)));
    OCCAM_TRY(interp.charge(s.size() * static_cast<size_t>(n) / 64));
    std::string out;
    out.reserve(s.size() * static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out += s;
    return Value::string(std::move(out), seq.markup());
  }
  const auto& items = seq.list_data().items;
  const uint64_t total = items.size() * static_cast<uint64_t>(n);
  if (n > (int64_t{1} << 32) || total > (uint64_t{1} << 20)) {
    return make_error(ErrorCode::resource_exhausted, "list repetition of {} items is too large", total);
  }
  OCCAM_TRY(interp.charge(total));
  std::vector<Value> out;
  out.reserve(total);
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return Value::list(std::move(out), seq.list_data().kind);
}

// printf-style formatting (`"%s: %d" % (a, b)`): the conversions s r d i f e g x o c and %%.
Result<Value> percent_format(Interpreter& interp, const Value& format, const Value& args) {
  std::vector<Value> values;
  const DictData* mapping = nullptr;
  if (args.is_list() && args.list_data().kind == ListKind::tuple) {
    values = args.list_data().items;
  } else if (args.is_dict()) {
    mapping = &args.dict_data();
    values.push_back(args);
  } else {
    values.push_back(args);
  }
  const std::string& f = format.as_string();
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out.push_back(f[i]);
      continue;
    }
    if (++i >= f.size()) return make_error(ErrorCode::invalid_argument, "ValueError: incomplete format");
    const Value* value = nullptr;
    if (f[i] == '(') {
      const size_t close = f.find(')', i);
      if (close == std::string::npos || mapping == nullptr) {
        return make_error(ErrorCode::invalid_argument, "TypeError: format requires a mapping");
      }
      value = mapping->find(std::string_view(f).substr(i + 1, close - i - 1));
      if (value == nullptr) return make_error(ErrorCode::invalid_argument, "KeyError: '{}'", f.substr(i + 1, close - i - 1));
      i = close + 1;
    }
    std::string spec = "%";
    while (i < f.size() && std::string_view("-+ #0123456789.").find(f[i]) != std::string_view::npos) spec += f[i++];
    if (i >= f.size()) return make_error(ErrorCode::invalid_argument, "ValueError: incomplete format");
    const char conv = f[i];
    OCCAM_TRY(interp.check_size(out.size()));
    if (conv == '%') {
      out.push_back('%');
      continue;
    }
    if (value == nullptr) {
      if (next >= values.size()) {
        return make_error(ErrorCode::invalid_argument, "TypeError: not enough arguments for format string");
      }
      value = &values[next++];
    }
    if (spec.size() > 12) return make_error(ErrorCode::unsupported, "format specification too long");
    for (size_t k = 1, run = 0; k < spec.size(); ++k) {
      run = std::isdigit(static_cast<unsigned char>(spec[k])) ? run + 1 : 0;
      if (run > 3) return make_error(ErrorCode::unsupported, "format width or precision too large");
    }
    char buffer[512];
    switch (conv) {
      case 's':
      case 'r': {
        const std::string text = conv == 's' ? to_str(*value) : repr(*value);
        const bool left = spec.find('-') != std::string::npos;
        const size_t digits = spec.find_first_of("123456789");
        const size_t width = digits == std::string::npos ? 0 : static_cast<size_t>(std::atoi(spec.c_str() + digits));
        if (width > 4096) return make_error(ErrorCode::unsupported, "format width too large");
        const size_t pad = text.size() < width ? width - text.size() : 0;
        if (!left) out.append(pad, ' ');
        out += text;
        if (left) out.append(pad, ' ');
        break;
      }
      case 'd':
      case 'i':
      case 'x':
      case 'o':
      case 'c': {
        if (!value->is_number()) {
          return make_error(ErrorCode::invalid_argument, "TypeError: %{} format: a real number is required, not {}",
                            conv, type_name(*value));
        }
        const long long n = value->is_float() ? static_cast<long long>(value->as_float()) : int_of(*value);
        if (conv == 'c') {
          out.push_back(static_cast<char>(n));
          break;
        }
        spec += "ll";
        spec += conv == 'i' ? 'd' : conv;
        std::snprintf(buffer, sizeof buffer, spec.c_str(), n);
        out += buffer;
        break;
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        if (!value->is_number()) {
          return make_error(ErrorCode::invalid_argument, "TypeError: must be real number, not {}", type_name(*value));
        }
        spec += conv;
        std::snprintf(buffer, sizeof buffer, spec.c_str(), value->as_number());
        out += buffer;
        break;
      }
      default: return make_error(ErrorCode::unsupported, "ValueError: unsupported format character '{}'", conv);
    }
  }
  if (mapping == nullptr && next < values.size()) {
    return make_error(ErrorCode::invalid_argument, "TypeError: not all arguments converted during string formatting");
  }
  OCCAM_TRY(interp.check_size(out.size()));
  return Value::string(std::move(out), format.markup());
}

Result<Value> add(Interpreter& interp, const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return Value::floating(a.as_number() + b.as_number());
    int64_t r = 0;
    if (__builtin_add_overflow(int_of(a), int_of(b), &r)) return overflow();
    return Value::integer(r);
  }
  if (a.is_string() && b.is_string()) {
    OCCAM_TRY(interp.check_size(a.as_string().size() + b.as_string().size()));
    OCCAM_TRY(interp.charge((a.as_string().size() + b.as_string().size()) / 64));
    // markupsafe: Markup + str escapes the str (and str + Markup too, through __radd__).
    if (a.markup() != b.markup()) {
      const std::string left = a.markup() ? a.as_string() : html_escape(a.as_string());
      const std::string right = b.markup() ? b.as_string() : html_escape(b.as_string());
      return Value::string(left + right, true);
    }
    return Value::string(a.as_string() + b.as_string(), a.markup());
  }
  if (a.is_sequence_list() && b.is_sequence_list() && a.list_data().kind == b.list_data().kind) {
    if (a.list_data().items.size() + b.list_data().items.size() > (size_t{1} << 20)) {
      return make_error(ErrorCode::resource_exhausted, "list of more than {} items", size_t{1} << 20);
    }
    std::vector<Value> items = a.list_data().items;
    OCCAM_TRY(interp.charge(items.size() + b.list_data().items.size()));
    items.insert(items.end(), b.list_data().items.begin(), b.list_data().items.end());
    return Value::list(std::move(items), a.list_data().kind);
  }
  if (a.is_string() || a.is_sequence_list()) {
    return make_error(ErrorCode::invalid_argument, "TypeError: can only concatenate {} (not \"{}\") to {}",
                      type_name(a) == "Markup" ? "str" : type_name(a), type_name(b),
                      type_name(a) == "Markup" ? "str" : type_name(a));
  }
  return type_error("+", a, b);
}

Result<Value> floor_div_mod(std::string_view op, const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number()) return type_error(op, a, b);
  if (!a.is_float() && !b.is_float()) {
    const int64_t x = int_of(a);
    const int64_t y = int_of(b);
    if (y == 0) {
      return make_error(ErrorCode::invalid_argument, "ZeroDivisionError: {}",
                        op == "%" ? "integer modulo by zero" : "integer division or modulo by zero");
    }
    if (x == INT64_MIN && y == -1) return op == "%" ? Result<Value>(Value::integer(0)) : Result<Value>(overflow());
    int64_t q = x / y;
    int64_t r = x % y;
    if (r != 0 && ((r < 0) != (y < 0))) {
      q -= 1;
      r += y;
    }
    return Value::integer(op == "%" ? r : q);
  }
  const double x = a.as_number();
  const double y = b.as_number();
  if (y == 0.0) {
    return make_error(ErrorCode::invalid_argument, "ZeroDivisionError: {}",
                      op == "%" ? "float modulo" : "float floor division by zero");
  }
  // CPython's float_divmod.
  double mod = std::fmod(x, y);
  double div = (x - mod) / y;
  if (mod != 0.0) {
    if ((y < 0) != (mod < 0)) {
      mod += y;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, y);
  }
  if (op == "%") return Value::floating(mod);
  double floordiv = 0.0;
  if (div != 0.0) {
    floordiv = std::floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else {
    floordiv = std::copysign(0.0, x / y);
  }
  return Value::floating(floordiv);
}

Result<Value> power(const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number()) return type_error("** or pow()", a, b);
  if (!a.is_float() && !b.is_float()) {
    const int64_t base = int_of(a);
    const int64_t exp = int_of(b);
    if (exp < 0) {
      if (base == 0) {
        return make_error(ErrorCode::invalid_argument, "ZeroDivisionError: 0.0 cannot be raised to a negative power");
      }
      return Value::floating(std::pow(static_cast<double>(base), static_cast<double>(exp)));
    }
    int64_t result = 1;
    int64_t factor = base;
    for (int64_t e = exp; e > 0; e >>= 1) {
      if ((e & 1) != 0 && __builtin_mul_overflow(result, factor, &result)) return overflow();
      if (e > 1 && __builtin_mul_overflow(factor, factor, &factor)) {
        if (base == 0 || base == 1) break;
        if (base == -1) return Value::integer((exp % 2 == 0) ? 1 : -1);
        return overflow();
      }
    }
    return Value::integer(result);
  }
  const double x = a.as_number();
  const double y = b.as_number();
  if (x == 0.0 && y < 0) {
    return make_error(ErrorCode::invalid_argument, "ZeroDivisionError: 0.0 cannot be raised to a negative power");
  }
  return Value::floating(std::pow(x, y));
}

}  // namespace

Result<Value> binary_op(Interpreter& interp, std::string_view op, const Value& a, const Value& b) {
  if (op == "~") {
    std::string text = to_str(a);
    const std::string right = to_str(b);
    OCCAM_TRY(interp.check_size(text.size() + right.size()));
    OCCAM_TRY(interp.charge((text.size() + right.size()) / 64));
    text += right;
    return Value::string(std::move(text));
  }
  if (a.is_undefined()) return undefined_error(a);
  if (b.is_undefined()) return undefined_error(b);
  if (op == "+") return add(interp, a, b);
  if (op == "-") {
    if (!a.is_number() || !b.is_number()) return type_error("-", a, b);
    if (a.is_float() || b.is_float()) return Value::floating(a.as_number() - b.as_number());
    int64_t r = 0;
    if (__builtin_sub_overflow(int_of(a), int_of(b), &r)) return overflow();
    return Value::integer(r);
  }
  if (op == "*") {
    if (a.is_number() && b.is_number()) {
      if (a.is_float() || b.is_float()) return Value::floating(a.as_number() * b.as_number());
      int64_t r = 0;
      if (__builtin_mul_overflow(int_of(a), int_of(b), &r)) return overflow();
      return Value::integer(r);
    }
    const bool a_seq = a.is_string() || a.is_sequence_list();
    const bool b_seq = b.is_string() || b.is_sequence_list();
    if (a_seq && (b.is_int() || b.is_bool())) return repeat(interp, a, int_of(b));
    if (b_seq && (a.is_int() || a.is_bool())) return repeat(interp, b, int_of(a));
    if (a_seq || b_seq) {
      return make_error(ErrorCode::invalid_argument, "TypeError: can't multiply sequence by non-int of type '{}'",
                        type_name(a_seq ? b : a));
    }
    return type_error("*", a, b);
  }
  if (op == "/") {
    if (!a.is_number() || !b.is_number()) return type_error("/", a, b);
    if (b.as_number() == 0.0) return make_error(ErrorCode::invalid_argument, "ZeroDivisionError: division by zero");
    return Value::floating(a.as_number() / b.as_number());
  }
  if (op == "//") return floor_div_mod("//", a, b);
  if (op == "%") {
    if (a.is_string()) return percent_format(interp, a, b);
    return floor_div_mod("%", a, b);
  }
  if (op == "**") return power(a, b);
  return make_error(ErrorCode::internal, "unknown operator '{}'", op);
}

}  // namespace occam::jinja
