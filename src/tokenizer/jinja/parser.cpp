#include "tokenizer/jinja/parser.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <initializer_list>

#include "tokenizer/jinja/builtins.h"

namespace occam::jinja {

Expr::~Expr() {
  std::vector<ExprPtr> pending;
  const auto detach = [&pending](Expr& e) {
    for (ExprPtr* child : {&e.a, &e.b, &e.c}) {
      if (*child) pending.push_back(std::move(*child));
    }
    for (auto& item : e.items) {
      if (item) pending.push_back(std::move(item));
    }
    for (auto& kw : e.kwargs) {
      if (kw.second) pending.push_back(std::move(kw.second));
    }
  };
  detach(*this);
  while (!pending.empty()) {
    ExprPtr next = std::move(pending.back());
    pending.pop_back();
    detach(*next);
  }  // each node is destroyed childless
}

namespace {

// Nesting bound for expressions and blocks: the parser and the interpreter recurse once per level.
constexpr int kMaxNesting = 200;

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<std::shared_ptr<const Template>> run() {
    auto tpl = std::make_shared<Template>();
    OCCAM_ASSIGN_OR_RETURN(tpl->body, subparse({}));
    if (cur().kind != TokenKind::eof) {
      // subparse stops only at an end tag that no open block expects.
      return fail(cur().pos, fmt::format("unexpected '{}'", cur().value));
    }
    return std::shared_ptr<const Template>(std::move(tpl));
  }

 private:
  struct DepthGuard {
    explicit DepthGuard(int& d) : depth(d) { ++depth; }
    ~DepthGuard() { --depth; }
    int& depth;
  };

  const Token& cur() const { return tokens_[index_]; }
  const Token& peek(size_t n = 1) const {
    return tokens_[index_ + n < tokens_.size() ? index_ + n : tokens_.size() - 1];
  }
  void advance() {
    if (index_ + 1 < tokens_.size()) ++index_;
  }
  bool is_op(std::string_view op) const { return cur().kind == TokenKind::op && cur().value == op; }
  bool is_name(std::string_view name) const { return cur().kind == TokenKind::name && cur().value == name; }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(std::string_view name) {
    if (!is_name(name)) return false;
    advance();
    return true;
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case TokenKind::text:
        return "template data";
      case TokenKind::variable_begin:
        return "begin of print statement";
      case TokenKind::variable_end:
        return "end of print statement";
      case TokenKind::block_begin:
        return "begin of statement block";
      case TokenKind::block_end:
        return "end of statement block";
      case TokenKind::eof:
        return "end of template";
      case TokenKind::string:
        return "string";
      default:
        return "'" + t.value + "'";
    }
  }

  static Error fail(Pos pos, std::string_view message) {
    return make_error(ErrorCode::invalid_argument, "template:{}:{}: TemplateSyntaxError: {}", pos.line,
                      pos.column, message);
  }

  Status expect_op(std::string_view op) {
    if (skip_op(op)) return ok_status();
    return fail(cur().pos, fmt::format("expected '{}', got {}", op, describe(cur())));
  }
  Status expect_name(std::string_view name) {
    if (skip_name(name)) return ok_status();
    return fail(cur().pos, fmt::format("expected '{}', got {}", name, describe(cur())));
  }
  Status expect_block_end() {
    if (cur().kind == TokenKind::block_end) {
      advance();
      return ok_status();
    }
    return fail(cur().pos, fmt::format("expected end of statement block, got {}", describe(cur())));
  }
  Result<std::string> expect_identifier() {
    if (cur().kind != TokenKind::name)
      return fail(cur().pos, fmt::format("expected a name, got {}", describe(cur())));
    std::string name = cur().value;
    advance();
    return name;
  }

  static ExprPtr make_expr(ExprKind kind, Pos pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }
  static StmtPtr make_stmt(StmtKind kind, Pos pos) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->pos = pos;
    return s;
  }

  // ---- statements -------------------------------------------------------------------------------

  // Parses until a block tag whose name is one of `end_names`; stops on its name token.
  Result<Body> subparse(std::initializer_list<std::string_view> end_names) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxNesting) return fail(cur().pos, "template nesting too deep");
    Body body;
    while (cur().kind != TokenKind::eof) {
      const Token& t = cur();
      if (t.kind == TokenKind::text) {
        auto s = make_stmt(StmtKind::text, t.pos);
        s->text = t.value;
        body.push_back(std::move(s));
        advance();
      } else if (t.kind == TokenKind::variable_begin) {
        const Pos pos = t.pos;
        advance();
        auto s = make_stmt(StmtKind::output, pos);
        OCCAM_ASSIGN_OR_RETURN(s->expr, parse_tuple(false, true, {}, false));
        if (cur().kind != TokenKind::variable_end) {
          return fail(cur().pos, fmt::format("expected end of print statement, got {}", describe(cur())));
        }
        advance();
        body.push_back(std::move(s));
      } else if (t.kind == TokenKind::block_begin) {
        const Token& name = peek();
        if (name.kind == TokenKind::name) {
          for (std::string_view end : end_names) {
            if (name.value == end) {
              advance();
              return body;
            }
          }
        }
        advance();
        OCCAM_ASSIGN_OR_RETURN(auto stmt, parse_statement());
        if (stmt) body.push_back(std::move(stmt));
      } else {
        return fail(t.pos, fmt::format("unexpected {}", describe(t)));
      }
    }
    if (end_names.size() > 0) {
      std::string expected;
      for (std::string_view end : end_names)
        expected += (expected.empty() ? "'" : " or '") + std::string(end) + "'";
      return fail(cur().pos, fmt::format("unexpected end of template, expected {}", expected));
    }
    return body;
  }

  Result<StmtPtr> parse_statement() {
    const Token& t = cur();
    if (t.kind != TokenKind::name) return fail(t.pos, "tag name expected");
    const std::string tag = t.value;
    const Pos pos = t.pos;
    advance();
    if (tag == "if") return parse_if(pos);
    if (tag == "for") return parse_for(pos);
    if (tag == "set") return parse_set(pos);
    if (tag == "macro") return parse_macro(pos);
    if (tag == "call") return parse_call_block(pos);
    if (tag == "filter") return parse_filter_block(pos);
    if (tag == "with") return parse_with(pos);
    if (tag == "generation") return parse_scoped(pos, "endgeneration");
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) return fail(pos, fmt::format("'{}' outside of a loop", tag));
      OCCAM_TRY(expect_block_end());
      return make_stmt(tag == "break" ? StmtKind::break_ : StmtKind::continue_, pos);
    }
    static constexpr std::string_view unsupported[] = {"block",      "extends", "include", "import",   "from",
                                                       "autoescape", "do",      "trans",   "pluralize"};
    for (std::string_view u : unsupported) {
      if (tag == u)
        return make_error(ErrorCode::unsupported, "template:{}:{}: unsupported tag '{}'", pos.line,
                          pos.column, tag);
    }
    if (tag.starts_with("end") || tag == "elif" || tag == "else") {
      return fail(pos, fmt::format("unexpected tag '{}'", tag));
    }
    return fail(pos, fmt::format("unknown tag '{}'", tag));
  }

  Result<StmtPtr> parse_if(Pos pos) {
    auto s = make_stmt(StmtKind::if_, pos);
    while (true) {
      OCCAM_ASSIGN_OR_RETURN(ExprPtr cond, parse_tuple(false, false, {}, false));
      OCCAM_TRY(expect_block_end());
      OCCAM_ASSIGN_OR_RETURN(Body body, subparse({"elif", "else", "endif"}));
      s->branches.emplace_back(std::move(cond), std::move(body));
      if (skip_name("elif")) continue;
      if (skip_name("else")) {
        OCCAM_TRY(expect_block_end());
        OCCAM_ASSIGN_OR_RETURN(Body else_body, subparse({"endif"}));
        s->branches.emplace_back(nullptr, std::move(else_body));
      }
      OCCAM_TRY(expect_name("endif"));
      OCCAM_TRY(expect_block_end());
      return s;
    }
  }

  Result<StmtPtr> parse_for(Pos pos) {
    auto s = make_stmt(StmtKind::for_, pos);
    OCCAM_ASSIGN_OR_RETURN(s->target, parse_assign_target(true, false, {"in"}));
    OCCAM_TRY(expect_name("in"));
    OCCAM_ASSIGN_OR_RETURN(s->expr, parse_tuple(false, false, {"recursive"}, false));
    if (skip_name("if")) {
      OCCAM_ASSIGN_OR_RETURN(s->filter, parse_expression(true));
    }
    if (is_name("recursive")) {
      return make_error(ErrorCode::unsupported, "template:{}:{}: unsupported recursive for loop",
                        cur().pos.line, cur().pos.column);
    }
    OCCAM_TRY(expect_block_end());
    ++loop_depth_;
    auto body = subparse({"endfor", "else"});
    --loop_depth_;
    if (!body.ok()) return std::move(body).error();
    s->body = std::move(body).value();
    if (skip_name("else")) {
      OCCAM_TRY(expect_block_end());
      OCCAM_ASSIGN_OR_RETURN(s->else_body, subparse({"endfor"}));
    }
    OCCAM_TRY(expect_name("endfor"));
    OCCAM_TRY(expect_block_end());
    return s;
  }

  Result<StmtPtr> parse_set(Pos pos) {
    OCCAM_ASSIGN_OR_RETURN(ExprPtr target, parse_assign_target(true, true, {}));
    if (skip_op("=")) {
      auto s = make_stmt(StmtKind::set, pos);
      s->target = std::move(target);
      OCCAM_ASSIGN_OR_RETURN(s->expr, parse_tuple(false, true, {}, false));
      OCCAM_TRY(expect_block_end());
      return s;
    }
    auto s = make_stmt(StmtKind::set_block, pos);
    s->target = std::move(target);
    OCCAM_TRY(parse_filter_chain(s->filters));
    OCCAM_TRY(expect_block_end());
    OCCAM_ASSIGN_OR_RETURN(s->body, subparse({"endset"}));
    OCCAM_TRY(expect_name("endset"));
    OCCAM_TRY(expect_block_end());
    return s;
  }

  Status parse_signature(Stmt& s) {
    OCCAM_TRY(expect_op("("));
    while (!is_op(")")) {
      if (!s.params.empty()) OCCAM_TRY(expect_op(","));
      if (is_op(")")) break;
      OCCAM_ASSIGN_OR_RETURN(std::string param, expect_identifier());
      ExprPtr def;
      if (skip_op("=")) {
        OCCAM_ASSIGN_OR_RETURN(def, parse_expression(true));
      }
      s.params.push_back(std::move(param));
      s.defaults.push_back(std::move(def));
    }
    advance();
    return ok_status();
  }

  // A macro or call-block body: loops outside it do not count, and `varargs`, `kwargs` and `caller`
  // references are recorded so that calls accept extra arguments only when the body uses them.
  Result<Body> parse_callable_body(Stmt& s, std::initializer_list<std::string_view> end) {
    const int saved_loops = loop_depth_;
    loop_depth_ = 0;
    callables_.push_back(&s);
    auto body = subparse(end);
    callables_.pop_back();
    loop_depth_ = saved_loops;
    return body;
  }

  Result<StmtPtr> parse_macro(Pos pos) {
    auto s = make_stmt(StmtKind::macro, pos);
    OCCAM_ASSIGN_OR_RETURN(s->name, expect_identifier());
    OCCAM_TRY(parse_signature(*s));
    OCCAM_TRY(expect_block_end());
    OCCAM_ASSIGN_OR_RETURN(s->body, parse_callable_body(*s, {"endmacro"}));
    OCCAM_TRY(expect_name("endmacro"));
    if (cur().kind == TokenKind::name) advance();
    OCCAM_TRY(expect_block_end());
    return s;
  }

  Result<StmtPtr> parse_call_block(Pos pos) {
    auto s = make_stmt(StmtKind::call_block, pos);
    s->name = "caller";
    if (is_op("(")) OCCAM_TRY(parse_signature(*s));
    OCCAM_ASSIGN_OR_RETURN(s->expr, parse_expression(true));
    if (s->expr->kind != ExprKind::call) return fail(s->expr->pos, "expected call");
    OCCAM_TRY(expect_block_end());
    OCCAM_ASSIGN_OR_RETURN(s->body, parse_callable_body(*s, {"endcall"}));
    OCCAM_TRY(expect_name("endcall"));
    OCCAM_TRY(expect_block_end());
    return s;
  }

  Result<StmtPtr> parse_filter_block(Pos pos) {
    auto s = make_stmt(StmtKind::filter_block, pos);
    OCCAM_TRY(parse_filter_chain(s->filters, true));
    OCCAM_TRY(expect_block_end());
    OCCAM_ASSIGN_OR_RETURN(s->body, subparse({"endfilter"}));
    OCCAM_TRY(expect_name("endfilter"));
    OCCAM_TRY(expect_block_end());
    return s;
  }

  Result<StmtPtr> parse_with(Pos pos) {
    auto s = make_stmt(StmtKind::with, pos);
    while (cur().kind != TokenKind::block_end) {
      if (!s->assignments.empty()) OCCAM_TRY(expect_op(","));
      OCCAM_ASSIGN_OR_RETURN(ExprPtr target, parse_assign_target(true, false, {}));
      OCCAM_TRY(expect_op("="));
      OCCAM_ASSIGN_OR_RETURN(ExprPtr value, parse_expression(true));
      s->assignments.emplace_back(std::move(target), std::move(value));
    }
    advance();
    OCCAM_ASSIGN_OR_RETURN(s->body, subparse({"endwith"}));
    OCCAM_TRY(expect_name("endwith"));
    OCCAM_TRY(expect_block_end());
    return s;
  }

  Result<StmtPtr> parse_scoped(Pos pos, std::string_view end) {
    auto s = make_stmt(StmtKind::scoped, pos);
    OCCAM_TRY(expect_block_end());
    OCCAM_ASSIGN_OR_RETURN(s->body, subparse({end}));
    OCCAM_TRY(expect_name(end));
    OCCAM_TRY(expect_block_end());
    return s;
  }

  // `| f(args) | g` at the start of `{% filter %}` (first bar optional) or after `{% set x`.
  Status parse_filter_chain(std::vector<ExprPtr>& filters, bool start_inline = false) {
    while (start_inline || is_op("|")) {
      if (!start_inline) advance();
      start_inline = false;
      OCCAM_ASSIGN_OR_RETURN(ExprPtr f, parse_filter(nullptr));
      filters.push_back(std::move(f));
    }
    return ok_status();
  }

  // ---- expressions ------------------------------------------------------------------------------

  // Names (or tuples of names) to assign; `ns.attr` when with_namespace.
  Result<ExprPtr> parse_assign_target(bool with_tuple, bool with_namespace,
                                      std::initializer_list<std::string_view> extra_end) {
    if (with_namespace && cur().kind == TokenKind::name && peek().kind == TokenKind::op &&
        peek().value == ".") {
      auto e = make_expr(ExprKind::attribute, cur().pos);
      auto base = make_expr(ExprKind::name, cur().pos);
      base->name = cur().value;
      advance();
      advance();
      OCCAM_ASSIGN_OR_RETURN(e->name, expect_identifier());
      e->a = std::move(base);
      return e;
    }
    ExprPtr target;
    if (with_tuple) {
      OCCAM_ASSIGN_OR_RETURN(target, parse_tuple(true, true, extra_end, false));
    } else {
      OCCAM_ASSIGN_OR_RETURN(target, parse_primary());
    }
    OCCAM_TRY(check_assignable(*target));
    return target;
  }

  Status check_assignable(const Expr& e) {
    if (e.kind == ExprKind::name) {
      if (e.name == "true" || e.name == "false" || e.name == "none" || e.name == "True" ||
          e.name == "False" || e.name == "None") {
        return fail(e.pos, fmt::format("cannot assign to '{}'", e.name));
      }
      return ok_status();
    }
    if (e.kind == ExprKind::tuple || e.kind == ExprKind::list) {
      for (const auto& item : e.items) OCCAM_TRY(check_assignable(*item));
      return ok_status();
    }
    return fail(e.pos, "cannot assign to this expression");
  }

  bool is_tuple_end(std::initializer_list<std::string_view> extra_end) const {
    const Token& t = cur();
    if (t.kind == TokenKind::variable_end || t.kind == TokenKind::block_end || t.kind == TokenKind::eof)
      return true;
    if (t.kind == TokenKind::op && t.value == ")") return true;
    if (t.kind == TokenKind::name) {
      for (std::string_view end : extra_end) {
        if (t.value == end) return true;
      }
    }
    return false;
  }

  Result<ExprPtr> parse_tuple(bool simplified, bool with_condexpr,
                              std::initializer_list<std::string_view> extra_end, bool explicit_parentheses) {
    const Pos pos = cur().pos;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) OCCAM_TRY(expect_op(","));
      if (is_tuple_end(extra_end)) break;
      ExprPtr item;
      if (simplified) {
        OCCAM_ASSIGN_OR_RETURN(item, parse_primary());
      } else {
        OCCAM_ASSIGN_OR_RETURN(item, parse_expression(with_condexpr));
      }
      items.push_back(std::move(item));
      if (is_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parentheses)
        return fail(cur().pos, fmt::format("expected an expression, got {}", describe(cur())));
    }
    auto e = make_expr(ExprKind::tuple, pos);
    e->items = std::move(items);
    return e;
  }

  Result<ExprPtr> parse_expression(bool with_condexpr) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxNesting) return fail(cur().pos, "expression nesting too deep");
    if (!with_condexpr) return parse_or();
    OCCAM_ASSIGN_OR_RETURN(ExprPtr expr, parse_or());
    while (is_name("if")) {
      const Pos pos = cur().pos;
      advance();
      auto e = make_expr(ExprKind::condition, pos);
      OCCAM_ASSIGN_OR_RETURN(e->b, parse_or());
      if (skip_name("else")) {
        OCCAM_ASSIGN_OR_RETURN(e->c, parse_expression(true));
      }
      e->a = std::move(expr);
      expr = std::move(e);
    }
    return expr;
  }

  Result<ExprPtr> binary(std::string op, Pos pos, ExprPtr a, ExprPtr b) {
    auto e = make_expr(ExprKind::binary, pos);
    e->name = std::move(op);
    e->a = std::move(a);
    e->b = std::move(b);
    return e;
  }

  // The operator of `ops` (words or symbols, as `kind` says) at the cursor, or empty.
  std::string_view operator_at(TokenKind kind, std::initializer_list<std::string_view> ops) const {
    if (cur().kind != kind) return {};
    for (std::string_view op : ops) {
      if (cur().value == op) return op;
    }
    return {};
  }

  // One level of left-associative binary operators: operand (op operand)*.
  template <typename Operand>
  Result<ExprPtr> left_assoc(TokenKind kind, std::initializer_list<std::string_view> ops, Operand operand) {
    OCCAM_ASSIGN_OR_RETURN(ExprPtr left, operand());
    for (std::string_view op = operator_at(kind, ops); !op.empty(); op = operator_at(kind, ops)) {
      const Pos pos = cur().pos;
      advance();
      OCCAM_ASSIGN_OR_RETURN(ExprPtr right, operand());
      OCCAM_ASSIGN_OR_RETURN(left, binary(std::string(op), pos, std::move(left), std::move(right)));
    }
    return left;
  }

  // Jinja's precedence, loosest first: or, and, not, comparisons, + -, ~, * / // %, **, unary.
  Result<ExprPtr> parse_or() {
    return left_assoc(TokenKind::name, {"or"}, [this] { return parse_and(); });
  }
  Result<ExprPtr> parse_and() {
    return left_assoc(TokenKind::name, {"and"}, [this] { return parse_not(); });
  }

  Result<ExprPtr> parse_not() {
    if (is_name("not")) {
      DepthGuard guard(depth_);
      if (depth_ > kMaxNesting) return fail(cur().pos, "expression nesting too deep");
      auto e = make_expr(ExprKind::unary, cur().pos);
      e->name = "not";
      advance();
      OCCAM_ASSIGN_OR_RETURN(e->a, parse_not());
      return e;
    }
    return parse_compare();
  }

  Result<ExprPtr> parse_compare() {
    const Pos pos = cur().pos;
    OCCAM_ASSIGN_OR_RETURN(ExprPtr first, parse_math1());
    std::vector<std::string> ops;
    std::vector<ExprPtr> items;
    while (true) {
      std::string op;
      if (cur().kind == TokenKind::op && (cur().value == "==" || cur().value == "!=" || cur().value == "<" ||
                                          cur().value == "<=" || cur().value == ">" || cur().value == ">=")) {
        op = cur().value;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && peek().kind == TokenKind::name && peek().value == "in") {
        op = "notin";
        advance();
        advance();
      } else {
        break;
      }
      OCCAM_ASSIGN_OR_RETURN(ExprPtr operand, parse_math1());
      ops.push_back(std::move(op));
      items.push_back(std::move(operand));
    }
    if (ops.empty()) return first;
    auto e = make_expr(ExprKind::compare, pos);
    e->items.push_back(std::move(first));
    for (auto& item : items) e->items.push_back(std::move(item));
    e->ops = std::move(ops);
    return e;
  }

  Result<ExprPtr> parse_math1() {
    return left_assoc(TokenKind::op, {"+", "-"}, [this] { return parse_concat(); });
  }
  Result<ExprPtr> parse_concat() {
    return left_assoc(TokenKind::op, {"~"}, [this] { return parse_math2(); });
  }
  Result<ExprPtr> parse_math2() {
    return left_assoc(TokenKind::op, {"*", "/", "//", "%"}, [this] { return parse_pow(); });
  }
  Result<ExprPtr> parse_pow() {
    return left_assoc(TokenKind::op, {"**"}, [this] { return parse_unary(true); });
  }

  Result<ExprPtr> parse_unary(bool with_filter) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxNesting) return fail(cur().pos, "expression nesting too deep");
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      node = make_expr(ExprKind::unary, cur().pos);
      node->name = cur().value;
      advance();
      OCCAM_ASSIGN_OR_RETURN(node->a, parse_unary(false));
    } else {
      OCCAM_ASSIGN_OR_RETURN(node, parse_primary());
    }
    OCCAM_ASSIGN_OR_RETURN(node, parse_postfix(std::move(node)));
    if (with_filter) {
      OCCAM_ASSIGN_OR_RETURN(node, parse_filter_expr(std::move(node)));
    }
    return node;
  }

  Result<ExprPtr> parse_primary() {
    DepthGuard guard(depth_);
    if (depth_ > kMaxNesting) return fail(cur().pos, "expression nesting too deep");
    const Token& t = cur();
    const Pos pos = t.pos;
    switch (t.kind) {
      case TokenKind::name: {
        auto e = make_expr(ExprKind::literal, pos);
        if (t.value == "true" || t.value == "True") {
          e->value = Value::boolean(true);
        } else if (t.value == "false" || t.value == "False") {
          e->value = Value::boolean(false);
        } else if (t.value == "none" || t.value == "None") {
          e->value = Value::none();
        } else {
          e->kind = ExprKind::name;
          e->name = t.value;
          note_name(t.value);
        }
        advance();
        return e;
      }
      case TokenKind::string: {
        std::string value;
        while (cur().kind == TokenKind::string) {
          value += cur().value;
          advance();
        }
        auto e = make_expr(ExprKind::literal, pos);
        e->value = Value::string(std::move(value));
        return e;
      }
      case TokenKind::integer: {
        auto e = make_expr(ExprKind::literal, pos);
        int64_t v = 0;
        const auto [ptr, ec] = std::from_chars(t.value.data(), t.value.data() + t.value.size(), v);
        if (ec != std::errc() || ptr != t.value.data() + t.value.size()) {
          return make_error(ErrorCode::unsupported, "template:{}:{}: integer literal {} out of 64-bit range",
                            pos.line, pos.column, t.value);
        }
        e->value = Value::integer(v);
        advance();
        return e;
      }
      case TokenKind::floating: {
        auto e = make_expr(ExprKind::literal, pos);
        e->value = Value::floating(std::strtod(t.value.c_str(), nullptr));
        advance();
        return e;
      }
      case TokenKind::op:
        if (t.value == "(") {
          advance();
          OCCAM_ASSIGN_OR_RETURN(ExprPtr inner, parse_tuple(false, true, {}, true));
          OCCAM_TRY(expect_op(")"));
          return inner;
        }
        if (t.value == "[") {
          advance();
          auto e = make_expr(ExprKind::list, pos);
          while (!is_op("]")) {
            if (!e->items.empty()) OCCAM_TRY(expect_op(","));
            if (is_op("]")) break;
            OCCAM_ASSIGN_OR_RETURN(ExprPtr item, parse_expression(true));
            e->items.push_back(std::move(item));
          }
          advance();
          return e;
        }
        if (t.value == "{") {
          advance();
          auto e = make_expr(ExprKind::dict, pos);
          while (!is_op("}")) {
            if (!e->items.empty()) OCCAM_TRY(expect_op(","));
            if (is_op("}")) break;
            OCCAM_ASSIGN_OR_RETURN(ExprPtr key, parse_expression(true));
            OCCAM_TRY(expect_op(":"));
            OCCAM_ASSIGN_OR_RETURN(ExprPtr value, parse_expression(true));
            e->items.push_back(std::move(key));
            e->items.push_back(std::move(value));
          }
          advance();
          return e;
        }
        break;
      default:
        break;
    }
    return fail(pos, fmt::format("unexpected {}", describe(t)));
  }

  void note_name(const std::string& name) {
    if (callables_.empty()) return;
    Stmt* s = callables_.back();
    if (name == "varargs") s->uses_varargs = true;
    if (name == "kwargs") s->uses_kwargs = true;
    if (name == "caller") s->uses_caller = true;
  }

  Result<ExprPtr> parse_postfix(ExprPtr node) {
    while (true) {
      DepthGuard guard(depth_);
      if (depth_ > kMaxNesting) return fail(cur().pos, "expression nesting too deep");
      if (is_op(".")) {
        const Pos pos = cur().pos;
        advance();
        if (cur().kind == TokenKind::name) {
          auto e = make_expr(ExprKind::attribute, pos);
          e->name = cur().value;
          e->a = std::move(node);
          advance();
          node = std::move(e);
        } else if (cur().kind == TokenKind::integer) {
          auto e = make_expr(ExprKind::subscript, pos);
          OCCAM_ASSIGN_OR_RETURN(e->b, parse_primary());
          e->a = std::move(node);
          node = std::move(e);
        } else {
          return fail(cur().pos, fmt::format("expected name or number, got {}", describe(cur())));
        }
      } else if (is_op("[")) {
        const Pos pos = cur().pos;
        advance();
        std::vector<ExprPtr> indices;
        while (!is_op("]")) {
          if (!indices.empty()) OCCAM_TRY(expect_op(","));
          if (is_op("]")) break;
          OCCAM_ASSIGN_OR_RETURN(ExprPtr index, parse_subscribed());
          indices.push_back(std::move(index));
        }
        advance();
        if (indices.empty()) return fail(pos, "expected subscript expression");
        auto e = make_expr(ExprKind::subscript, pos);
        if (indices.size() == 1) {
          e->b = std::move(indices[0]);
        } else {
          e->b = make_expr(ExprKind::tuple, pos);
          e->b->items = std::move(indices);
        }
        e->a = std::move(node);
        node = std::move(e);
      } else if (is_op("(")) {
        OCCAM_ASSIGN_OR_RETURN(node, parse_call(std::move(node)));
      } else {
        return node;
      }
    }
  }

  Result<ExprPtr> parse_subscribed() {
    const Pos pos = cur().pos;
    ExprPtr start;
    if (!is_op(":")) {
      OCCAM_ASSIGN_OR_RETURN(start, parse_expression(true));
      if (!is_op(":")) return start;
    }
    advance();
    auto e = make_expr(ExprKind::slice, pos);
    e->a = std::move(start);
    if (!is_op("]") && !is_op(",") && !is_op(":")) {
      OCCAM_ASSIGN_OR_RETURN(e->b, parse_expression(true));
    }
    if (skip_op(":")) {
      if (!is_op("]") && !is_op(",")) {
        OCCAM_ASSIGN_OR_RETURN(e->c, parse_expression(true));
      }
    }
    return e;
  }

  Status parse_call_args(Expr& e) {
    OCCAM_TRY(expect_op("("));
    bool first = true;
    while (!is_op(")")) {
      if (!first) OCCAM_TRY(expect_op(","));
      first = false;
      if (is_op(")")) break;
      if (is_op("*") || is_op("**")) {
        return make_error(ErrorCode::unsupported, "template:{}:{}: unsupported *args/**kwargs in call",
                          cur().pos.line, cur().pos.column);
      }
      if (cur().kind == TokenKind::name && peek().kind == TokenKind::op && peek().value == "=") {
        std::string key = cur().value;
        advance();
        advance();
        OCCAM_ASSIGN_OR_RETURN(ExprPtr value, parse_expression(true));
        e.kwargs.emplace_back(std::move(key), std::move(value));
      } else {
        if (!e.kwargs.empty()) return fail(cur().pos, "positional argument follows keyword argument");
        OCCAM_ASSIGN_OR_RETURN(ExprPtr value, parse_expression(true));
        e.items.push_back(std::move(value));
      }
    }
    advance();
    return ok_status();
  }

  Result<ExprPtr> parse_call(ExprPtr callee) {
    auto e = make_expr(ExprKind::call, callee->pos);
    e->a = std::move(callee);
    OCCAM_TRY(parse_call_args(*e));
    return e;
  }

  Result<std::string> parse_dotted_name() {
    OCCAM_ASSIGN_OR_RETURN(std::string name, expect_identifier());
    while (is_op(".") && peek().kind == TokenKind::name) {
      advance();
      name += "." + cur().value;
      advance();
    }
    return name;
  }

  Result<ExprPtr> parse_filter(ExprPtr input) {
    auto e = make_expr(ExprKind::filter, cur().pos);
    OCCAM_ASSIGN_OR_RETURN(e->name, parse_dotted_name());
    // Like jinja2, an unknown filter fails the whole template, even in a branch that never runs.
    if (find_filter(e->name) == nullptr) {
      return make_error(ErrorCode::unsupported, "template:{}:{}: unsupported filter '{}'", e->pos.line,
                        e->pos.column, e->name);
    }
    if (is_op("(")) OCCAM_TRY(parse_call_args(*e));
    e->a = std::move(input);
    return e;
  }

  Result<ExprPtr> parse_filter_expr(ExprPtr node) {
    while (true) {
      DepthGuard guard(depth_);
      if (depth_ > kMaxNesting) return fail(cur().pos, "expression nesting too deep");
      if (is_op("|")) {
        advance();
        OCCAM_ASSIGN_OR_RETURN(node, parse_filter(std::move(node)));
      } else if (is_name("is")) {
        const Pos pos = cur().pos;
        advance();
        auto e = make_expr(ExprKind::test, pos);
        e->negated = skip_name("not");
        OCCAM_ASSIGN_OR_RETURN(e->name, parse_dotted_name());
        if (find_test(e->name) == nullptr) {
          return make_error(ErrorCode::unsupported, "template:{}:{}: unsupported test '{}'", e->pos.line,
                            e->pos.column, e->name);
        }
        if (is_op("(")) {
          OCCAM_TRY(parse_call_args(*e));
        } else if ((cur().kind == TokenKind::name && cur().value != "else" && cur().value != "or" &&
                    cur().value != "and") ||
                   cur().kind == TokenKind::string || cur().kind == TokenKind::integer ||
                   cur().kind == TokenKind::floating || is_op("[") || is_op("{")) {
          if (is_name("in") || is_name("is") || is_name("if") || is_name("not")) {
            // `x is defined if ...`, `x is none and ...`: not an argument.
          } else {
            OCCAM_ASSIGN_OR_RETURN(ExprPtr arg, parse_primary());
            OCCAM_ASSIGN_OR_RETURN(arg, parse_postfix(std::move(arg)));
            e->items.push_back(std::move(arg));
          }
        }
        e->a = std::move(node);
        node = std::move(e);
      } else if (is_op("(")) {
        OCCAM_ASSIGN_OR_RETURN(node, parse_call(std::move(node)));
      } else {
        return node;
      }
    }
  }

  std::vector<Token> tokens_;
  size_t index_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
  std::vector<Stmt*> callables_;
};

}  // namespace

Result<std::shared_ptr<const Template>> parse_template(std::string_view source) {
  OCCAM_ASSIGN_OR_RETURN(auto tokens, tokenize(source));
  return Parser(std::move(tokens)).run();
}

}  // namespace occam::jinja
