// Renders a parsed template: Jinja2's scoping (loops and macros open scopes, `if` does not), loop
// objects, macros with `caller`, namespaces, filters, tests, and hard bounds on work, depth and output.
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/value.h"

namespace occam::jinja {

// Untrusted templates must not run forever nor exhaust memory: every statement, expression and loop
// iteration costs a step, large strings cost steps in proportion to their size, and no string (the
// output included) may grow past max_output_bytes.
struct RenderLimits {
  size_t max_output_bytes = size_t{8} << 20;
  uint64_t max_steps = 20'000'000;
  int max_depth = 400;  // nested expressions + statements + macro calls
  uint32_t max_value_depth = 200;  // nesting of lists and dicts built by the template
};

struct Scope {
  std::shared_ptr<Scope> parent;
  std::vector<std::pair<std::string, Value>> vars;
  const Value* find(std::string_view name) const;
  void set(std::string_view name, Value value);
};

class Interpreter {
 public:
  Interpreter(RenderLimits limits, std::function<std::tm()> clock);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Renders with `vars` (name → value) visible as globals, beside the builtin functions.
  Result<std::string> render(const Template& tpl, const std::vector<std::pair<std::string, Value>>& vars);

  // For builtins: account work, check a string size, read the clock, make a namespace.
  Status charge(uint64_t units);
  Status check_size(size_t bytes) const;
  std::tm now() const { return clock_(); }
  Value make_namespace();

 private:
  enum class Flow { normal, break_, continue_ };
  using ScopePtr = std::shared_ptr<Scope>;

  Result<Flow> exec_body(const Body& body, const ScopePtr& scope, std::string& out);
  Result<Flow> exec(const Stmt& stmt, const ScopePtr& scope, std::string& out);
  Result<Flow> exec_for(const Stmt& stmt, const ScopePtr& scope, std::string& out);
  Status exec_call_block(const Stmt& stmt, const ScopePtr& scope, std::string& out);
  Result<Value> eval(const Expr& expr, const ScopePtr& scope);
  Result<Value> eval_node(const Expr& expr, const ScopePtr& scope);
  Result<Value> eval_call(const Expr& expr, const ScopePtr& scope, const Value* caller);
  Result<Value> eval_filter(const Expr& expr, Value input, const ScopePtr& scope);
  Result<bool> eval_compare(const Expr& expr, const ScopePtr& scope);
  Result<CallArgs> eval_args(const Expr& expr, const ScopePtr& scope);
  Result<Value> call_value(const Value& callee, CallArgs& args, Pos pos);
  Result<Value> call_macro(const Callable& macro, CallArgs& args, Pos pos);
  Status assign(const Expr& target, Value value, const ScopePtr& scope);
  Status append(std::string& out, std::string_view text);
  Value make_loop(size_t index, const std::vector<Value>& items, const std::shared_ptr<std::vector<Value>>& changed);

  RenderLimits limits_;
  std::function<std::tm()> clock_;
  uint64_t steps_ = 0;
  int depth_ = 0;
  // Scopes that closures captured and namespaces: cleared after rendering, which breaks the reference
  // cycles a template can build (a macro stored in its own scope, `{% set ns.self = ns %}`).
  std::vector<ScopePtr> captured_scopes_;
  std::vector<std::shared_ptr<DictData>> namespaces_;
};

// Adds the location of `pos` to an error that has none yet: "template:3:14: <message>".
Error locate(Error error, Pos pos);

}  // namespace occam::jinja
