// Global functions: jinja2's range (sandbox-bounded), dict, namespace, joiner, and the helpers Hugging
// Face adds for chat templates: raise_exception and strftime_now.
#include <ctime>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/interpreter.h"

namespace occam::jinja {
namespace {

// jinja2.sandbox.MAX_RANGE.
constexpr int64_t kMaxRange = 100000;

Result<int64_t> int_value(const Value& v) {
  if (v.is_int()) return v.as_int();
  if (v.is_bool()) return v.as_bool() ? 1 : 0;
  if (v.is_undefined()) return undefined_error(v);
  return make_error(ErrorCode::invalid_argument, "TypeError: '{}' object cannot be interpreted as an integer",
                    type_name(v));
}

Result<Value> g_range(Interpreter& interp, CallArgs& args) {
  if (!args.keyword.empty()) return make_error(ErrorCode::invalid_argument, "TypeError: range() takes no keyword arguments");
  const auto& p = args.positional;
  if (p.empty() || p.size() > 3) {
    return make_error(ErrorCode::invalid_argument, "TypeError: range expected 1 to 3 arguments, got {}", p.size());
  }
  int64_t start = 0;
  int64_t stop = 0;
  int64_t step = 1;
  if (p.size() == 1) {
    OCCAM_ASSIGN_OR_RETURN(stop, int_value(p[0]));
  } else {
    OCCAM_ASSIGN_OR_RETURN(start, int_value(p[0]));
    OCCAM_ASSIGN_OR_RETURN(stop, int_value(p[1]));
    if (p.size() == 3) {
      OCCAM_ASSIGN_OR_RETURN(step, int_value(p[2]));
    }
  }
  if (step == 0) return make_error(ErrorCode::invalid_argument, "ValueError: range() arg 3 must not be zero");
  const __int128 span = step > 0 ? (static_cast<__int128>(stop) - start + step - 1) / step
                                 : (static_cast<__int128>(start) - stop - step - 1) / -step;
  const int64_t count = span > 0 ? static_cast<int64_t>(span > kMaxRange + 1 ? kMaxRange + 1 : span) : 0;
  if (count > kMaxRange) {
    return make_error(ErrorCode::resource_exhausted,
                      "OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE ({}).", kMaxRange);
  }
  OCCAM_TRY(interp.charge(static_cast<uint64_t>(count)));
  std::vector<Value> items;
  items.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) items.push_back(Value::integer(start + i * step));
  return Value::list(std::move(items));
}

Status merge_mapping(const CallArgs& args, std::string_view function, DictData& into) {
  if (args.positional.size() > 1) {
    return make_error(ErrorCode::invalid_argument, "TypeError: {} expected at most 1 argument, got {}", function,
                      args.positional.size());
  }
  if (!args.positional.empty()) {
    const Value& source = args.positional[0];
    if (source.is_dict()) {
      for (const auto& [k, v] : source.dict_data().entries) into.set(k, v);
    } else {
      OCCAM_ASSIGN_OR_RETURN(std::vector<Value> pairs, iterate(source));
      for (const auto& pair : pairs) {
        OCCAM_ASSIGN_OR_RETURN(std::vector<Value> kv, iterate(pair));
        if (kv.size() != 2) {
          return make_error(ErrorCode::invalid_argument,
                            "ValueError: dictionary update sequence element has length {}; 2 is required", kv.size());
        }
        into.set(kv[0], kv[1]);
      }
    }
  }
  for (const auto& [key, value] : args.keyword) into.set(Value::string(key), value);
  return ok_status();
}

Result<Value> g_dict(Interpreter&, CallArgs& args) {
  auto data = std::make_shared<DictData>();
  OCCAM_TRY(merge_mapping(args, "dict", *data));
  return Value::dict(std::move(data));
}

Result<Value> g_namespace(Interpreter& interp, CallArgs& args) {
  Value ns = interp.make_namespace();
  OCCAM_TRY(merge_mapping(args, "namespace", ns.dict_data()));
  return ns;
}

Result<Value> g_raise_exception(Interpreter&, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("raise_exception", args, {"message"}, 1));
  return make_error(ErrorCode::invalid_argument, "TemplateError: {}", to_str(*a.get(0)));
}

Result<Value> g_strftime_now(Interpreter& interp, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("strftime_now", args, {"format"}, 1));
  if (!a.get(0)->is_string()) return make_error(ErrorCode::invalid_argument, "TypeError: strftime() argument 1 must be str");
  const std::string& format = a.get(0)->as_string();
  if (format.size() > 1024) return make_error(ErrorCode::resource_exhausted, "strftime format too long");
  if (format.empty()) return Value::string("");
  const std::tm now = interp.now();
  std::string out(format.size() * 16 + 64, '\0');
  const size_t n = std::strftime(out.data(), out.size(), format.c_str(), &now);
  out.resize(n);
  return Value::string(std::move(out));
}

Result<Value> g_joiner(Interpreter&, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind("joiner", args, {"sep"}));
  const std::string sep = a.get(0) != nullptr ? to_str(*a.get(0)) : ", ";
  auto used = std::make_shared<bool>(false);
  auto fn = std::make_shared<Callable>();
  fn->name = "joiner";
  fn->builtin = [sep, used](Interpreter&, CallArgs&) -> Result<Value> {
    if (!*used) {
      *used = true;
      return Value::string("");
    }
    return Value::string(sep);
  };
  return Value::callable(std::move(fn));
}

Value builtin(std::string name, Result<Value> (*fn)(Interpreter&, CallArgs&)) {
  auto callable = std::make_shared<Callable>();
  callable->name = std::move(name);
  callable->builtin = fn;
  return Value::callable(std::move(callable));
}

}  // namespace

std::vector<std::pair<std::string, Value>> builtin_globals() {
  return {
      {"range", builtin("range", g_range)},
      {"dict", builtin("dict", g_dict)},
      {"namespace", builtin("namespace", g_namespace)},
      {"joiner", builtin("joiner", g_joiner)},
      {"raise_exception", builtin("raise_exception", g_raise_exception)},
      {"strftime_now", builtin("strftime_now", g_strftime_now)},
  };
}

}  // namespace occam::jinja
