// Jinja2's builtin tests (jinja2/tests.py): `x is defined`, `x is divisibleby 3`, `x is equalto y`, ...
#include <unordered_map>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/utf8.h"

namespace occam::jinja {
namespace {

Result<const Value*> one_arg(std::string_view name, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind(name, args, {"other"}, 1));
  return a.get(0);
}

Status no_args(std::string_view name, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(auto a, ArgReader::bind(name, args, {}));
  (void)a;
  return ok_status();
}

#define OCCAM_SIMPLE_TEST(fn, name, expr)                              \
  Result<bool> fn(Interpreter&, const Value& v, CallArgs& args) {      \
    OCCAM_TRY(no_args(name, args));                                    \
    return (expr);                                                     \
  }

OCCAM_SIMPLE_TEST(t_defined, "defined", !v.is_undefined())
OCCAM_SIMPLE_TEST(t_undefined, "undefined", v.is_undefined())
OCCAM_SIMPLE_TEST(t_none, "none", v.is_none())
OCCAM_SIMPLE_TEST(t_boolean, "boolean", v.is_bool())
OCCAM_SIMPLE_TEST(t_true, "true", v.is_bool() && v.as_bool())
OCCAM_SIMPLE_TEST(t_false, "false", v.is_bool() && !v.as_bool())
OCCAM_SIMPLE_TEST(t_integer, "integer", v.is_int())
OCCAM_SIMPLE_TEST(t_float, "float", v.is_float())
OCCAM_SIMPLE_TEST(t_number, "number", v.is_number())
OCCAM_SIMPLE_TEST(t_string, "string", v.is_string())
OCCAM_SIMPLE_TEST(t_mapping, "mapping", v.is_dict())
OCCAM_SIMPLE_TEST(t_callable, "callable", v.is_callable())
OCCAM_SIMPLE_TEST(t_escaped, "escaped", v.is_string() && v.markup())
// iter() works on Undefined, strings, containers and iterators.
OCCAM_SIMPLE_TEST(t_iterable, "iterable", v.is_undefined() || v.is_string() || v.is_list() || v.is_dict())
// len() and __getitem__: Undefined has both; iterators have neither.
OCCAM_SIMPLE_TEST(t_sequence, "sequence", v.is_undefined() || v.is_string() || v.is_sequence_list() || v.is_dict())

bool all_cased(const std::string& s, bool upper) {
  bool any = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = utf8_decode(s, pos);
    if (upper ? py_is_cased_lower(cp) : py_is_cased_upper(cp)) return false;
    if (upper ? py_is_cased_upper(cp) : py_is_cased_lower(cp)) any = true;
  }
  return any;
}

OCCAM_SIMPLE_TEST(t_lower, "lower", all_cased(to_str(v), false))
OCCAM_SIMPLE_TEST(t_upper, "upper", all_cased(to_str(v), true))

Result<bool> parity(Interpreter& interp, const Value& v, CallArgs& args, std::string_view name, bool even) {
  OCCAM_TRY(no_args(name, args));
  OCCAM_ASSIGN_OR_RETURN(Value r, binary_op(interp, "%", v, Value::integer(2)));
  return py_equal(r, Value::integer(0)) == even;
}
Result<bool> t_even(Interpreter& i, const Value& v, CallArgs& a) { return parity(i, v, a, "even", true); }
Result<bool> t_odd(Interpreter& i, const Value& v, CallArgs& a) { return parity(i, v, a, "odd", false); }

Result<bool> t_divisibleby(Interpreter& interp, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(const Value* num, one_arg("divisibleby", args));
  OCCAM_ASSIGN_OR_RETURN(Value r, binary_op(interp, "%", v, *num));
  return py_equal(r, Value::integer(0));
}

Result<bool> t_eq(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(const Value* other, one_arg("eq", args));
  return py_equal(v, *other);
}
Result<bool> t_ne(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(const Value* other, one_arg("ne", args));
  return !py_equal(v, *other);
}

template <int Lo, int Hi>  // passes when Lo <= compare(v, other) <= Hi
Result<bool> t_order(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(const Value* other, one_arg("comparison", args));
  OCCAM_ASSIGN_OR_RETURN(int c, py_compare(v, *other));
  return c >= Lo && c <= Hi;
}

Result<bool> t_in(Interpreter& interp, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(const Value* seq, one_arg("in", args));
  OCCAM_TRY(interp.charge(work_units(*seq)));
  return contains(*seq, v);
}

Result<bool> t_sameas(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_ASSIGN_OR_RETURN(const Value* other, one_arg("sameas", args));
  if (v.kind() != other->kind()) return false;
  switch (v.kind()) {
    case Kind::none:
    case Kind::boolean:
    case Kind::integer: return py_equal(v, *other);
    case Kind::list: return v.list_ptr() == other->list_ptr();
    case Kind::dict:
    case Kind::ns: return v.dict_ptr() == other->dict_ptr();
    case Kind::callable: return &v.callable_data() == &other->callable_data();
    case Kind::string: return &v.as_string() == &other->as_string();
    default: return false;
  }
}

Result<bool> t_filter(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_TRY(no_args("filter", args));
  return v.is_string() && find_filter(v.as_string()) != nullptr;
}

Result<bool> t_test(Interpreter&, const Value& v, CallArgs& args) {
  OCCAM_TRY(no_args("test", args));
  return v.is_string() && find_test(v.as_string()) != nullptr;
}

const std::unordered_map<std::string_view, TestFn>& test_table() {
  static const std::unordered_map<std::string_view, TestFn> table = {
      {"boolean", t_boolean},   {"callable", t_callable}, {"defined", t_defined},   {"divisibleby", t_divisibleby},
      {"eq", t_eq},             {"equalto", t_eq},        {"==", t_eq},             {"escaped", t_escaped},
      {"even", t_even},         {"false", t_false},       {"filter", t_filter},     {"float", t_float},
      {"ge", t_order<0, 1>},    {">=", t_order<0, 1>},    {"gt", t_order<1, 1>},    {">", t_order<1, 1>},
      {"greaterthan", t_order<1, 1>}, {"in", t_in},       {"integer", t_integer},   {"iterable", t_iterable},
      {"le", t_order<-1, 0>},   {"<=", t_order<-1, 0>},   {"lower", t_lower},       {"lt", t_order<-1, -1>},
      {"<", t_order<-1, -1>},   {"lessthan", t_order<-1, -1>}, {"mapping", t_mapping}, {"ne", t_ne},
      {"!=", t_ne},             {"none", t_none},         {"number", t_number},     {"odd", t_odd},
      {"sameas", t_sameas},     {"sequence", t_sequence}, {"string", t_string},     {"test", t_test},
      {"true", t_true},         {"undefined", t_undefined}, {"upper", t_upper},
  };
  return table;
}

}  // namespace

TestFn find_test(std::string_view name) {
  const auto& table = test_table();
  const auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace occam::jinja
