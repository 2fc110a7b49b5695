// Builds the syntax tree from tokens with Jinja2's grammar and operator precedence.
#pragma once

#include <memory>
#include <string_view>

#include "core/error.h"
#include "tokenizer/jinja/ast.h"

namespace occam::jinja {

// Parse errors name line and column: "template:4:12: TemplateSyntaxError: unknown tag 'foo'".
Result<std::shared_ptr<const Template>> parse_template(std::string_view source);

}  // namespace occam::jinja
