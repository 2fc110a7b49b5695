// Jinja in workflows, on the chat-template interpreter (tokenizer/chat_template.h): prompts are text
// templates, conditions and `over:` are expressions, and argument maps are JSON-shaped values whose strings
// are templates. Every template sees the run's variables (input, steps, item, index, run_id).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/config.h"
#include "core/error.h"

namespace occam::tokenizer {
class ChatTemplate;
}

namespace occam::workflow {

class Template {
 public:
  // A text template: "Classify: {{ input.text }}".
  static Result<Template> text(std::string_view source);
  // An expression ("steps.lang.label == 'fr'", "input.items"): evaluate() gives its JSON value.
  static Result<Template> expression(std::string_view source);

  Result<std::string> render(const boost::json::object& vars) const;
  Result<boost::json::value> evaluate(const boost::json::object& vars) const;  // expressions
  Result<bool> truthy(const boost::json::object& vars) const;                  // expressions, Jinja truth
  const std::string& source() const { return source_; }
  bool is_constant() const { return constant_; }  // a text without any {{ or {%

 private:
  std::shared_ptr<const tokenizer::ChatTemplate> tpl_;
  std::shared_ptr<const tokenizer::ChatTemplate> truth_;
  std::string source_;
  bool constant_ = false;
};

// A YAML value whose strings are text templates; a string that is exactly "{{ expr }}" keeps the
// expression's JSON type (a list stays a list). Numbers, booleans and null pass through.
class ValueTemplate {
 public:
  struct Node;  // defined in template.cpp
  static Result<ValueTemplate> parse(const ConfigNode& node);
  Result<boost::json::value> render(const boost::json::object& vars) const;

 private:
  std::shared_ptr<const Node> root_;
};

// A YAML node as JSON (scalars typed: integers, reals, true/false, null; everything else a string).
Result<boost::json::value> config_to_json(const ConfigNode& node);

}  // namespace occam::workflow
