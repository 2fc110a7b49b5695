#include "tokenizer/jinja/interpreter.h"

#include "tokenizer/jinja/builtins.h"

namespace occam::jinja {

const Value* Scope::find(std::string_view name) const {
  for (const Scope* s = this; s != nullptr; s = s->parent.get()) {
    for (const auto& [key, value] : s->vars) {
      if (key == name) return &value;
    }
  }
  return nullptr;
}

void Scope::set(std::string_view name, Value value) {
  for (auto& [key, existing] : vars) {
    if (key == name) {
      existing = std::move(value);
      return;
    }
  }
  vars.emplace_back(std::string(name), std::move(value));
}

Error locate(Error error, Pos pos) {
  if (error.message().starts_with("template:")) return error;
  return error.with_context(fmt::format("template:{}:{}", pos.line, pos.column));
}

namespace {

struct DepthGuard {
  explicit DepthGuard(int& d) : depth(d) { ++depth; }
  ~DepthGuard() { --depth; }
  int& depth;
};

template <typename T>
Result<T> located(Result<T> result, Pos pos) {
  if (result.ok()) return result;
  return locate(std::move(result).error(), pos);
}

}  // namespace

Interpreter::Interpreter(RenderLimits limits, std::function<std::tm()> clock)
    : limits_(limits), clock_(std::move(clock)) {}

Interpreter::~Interpreter() {
  for (auto& scope : captured_scopes_) scope->vars.clear();
  for (auto& ns : namespaces_) ns->entries.clear();
}

Status Interpreter::charge(uint64_t units) {
  steps_ += units;
  if (steps_ > limits_.max_steps) {
    return make_error(ErrorCode::resource_exhausted, "rendering exceeded {} steps", limits_.max_steps);
  }
  return ok_status();
}

Status Interpreter::check_size(size_t bytes) const {
  if (bytes > limits_.max_output_bytes) {
    return make_error(ErrorCode::resource_exhausted, "string of {} bytes exceeds the limit of {} bytes", bytes,
                      limits_.max_output_bytes);
  }
  return ok_status();
}

Value Interpreter::make_namespace() {
  auto data = std::make_shared<DictData>();
  namespaces_.push_back(data);
  return Value::ns(std::move(data));
}

Status Interpreter::append(std::string& out, std::string_view text) {
  OCCAM_TRY(check_size(out.size() + text.size()));
  OCCAM_TRY(charge(text.size() / 64));
  out.append(text);
  return ok_status();
}

Result<std::string> Interpreter::render(const Template& tpl, const std::vector<std::pair<std::string, Value>>& vars) {
  struct BudgetScope {
    explicit BudgetScope(size_t max) : saved(repr_budget().max_bytes) {
      repr_budget().max_bytes = max;
      repr_budget().overflowed = false;
    }
    ~BudgetScope() {
      repr_budget().max_bytes = saved;
      repr_budget().overflowed = false;
    }
    size_t saved;
  } budget(limits_.max_output_bytes);
  auto root = std::make_shared<Scope>();
  for (auto& [name, value] : builtin_globals()) root->set(name, std::move(value));
  for (const auto& [name, value] : vars) root->set(name, value);
  captured_scopes_.push_back(root);
  std::string out;
  OCCAM_ASSIGN_OR_RETURN(Flow flow, exec_body(tpl.body, root, out));
  (void)flow;
  return out;
}

Result<Interpreter::Flow> Interpreter::exec_body(const Body& body, const ScopePtr& scope, std::string& out) {
  for (const auto& stmt : body) {
    OCCAM_ASSIGN_OR_RETURN(Flow flow, exec(*stmt, scope, out));
    if (flow != Flow::normal) return flow;
  }
  return Flow::normal;
}

Result<Interpreter::Flow> Interpreter::exec(const Stmt& stmt, const ScopePtr& scope, std::string& out) {
  DepthGuard guard(depth_);
  if (depth_ > limits_.max_depth) {
    return locate(make_error(ErrorCode::resource_exhausted, "nesting deeper than {}", limits_.max_depth), stmt.pos);
  }
  OCCAM_TRY(located(charge(1), stmt.pos));
  switch (stmt.kind) {
    case StmtKind::text: OCCAM_TRY(located(append(out, stmt.text), stmt.pos)); return Flow::normal;
    case StmtKind::output: {
      OCCAM_ASSIGN_OR_RETURN(Value v, eval(*stmt.expr, scope));
      std::string text = to_str(v);
      if (repr_budget().overflowed) {
        return locate(make_error(ErrorCode::resource_exhausted, "printed value exceeds the limit of {} bytes",
                                 limits_.max_output_bytes),
                      stmt.pos);
      }
      OCCAM_TRY(located(append(out, text), stmt.pos));
      return Flow::normal;
    }
    case StmtKind::if_:
      for (const auto& [cond, body] : stmt.branches) {
        if (cond) {
          OCCAM_ASSIGN_OR_RETURN(Value c, eval(*cond, scope));
          if (!truthy(c)) continue;
        }
        return exec_body(body, scope, out);
      }
      return Flow::normal;
    case StmtKind::for_: return exec_for(stmt, scope, out);
    case StmtKind::set: {
      OCCAM_ASSIGN_OR_RETURN(Value v, eval(*stmt.expr, scope));
      OCCAM_TRY(assign(*stmt.target, std::move(v), scope));
      return Flow::normal;
    }
    case StmtKind::set_block: {
      std::string text;
      OCCAM_ASSIGN_OR_RETURN(Flow flow, exec_body(stmt.body, scope, text));
      (void)flow;
      Value v = Value::string(std::move(text));
      for (const auto& f : stmt.filters) {
        OCCAM_ASSIGN_OR_RETURN(v, eval_filter(*f, std::move(v), scope));
      }
      OCCAM_TRY(assign(*stmt.target, std::move(v), scope));
      return Flow::normal;
    }
    case StmtKind::macro: {
      auto fn = std::make_shared<Callable>();
      fn->name = stmt.name;
      fn->macro = &stmt;
      fn->closure = scope;
      captured_scopes_.push_back(scope);
      scope->set(stmt.name, Value::callable(std::move(fn)));
      return Flow::normal;
    }
    case StmtKind::call_block: OCCAM_TRY(exec_call_block(stmt, scope, out)); return Flow::normal;
    case StmtKind::filter_block: {
      std::string text;
      auto inner = std::make_shared<Scope>();
      inner->parent = scope;
      OCCAM_ASSIGN_OR_RETURN(Flow flow, exec_body(stmt.body, inner, text));
      Value v = Value::string(std::move(text));
      for (const auto& f : stmt.filters) {
        OCCAM_ASSIGN_OR_RETURN(v, eval_filter(*f, std::move(v), scope));
      }
      OCCAM_TRY(located(append(out, to_str(v)), stmt.pos));
      return flow;
    }
    case StmtKind::with: {
      auto inner = std::make_shared<Scope>();
      inner->parent = scope;
      for (const auto& [target, value] : stmt.assignments) {
        OCCAM_ASSIGN_OR_RETURN(Value v, eval(*value, scope));
        OCCAM_TRY(assign(*target, std::move(v), inner));
      }
      return exec_body(stmt.body, inner, out);
    }
    case StmtKind::break_: return Flow::break_;
    case StmtKind::continue_: return Flow::continue_;
    case StmtKind::scoped: {
      // Hugging Face renders {% generation %} as a call block: its assignments stay inside.
      auto inner = std::make_shared<Scope>();
      inner->parent = scope;
      OCCAM_ASSIGN_OR_RETURN(Flow flow, exec_body(stmt.body, inner, out));
      (void)flow;
      return Flow::normal;
    }
  }
  return Flow::normal;
}

Value Interpreter::make_loop(size_t index, const std::vector<Value>& items,
                             const std::shared_ptr<std::vector<Value>>& changed) {
  const auto n = static_cast<int64_t>(items.size());
  const auto i = static_cast<int64_t>(index);
  auto loop = std::make_shared<DictData>();
  loop->entries.reserve(14);
  const auto put = [&](const char* key, Value v) { loop->entries.emplace_back(Value::string(key), std::move(v)); };
  put("index", Value::integer(i + 1));
  put("index0", Value::integer(i));
  put("revindex", Value::integer(n - i));
  put("revindex0", Value::integer(n - i - 1));
  put("first", Value::boolean(i == 0));
  put("last", Value::boolean(i == n - 1));
  put("length", Value::integer(n));
  put("depth", Value::integer(1));
  put("depth0", Value::integer(0));
  put("previtem", i > 0 ? items[index - 1] : Value::undefined("there is no previous item"));
  put("nextitem", i + 1 < n ? items[index + 1] : Value::undefined("there is no next item"));
  auto cycle = std::make_shared<Callable>();
  cycle->name = "cycle";
  cycle->builtin = [index](Interpreter&, CallArgs& args) -> Result<Value> {
    if (args.positional.empty()) return make_error(ErrorCode::invalid_argument, "TypeError: no items for cycling given");
    return args.positional[index % args.positional.size()];
  };
  put("cycle", Value::callable(std::move(cycle)));
  auto changed_fn = std::make_shared<Callable>();
  changed_fn->name = "changed";
  changed_fn->builtin = [changed](Interpreter&, CallArgs& args) -> Result<Value> {
    Value now = Value::list(args.positional);
    if (!changed->empty() && py_equal(changed->front(), now)) return Value::boolean(false);
    changed->assign(1, std::move(now));
    return Value::boolean(true);
  };
  put("changed", Value::callable(std::move(changed_fn)));
  return Value::dict(std::move(loop));
}

Result<Interpreter::Flow> Interpreter::exec_for(const Stmt& stmt, const ScopePtr& scope, std::string& out) {
  OCCAM_ASSIGN_OR_RETURN(Value iterable, eval(*stmt.expr, scope));
  OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, located(iterate(iterable), stmt.expr->pos));
  if (stmt.filter) {
    std::vector<Value> kept;
    for (auto& item : items) {
      auto inner = std::make_shared<Scope>();
      inner->parent = scope;
      OCCAM_TRY(assign(*stmt.target, item, inner));
      OCCAM_ASSIGN_OR_RETURN(Value keep, eval(*stmt.filter, inner));
      if (truthy(keep)) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    if (stmt.else_body.empty()) return Flow::normal;
    auto inner = std::make_shared<Scope>();
    inner->parent = scope;
    OCCAM_ASSIGN_OR_RETURN(Flow flow, exec_body(stmt.else_body, inner, out));
    (void)flow;
    return Flow::normal;
  }
  auto changed = std::make_shared<std::vector<Value>>();
  for (size_t i = 0; i < items.size(); ++i) {
    OCCAM_TRY(located(charge(1), stmt.pos));
    auto inner = std::make_shared<Scope>();
    inner->parent = scope;
    inner->set("loop", make_loop(i, items, changed));
    OCCAM_TRY(assign(*stmt.target, items[i], inner));
    OCCAM_ASSIGN_OR_RETURN(Flow flow, exec_body(stmt.body, inner, out));
    if (flow == Flow::break_) break;
  }
  return Flow::normal;
}

Status Interpreter::exec_call_block(const Stmt& stmt, const ScopePtr& scope, std::string& out) {
  auto caller = std::make_shared<Callable>();
  caller->name = "caller";
  caller->macro = &stmt;
  caller->closure = scope;
  caller->is_caller = true;
  captured_scopes_.push_back(scope);
  const Value caller_value = Value::callable(std::move(caller));
  OCCAM_ASSIGN_OR_RETURN(Value result, eval_call(*stmt.expr, scope, &caller_value));
  return located(append(out, to_str(result)), stmt.pos);
}

Status Interpreter::assign(const Expr& target, Value value, const ScopePtr& scope) {
  switch (target.kind) {
    case ExprKind::name: scope->set(target.name, std::move(value)); return ok_status();
    case ExprKind::attribute: {
      const Value* ns = scope->find(target.a->name);
      if (ns == nullptr || !ns->is_ns()) {
        return locate(make_error(ErrorCode::invalid_argument,
                                 "TemplateRuntimeError: cannot assign attribute on non-namespace object"),
                      target.pos);
      }
      ns->dict_data().set(Value::string(target.name), std::move(value));
      return ok_status();
    }
    case ExprKind::tuple:
    case ExprKind::list: {
      OCCAM_ASSIGN_OR_RETURN(std::vector<Value> items, located(iterate(value), target.pos));
      if (items.size() != target.items.size()) {
        if (items.size() > target.items.size()) {
          return locate(make_error(ErrorCode::invalid_argument, "ValueError: too many values to unpack (expected {})",
                                   target.items.size()),
                        target.pos);
        }
        return locate(make_error(ErrorCode::invalid_argument,
                                 "ValueError: not enough values to unpack (expected {}, got {})", target.items.size(),
                                 items.size()),
                      target.pos);
      }
      for (size_t i = 0; i < items.size(); ++i) OCCAM_TRY(assign(*target.items[i], std::move(items[i]), scope));
      return ok_status();
    }
    default:
      return locate(make_error(ErrorCode::invalid_argument, "TemplateSyntaxError: cannot assign to expression"),
                    target.pos);
  }
}

Result<CallArgs> Interpreter::eval_args(const Expr& expr, const ScopePtr& scope) {
  CallArgs args;
  args.positional.reserve(expr.items.size());
  for (const auto& item : expr.items) {
    OCCAM_ASSIGN_OR_RETURN(Value v, eval(*item, scope));
    args.positional.push_back(std::move(v));
  }
  for (const auto& [key, item] : expr.kwargs) {
    OCCAM_ASSIGN_OR_RETURN(Value v, eval(*item, scope));
    args.keyword.emplace_back(key, std::move(v));
  }
  return args;
}

Result<Value> Interpreter::eval_filter(const Expr& expr, Value input, const ScopePtr& scope) {
  const FilterFn fn = find_filter(expr.name);
  if (fn == nullptr) {
    return locate(make_error(ErrorCode::unsupported, "unsupported filter '{}'", expr.name), expr.pos);
  }
  OCCAM_ASSIGN_OR_RETURN(CallArgs args, eval_args(expr, scope));
  // Filters make at least one pass over their input: charged here once for all of them.
  OCCAM_TRY(located(charge(work_units(input)), expr.pos));
  return located(fn(*this, input, args), expr.pos);
}

Result<Value> Interpreter::call_value(const Value& callee, CallArgs& args, Pos pos) {
  if (callee.is_undefined()) return locate(undefined_error(callee), pos);
  if (!callee.is_callable()) {
    return locate(make_error(ErrorCode::invalid_argument, "TypeError: '{}' object is not callable", type_name(callee)),
                  pos);
  }
  const Callable& fn = callee.callable_data();
  if (fn.macro != nullptr) return call_macro(fn, args, pos);
  return located(fn.builtin(*this, args), pos);
}

Result<Value> Interpreter::call_macro(const Callable& macro, CallArgs& args, Pos pos) {
  DepthGuard guard(depth_);
  if (depth_ > limits_.max_depth) {
    return locate(make_error(ErrorCode::resource_exhausted, "macro calls nested deeper than {}", limits_.max_depth), pos);
  }
  const Stmt& def = *macro.macro;
  auto scope = std::make_shared<Scope>();
  scope->parent = macro.closure;
  const size_t n = def.params.size();
  std::vector<bool> bound(n, false);
  std::vector<Value> extra_positional;
  for (size_t i = 0; i < args.positional.size(); ++i) {
    if (i < n) {
      scope->set(def.params[i], std::move(args.positional[i]));
      bound[i] = true;
    } else {
      extra_positional.push_back(std::move(args.positional[i]));
    }
  }
  if (!extra_positional.empty() && !def.uses_varargs) {
    return locate(make_error(ErrorCode::invalid_argument, "TypeError: macro '{}' takes not more than {} argument(s)",
                             macro.name, n),
                  pos);
  }
  auto extra_kwargs = std::make_shared<DictData>();
  for (auto& [key, value] : args.keyword) {
    bool matched = false;
    for (size_t i = 0; i < n; ++i) {
      if (def.params[i] == key) {
        if (bound[i]) {
          return locate(make_error(ErrorCode::invalid_argument, "TypeError: macro '{}' got multiple values for argument '{}'",
                                   macro.name, key),
                        pos);
        }
        scope->set(key, std::move(value));
        bound[i] = true;
        matched = true;
      }
    }
    if (matched) continue;
    if (key == "caller") {
      scope->set("caller", std::move(value));
    } else if (def.uses_kwargs) {
      extra_kwargs->set(Value::string(key), std::move(value));
    } else {
      return locate(make_error(ErrorCode::invalid_argument, "TypeError: macro '{}' takes no keyword argument '{}'",
                               macro.name, key),
                    pos);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (bound[i]) continue;
    if (def.defaults[i]) {
      OCCAM_ASSIGN_OR_RETURN(Value v, eval(*def.defaults[i], scope));
      scope->set(def.params[i], std::move(v));
    } else {
      scope->set(def.params[i], Value::undefined(fmt::format("parameter '{}' was not provided", def.params[i])));
    }
  }
  if (def.uses_varargs) scope->set("varargs", Value::list(std::move(extra_positional), ListKind::tuple));
  if (def.uses_kwargs) scope->set("kwargs", Value::dict(std::move(extra_kwargs)));
  std::string out;
  OCCAM_ASSIGN_OR_RETURN(Flow flow, exec_body(def.body, scope, out));
  (void)flow;
  return Value::string(std::move(out));
}

Result<Value> Interpreter::eval_call(const Expr& expr, const ScopePtr& scope, const Value* caller) {
  OCCAM_ASSIGN_OR_RETURN(Value callee, eval(*expr.a, scope));
  OCCAM_ASSIGN_OR_RETURN(CallArgs args, eval_args(expr, scope));
  if (caller != nullptr) args.keyword.emplace_back("caller", *caller);
  return call_value(callee, args, expr.pos);
}

Result<bool> Interpreter::eval_compare(const Expr& expr, const ScopePtr& scope) {
  OCCAM_ASSIGN_OR_RETURN(Value left, eval(*expr.items[0], scope));
  for (size_t i = 0; i < expr.ops.size(); ++i) {
    OCCAM_ASSIGN_OR_RETURN(Value right, eval(*expr.items[i + 1], scope));
    OCCAM_TRY(located(charge(work_units(left) + work_units(right)), expr.pos));
    const std::string& op = expr.ops[i];
    bool result = false;
    if (op == "==") {
      result = py_equal(left, right);
    } else if (op == "!=") {
      result = !py_equal(left, right);
    } else if (op == "in" || op == "notin") {
      OCCAM_ASSIGN_OR_RETURN(bool in, located(contains(right, left), expr.pos));
      result = (op == "in") == in;
    } else {
      OCCAM_ASSIGN_OR_RETURN(int c, located(py_compare(left, right), expr.pos));
      if (op == "<") result = c < 0;
      if (op == "<=") result = c <= 0;
      if (op == ">") result = c > 0;
      if (op == ">=") result = c >= 0;
    }
    if (!result) return false;
    left = std::move(right);
  }
  return true;
}

Result<Value> Interpreter::eval(const Expr& expr, const ScopePtr& scope) {
  OCCAM_ASSIGN_OR_RETURN(Value v, eval_node(expr, scope));
  if (repr_budget().overflowed) {
    return locate(make_error(ErrorCode::resource_exhausted, "printed value exceeds the limit of {} bytes",
                             limits_.max_output_bytes),
                  expr.pos);
  }
  // Deeply nested values would make equality, printing and destruction recurse without bound.
  if (v.depth() > limits_.max_value_depth) {
    return locate(make_error(ErrorCode::resource_exhausted, "value nested deeper than {}", limits_.max_value_depth),
                  expr.pos);
  }
  return v;
}

Result<Value> Interpreter::eval_node(const Expr& expr, const ScopePtr& scope) {
  DepthGuard guard(depth_);
  if (depth_ > limits_.max_depth) {
    return locate(make_error(ErrorCode::resource_exhausted, "nesting deeper than {}", limits_.max_depth), expr.pos);
  }
  OCCAM_TRY(located(charge(1), expr.pos));
  switch (expr.kind) {
    case ExprKind::literal: return expr.value;
    case ExprKind::name: {
      const Value* v = scope->find(expr.name);
      if (v != nullptr) return *v;
      return Value::undefined(fmt::format("'{}' is undefined", expr.name));
    }
    case ExprKind::list:
    case ExprKind::tuple: {
      std::vector<Value> items;
      items.reserve(expr.items.size());
      for (const auto& item : expr.items) {
        OCCAM_ASSIGN_OR_RETURN(Value v, eval(*item, scope));
        items.push_back(std::move(v));
      }
      return Value::list(std::move(items), expr.kind == ExprKind::tuple ? ListKind::tuple : ListKind::list);
    }
    case ExprKind::dict: {
      auto data = std::make_shared<DictData>();
      for (size_t i = 0; i + 1 < expr.items.size(); i += 2) {
        OCCAM_ASSIGN_OR_RETURN(Value key, eval(*expr.items[i], scope));
        OCCAM_ASSIGN_OR_RETURN(Value value, eval(*expr.items[i + 1], scope));
        if (key.is_list() && key.list_data().kind != ListKind::tuple) {
          return locate(make_error(ErrorCode::invalid_argument, "TypeError: unhashable type: '{}'", type_name(key)),
                        expr.items[i]->pos);
        }
        if (key.is_dict() || key.is_undefined()) {
          return locate(key.is_undefined() ? undefined_error(key)
                                           : make_error(ErrorCode::invalid_argument, "TypeError: unhashable type: 'dict'"),
                        expr.items[i]->pos);
        }
        data->set(std::move(key), std::move(value));
      }
      return Value::dict(std::move(data));
    }
    case ExprKind::attribute: {
      OCCAM_ASSIGN_OR_RETURN(Value obj, eval(*expr.a, scope));
      return located(get_attr(obj, expr.name), expr.pos);
    }
    case ExprKind::subscript: {
      OCCAM_ASSIGN_OR_RETURN(Value obj, eval(*expr.a, scope));
      if (expr.b->kind == ExprKind::slice) {
        const Expr& s = *expr.b;
        Value start;
        Value stop;
        Value step;
        if (s.a) {
          OCCAM_ASSIGN_OR_RETURN(start, eval(*s.a, scope));
        }
        if (s.b) {
          OCCAM_ASSIGN_OR_RETURN(stop, eval(*s.b, scope));
        }
        if (s.c) {
          OCCAM_ASSIGN_OR_RETURN(step, eval(*s.c, scope));
        }
        return located(get_slice(obj, start, stop, step), expr.pos);
      }
      OCCAM_ASSIGN_OR_RETURN(Value key, eval(*expr.b, scope));
      return located(get_item(obj, key), expr.pos);
    }
    case ExprKind::slice:
      return locate(make_error(ErrorCode::invalid_argument, "TemplateSyntaxError: slice outside of a subscript"), expr.pos);
    case ExprKind::call: return eval_call(expr, scope, nullptr);
    case ExprKind::filter: {
      Value input;
      if (expr.a) {
        OCCAM_ASSIGN_OR_RETURN(input, eval(*expr.a, scope));
      }
      return eval_filter(expr, std::move(input), scope);
    }
    case ExprKind::test: {
      const TestFn fn = find_test(expr.name);
      if (fn == nullptr) return locate(make_error(ErrorCode::unsupported, "unsupported test '{}'", expr.name), expr.pos);
      OCCAM_ASSIGN_OR_RETURN(Value input, eval(*expr.a, scope));
      OCCAM_ASSIGN_OR_RETURN(CallArgs args, eval_args(expr, scope));
      OCCAM_ASSIGN_OR_RETURN(bool result, located(fn(*this, input, args), expr.pos));
      return Value::boolean(result != expr.negated);
    }
    case ExprKind::unary: {
      OCCAM_ASSIGN_OR_RETURN(Value v, eval(*expr.a, scope));
      if (expr.name == "not") return Value::boolean(!truthy(v));
      if (v.is_undefined()) return locate(undefined_error(v), expr.pos);
      if (!v.is_number()) {
        return locate(make_error(ErrorCode::invalid_argument, "TypeError: bad operand type for unary {}: '{}'", expr.name,
                                 type_name(v)),
                      expr.pos);
      }
      if (expr.name == "+") return v.is_bool() ? Value::integer(v.as_bool()) : v;
      if (v.is_float()) return Value::floating(-v.as_float());
      const int64_t i = v.is_bool() ? v.as_bool() : v.as_int();
      if (i == INT64_MIN) return locate(make_error(ErrorCode::unsupported, "integer overflow"), expr.pos);
      return Value::integer(-i);
    }
    case ExprKind::binary: {
      OCCAM_ASSIGN_OR_RETURN(Value left, eval(*expr.a, scope));
      if (expr.name == "and") {
        if (!truthy(left)) return left;
        return eval(*expr.b, scope);
      }
      if (expr.name == "or") {
        if (truthy(left)) return left;
        return eval(*expr.b, scope);
      }
      OCCAM_ASSIGN_OR_RETURN(Value right, eval(*expr.b, scope));
      return located(binary_op(*this, expr.name, left, right), expr.pos);
    }
    case ExprKind::compare: {
      OCCAM_ASSIGN_OR_RETURN(bool result, eval_compare(expr, scope));
      return Value::boolean(result);
    }
    case ExprKind::condition: {
      OCCAM_ASSIGN_OR_RETURN(Value cond, eval(*expr.b, scope));
      if (truthy(cond)) return eval(*expr.a, scope);
      if (expr.c) return eval(*expr.c, scope);
      return Value::undefined(fmt::format("the inline if-expression on line {} evaluated to false and no else section "
                                          "was defined.",
                                          expr.pos.line));
    }
  }
  return Value::undefined();
}

}  // namespace occam::jinja
