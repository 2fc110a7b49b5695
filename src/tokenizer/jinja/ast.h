// The syntax tree of a parsed template: expressions and statements, each with its line and column.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja/lexer.h"
#include "tokenizer/jinja/value.h"

namespace occam::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind : uint8_t {
  literal,    // value
  name,       // name
  list,       // items
  tuple,      // items
  dict,       // items: key, value, key, value, ...
  attribute,  // a.name
  subscript,  // a[b]
  slice,      // a:b:c (any may be null), only as a subscript's index
  call,       // a(items..., kwargs...)
  filter,     // a | name(items..., kwargs...); a is null inside `{% filter %}` and `{% set x | f %}`
  test,       // a is [not] name(items...)
  unary,      // op a: "not", "-", "+"
  binary,     // a op b: + - * / // % ** ~ and or
  compare,    // items[0] ops[0] items[1] ops[1] items[2] ...: == != < <= > >= in notin
  condition,  // a if b else c (c may be null)
};

struct Expr {
  ExprKind kind;
  Pos pos;
  Value value;
  std::string name;
  std::vector<ExprPtr> items;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;
  ExprPtr a, b, c;
  bool negated = false;

  Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;
  // Iterative: a chain like `1 + 1 + ... + 1` is as deep as it is long, too deep for recursion.
  ~Expr();
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class StmtKind : uint8_t {
  text,        // text
  output,      // {{ expr }}
  if_,         // branches (condition null for else)
  for_,        // target in expr [if filter] body [else else_body]
  set,         // target = expr
  set_block,   // {% set target [| filters] %}body{% endset %}
  macro,       // name(params = defaults) body
  call_block,  // {% call[(params)] expr %}body{% endcall %}
  filter_block,  // filters applied to the rendered body
  with,        // {% with targets = values %}body{% endwith %}
  break_,
  continue_,
  scoped,      // body rendered in place: {% generation %}
};

struct Stmt {
  StmtKind kind;
  Pos pos;
  std::string text;
  ExprPtr expr;
  ExprPtr target;
  ExprPtr filter;
  std::vector<ExprPtr> filters;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // one per param, null when absent
  std::vector<std::pair<ExprPtr, ExprPtr>> assignments;
  bool uses_varargs = false;
  bool uses_kwargs = false;
  bool uses_caller = false;
};

struct Template {
  Body body;
};

}  // namespace occam::jinja
