// Template values with Python semantics: what Jinja2 sees when Hugging Face renders a chat template
// (str, int, float, bool, None, list, tuple, dict, generators, jinja2's Undefined and Namespace, macros).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace occam::jinja {

class Value;
class Interpreter;
struct Stmt;
struct Scope;

// Lists, tuples and the iterators Jinja2 filters return. Generators and reverse iterators are single-pass
// and have no len(); dict views have a len() but, like generators, are not JSON serializable.
enum class ListKind : uint8_t { list, tuple, generator, reverse_iterator, dict_keys, dict_values, dict_items };

struct ListData {
  std::vector<Value> items;
  uint32_t depth = 1;  // nesting of lists and dicts, bounded by the interpreter
  ListKind kind = ListKind::list;
  bool consumed = false;  // a single-pass iterator that was already iterated
};

// A Python dict: insertion-ordered, keys compared with Python equality (1 == 1.0 == True).
struct DictData {
  std::vector<std::pair<Value, Value>> entries;
  uint32_t depth = 1;
  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  void set(Value key, Value value);
};

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

using BuiltinFn = std::function<Result<Value>(Interpreter&, CallArgs&)>;

// A callable: a builtin (global function or bound method) or a template macro (or a `call` block's caller).
struct Callable {
  std::string name;
  BuiltinFn builtin;                      // set for builtins
  const Stmt* macro = nullptr;            // set for macros: the macro (or call block) statement
  std::shared_ptr<Scope> closure;         // scope the macro was defined in
  bool is_caller = false;
};

enum class Kind : uint8_t { undefined, none, boolean, integer, floating, string, list, dict, ns, callable };

class Value {
 public:
  Value() : kind_(Kind::none) {}
  static Value undefined(std::string hint = {}, bool security = false);
  static Value none() { return Value(); }
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value floating(double f);
  static Value string(std::string s, bool markup = false);
  static Value list(std::vector<Value> items, ListKind kind = ListKind::list);
  static Value dict(std::shared_ptr<DictData> data = nullptr);
  static Value ns(std::shared_ptr<DictData> data);
  static Value callable(std::shared_ptr<Callable> fn);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::undefined; }
  bool is_none() const { return kind_ == Kind::none; }
  bool is_bool() const { return kind_ == Kind::boolean; }
  bool is_int() const { return kind_ == Kind::integer; }
  bool is_float() const { return kind_ == Kind::floating; }
  bool is_number() const { return kind_ == Kind::integer || kind_ == Kind::floating || kind_ == Kind::boolean; }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_list() const { return kind_ == Kind::list; }
  bool is_dict() const { return kind_ == Kind::dict; }
  bool is_ns() const { return kind_ == Kind::ns; }
  bool is_callable() const { return kind_ == Kind::callable; }
  // A list or tuple (re-iterable, indexable); not a generator or a dict view.
  bool is_sequence_list() const {
    return kind_ == Kind::list && (list_->kind == ListKind::list || list_->kind == ListKind::tuple);
  }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  double as_float() const { return f_; }
  // Numeric value of a bool, int or float.
  double as_number() const;
  const std::string& as_string() const { return *str_; }
  bool markup() const { return markup_; }
  ListData& list_data() const { return *list_; }
  const std::shared_ptr<ListData>& list_ptr() const { return list_; }
  DictData& dict_data() const { return *dict_; }
  const std::shared_ptr<DictData>& dict_ptr() const { return dict_; }
  Callable& callable_data() const { return *fn_; }
  // For undefined values: the message jinja2 raises when the value is used ("'x' is undefined").
  const std::string& undefined_hint() const { return *str_; }
  bool undefined_is_security() const { return b_; }
  // Nesting depth of lists/tuples/dicts (0 for scalars, namespaces and callables).
  uint32_t depth() const;

 private:
  Kind kind_;
  bool markup_ = false;
  bool b_ = false;
  int64_t i_ = 0;
  double f_ = 0;
  std::shared_ptr<const std::string> str_;
  std::shared_ptr<ListData> list_;
  std::shared_ptr<DictData> dict_;
  std::shared_ptr<Callable> fn_;
};

// Printing a container stops once its text passes `max_bytes` and sets `overflowed`, which the
// interpreter checks after every expression: `{{ [big] * 100000 }}` must fail, not exhaust memory.
// Per thread, so that concurrent renderings do not share it.
struct ReprBudget {
  size_t max_bytes = size_t{64} << 20;
  bool overflowed = false;
};
ReprBudget& repr_budget();

// Work a linear pass over the value costs, in interpreter steps (a step per item, per 64 bytes of text).
uint64_t work_units(const Value& v);

// Python's bool(), ==, str(), repr() and type(x).__name__.
bool truthy(const Value& v);
bool py_equal(const Value& a, const Value& b);
std::string to_str(const Value& v);
std::string repr(const Value& v);
std::string type_name(const Value& v);
// jinja2.utils.object_type_repr, used in undefined messages: "dict object", "None".
std::string object_type_repr(const Value& v);
// Python repr(float).
std::string float_repr(double f);
// Python repr(str): quotes and escapes.
std::string string_repr(std::string_view s);
// Three-way comparison for <, <=, >, >= and sort(); errors like Python on mixed types.
Result<int> py_compare(const Value& a, const Value& b);

// The error a use of an undefined value raises.
Error undefined_error(const Value& undefined);

}  // namespace occam::jinja
