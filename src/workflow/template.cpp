#include "workflow/template.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "tokenizer/chat_template.h"

namespace occam::workflow {
namespace {

namespace json = boost::json;

Result<std::shared_ptr<const tokenizer::ChatTemplate>> compile(std::string_view source) {
  OCCAM_ASSIGN_OR_RETURN(auto tpl, tokenizer::ChatTemplate::parse(source));
  return std::make_shared<const tokenizer::ChatTemplate>(std::move(tpl));
}

Result<std::string> render_with(const tokenizer::ChatTemplate& tpl, const json::object& vars) {
  tokenizer::ChatTemplateOptions options;
  options.extra_json = json::serialize(vars);
  options.max_output_bytes = size_t{4} << 20;
  return tpl.render("[]", options);
}

// "{{ expr }}" and nothing else: the expression's source, else empty.
std::string_view sole_expression(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.remove_suffix(1);
  if (s.size() < 4 || s.substr(0, 2) != "{{" || s.substr(s.size() - 2) != "}}") return {};
  std::string_view inner = s.substr(2, s.size() - 4);
  if (inner.find("{{") != std::string_view::npos || inner.find("}}") != std::string_view::npos) return {};
  if (inner.find("{%") != std::string_view::npos) return {};
  return inner;
}

}  // namespace

Result<Template> Template::text(std::string_view source) {
  Template t;
  t.source_ = std::string(source);
  t.constant_ = source.find("{{") == std::string_view::npos && source.find("{%") == std::string_view::npos &&
                source.find("{#") == std::string_view::npos;
  OCCAM_ASSIGN_OR_RETURN(t.tpl_, compile(source));
  return t;
}

Result<Template> Template::expression(std::string_view source) {
  if (source.find("}}") != std::string_view::npos || source.find("%}") != std::string_view::npos) {
    return make_error(ErrorCode::invalid_argument, "expected an expression, not a template: '{}'", source);
  }
  Template t;
  t.source_ = std::string(source);
  // tojson keeps the type; the truth test is Jinja's own (empty list, 0, '' and none are false).
  OCCAM_ASSIGN_OR_RETURN(t.tpl_, compile(fmt::format("{{{{ ({}) | tojson }}}}", source)));
  OCCAM_ASSIGN_OR_RETURN(t.truth_, compile(fmt::format("{{% if ({}) %}}1{{% else %}}0{{% endif %}}", source)));
  return t;
}

Result<std::string> Template::render(const json::object& vars) const {
  if (constant_) return source_;
  return render_with(*tpl_, vars);
}

Result<json::value> Template::evaluate(const json::object& vars) const {
  OCCAM_ASSIGN_OR_RETURN(std::string text, render_with(*tpl_, vars));
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return make_error(ErrorCode::invalid_argument, "expression '{}' did not give JSON: {}", source_, ec.message());
  return v;
}

Result<bool> Template::truthy(const json::object& vars) const {
  if (!truth_) return make_error(ErrorCode::internal, "'{}' is not an expression", source_);
  // Compared in place: moving the string out of the Result trips GCC 12's -Wmaybe-uninitialized.
  Result<std::string> text = render_with(*truth_, vars);
  if (!text.ok()) return std::move(text).error();
  return text.value() == "1";
}

struct ValueTemplate::Node {
  enum class Kind { literal, text, expression, object, array } kind = Kind::literal;
  json::value literal;
  Template tpl;
  std::vector<std::pair<std::string, Node>> members;  // object
  std::vector<Node> items;                            // array
};

namespace {

Result<json::value> scalar_to_json(const ConfigNode& node) {
  if (node.is_null()) return json::value(nullptr);
  OCCAM_ASSIGN_OR_RETURN(std::string s, node.as_string());
  if (auto i = node.as_int(); i.ok()) return json::value(*i);
  if (auto d = node.as_double(); d.ok()) return json::value(*d);
  if (s == "true" || s == "false") return json::value(s == "true");
  return json::value(s);
}

Result<ValueTemplate::Node> parse_node(const ConfigNode& node);

}  // namespace

Result<json::value> config_to_json(const ConfigNode& node) {
  if (node.is_map()) {
    json::object o;
    OCCAM_ASSIGN_OR_RETURN(auto entries, node.entries());
    for (const auto& [k, v] : entries) {
      OCCAM_ASSIGN_OR_RETURN(o[k], config_to_json(v));
    }
    return json::value(std::move(o));
  }
  if (node.is_sequence()) {
    json::array a;
    OCCAM_ASSIGN_OR_RETURN(auto items, node.items());
    for (const ConfigNode& v : items) {
      OCCAM_ASSIGN_OR_RETURN(json::value j, config_to_json(v));
      a.push_back(std::move(j));
    }
    return json::value(std::move(a));
  }
  if (!node.present()) return json::value(nullptr);
  return scalar_to_json(node);
}

namespace {

Result<ValueTemplate::Node> parse_node(const ConfigNode& node) {
  using Node = ValueTemplate::Node;
  Node n;
  if (node.is_map()) {
    n.kind = Node::Kind::object;
    OCCAM_ASSIGN_OR_RETURN(auto entries, node.entries());
    for (const auto& [k, v] : entries) {
      OCCAM_ASSIGN_OR_RETURN(Node child, parse_node(v));
      n.members.emplace_back(k, std::move(child));
    }
    return n;
  }
  if (node.is_sequence()) {
    n.kind = Node::Kind::array;
    OCCAM_ASSIGN_OR_RETURN(auto items, node.items());
    for (const ConfigNode& v : items) {
      OCCAM_ASSIGN_OR_RETURN(Node child, parse_node(v));
      n.items.push_back(std::move(child));
    }
    return n;
  }
  OCCAM_ASSIGN_OR_RETURN(n.literal, scalar_to_json(node));
  if (!n.literal.is_string()) return n;
  std::string source(n.literal.get_string());
  if (std::string_view expr = sole_expression(source); !expr.empty()) {
    auto t = Template::expression(expr);
    if (!t.ok()) return node.error("{}", t.error().message());
    n.kind = Node::Kind::expression;
    n.tpl = std::move(*t);
    return n;
  }
  auto t = Template::text(source);
  if (!t.ok()) return node.error("{}", t.error().message());
  if (!t->is_constant()) {
    n.kind = Node::Kind::text;
    n.tpl = std::move(*t);
  }
  return n;
}

Result<json::value> render_node(const ValueTemplate::Node& n, const json::object& vars) {
  using Kind = ValueTemplate::Node::Kind;
  switch (n.kind) {
    case Kind::literal: return n.literal;
    case Kind::text: {
      OCCAM_ASSIGN_OR_RETURN(std::string s, n.tpl.render(vars));
      return json::value(s);
    }
    case Kind::expression: return n.tpl.evaluate(vars);
    case Kind::object: {
      json::object o;
      for (const auto& [k, child] : n.members) {
        OCCAM_ASSIGN_OR_RETURN(o[k], render_node(child, vars));
      }
      return json::value(std::move(o));
    }
    case Kind::array: {
      json::array a;
      for (const auto& child : n.items) {
        OCCAM_ASSIGN_OR_RETURN(json::value v, render_node(child, vars));
        a.push_back(std::move(v));
      }
      return json::value(std::move(a));
    }
  }
  return make_error(ErrorCode::internal, "value template: unknown node");
}

}  // namespace

Result<ValueTemplate> ValueTemplate::parse(const ConfigNode& node) {
  OCCAM_ASSIGN_OR_RETURN(Node n, parse_node(node));
  ValueTemplate t;
  t.root_ = std::make_shared<const Node>(std::move(n));
  return t;
}

Result<json::value> ValueTemplate::render(const json::object& vars) const {
  if (!root_) return json::value(nullptr);
  return render_node(*root_, vars);
}

}  // namespace occam::workflow
